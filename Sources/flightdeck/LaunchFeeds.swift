import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation

/// What every live view of a launch listens to: the probes, the alarm sources, the clock,
/// and the shared journal (so a vote cast anywhere shows everywhere). Each feeds events
/// through `emit` until `stop`.
final class LaunchFeeds: Sendable {
    /// How often the shared launch state in SQLite is looked at for changes from other
    /// processes (PostgreSQL tells each session of an append).
    static let journalPollInterval = Duration.milliseconds(250)

    /// After failures in a row (a database that went away), the next look waits longer each
    /// time, up to 8 s: every session on every host asks again, not all of them at once.
    static func journalRetryDelay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return journalPollInterval }
        return min(journalPollInterval * (1 << min(failures, 5)), .seconds(8)) + .milliseconds(Int.random(in: 0...250))
    }

    let journal: LaunchJournal?
    /// The wall-clock moment the poller's clock read zero: outcomes and alarms are placed on it.
    let origin: Date
    private let tasks: [Task<Void, Never>]
    /// The task that reads the shared journal, awaited on `stop`: once it has ended nothing of
    /// this process touches the state directory (the demo removes it right after).
    private let journalTask: Task<Void, Never>?

    /// - Parameters:
    ///   - commands: whether this process runs the plan's commands (a read-only cockpit only
    ///     shows the results the others share through the state directory).
    ///   - vantage: the name this host goes by among the plan's vantages: it probes the checks
    ///     that vantage runs, and reads the other vantages' from the shared state.
    init(plan: LaunchPlan, planPath: String, planDirectory: String, commands: CommandRole, vantage: String,
         emit: @escaping @Sendable (CockpitEvent) -> Void) {
        let origin = Date()
        self.origin = origin
        let state = StateDirectory(planPath: planPath, plan: plan)
        let probes = PlanProbes.make(for: plan, planDirectory: planDirectory, commands: commands,
                                     results: CommandResults(stateDirectory: state.path), only: plan.checksProbed(by: vantage))
        let poller = Poller(probes: probes, concurrency: plan.polling.concurrency, clock: ContinuousClock())
        var tasks = [Task { await poller.run { emit(.outcome($0)) } }]
        tasks.append(Task {
            while !Task.isCancelled {
                emit(.tick(Date()))
                try? await Task.sleep(for: .seconds(1))
            }
        })
        for source in plan.alarmSources {
            let probe = AlarmSourceProbe(source: source, plan: plan)
            tasks.append(Task {
                while !Task.isCancelled {
                    let alarms = await probe.fetch(clock: .seconds(Date().timeIntervalSince(origin)))
                    emit(.externalAlarms(source: probe.source.id, alarms: alarms))
                    try? await Task.sleep(for: probe.interval)
                }
            })
        }
        do {
            journal = try LaunchJournal.open(state, plan: plan)
        } catch {
            journal = nil
            emit(.launchUnavailable("\(error)"))
        }
        if let journal {
            let vantages = plan.hasVantageChecks ? VantageStore(journal: journal) : nil
            journalTask = Task {
                var seen = -1
                var read = VantageReadings()
                var failures = 0
                while !Task.isCancelled {
                    do {
                        // Back from a failure, the state is sent even if nothing changed: that
                        // clears the launch bar's "unreachable".
                        if let changed = try failures > 0 ? journal.state() : journal.changes(since: seen) {
                            seen = changed.lastSeq
                            emit(.launch(changed))
                        }
                        if let vantages, let reading = try read.next(from: vantages) { emit(.vantages(reading)) }
                        failures = 0
                    } catch {
                        failures += 1
                        emit(.launchUnavailable("\(error)"))
                    }
                    if journal.notifiesAppends, failures == 0 {
                        // Woken by the database when anyone appends or an agent publishes; a
                        // look every 2 s regardless.
                        await journal.waitForAppend(timeout: .seconds(2))
                    } else {
                        try? await Task.sleep(for: Self.journalRetryDelay(afterFailures: failures))
                    }
                }
            }
        } else {
            journalTask = nil
        }
        self.tasks = tasks
    }

    func stop() async {
        tasks.forEach { $0.cancel() }
        journalTask?.cancel()
        await journalTask?.value
    }
}

/// Follows the agents in the shared state: each read asks only for what was published since
/// the last, and a reading is passed on only when it says something new (an outcome, or a
/// heartbeat that moved).
struct VantageReadings {
    private var version = 0
    /// When each agent last beat, in tenths of a second on this process's clock.
    private var beats: [String: Int] = [:]

    mutating func next(from store: VantageStore) throws -> VantageReading? {
        let reading = try store.read(since: version)
        version = reading.version
        let moments = Dictionary(reading.heartbeats.map { beat in
            (beat.vantage, Int(((reading.readAt.timeIntervalSince1970 - beat.age.timeInterval) * 10).rounded()))
        }, uniquingKeysWith: { first, _ in first })
        guard !reading.results.isEmpty || moments != beats else { return nil }
        beats = moments
        return reading
    }
}
