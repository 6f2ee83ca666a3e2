import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation

/// What every live view of a launch listens to: the probes, the alarm sources, the clock,
/// the shared journal (so a vote cast anywhere shows everywhere) and the timeline. Each feeds
/// events through `emit` until `stop`. What the view then shows goes into the timeline.
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
    /// Writes the changes this view sees into the launch's timeline.
    let timeline: TimelineKeeper?
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
            let record = TimelineStore(journal: journal)
            timeline = TimelineKeeper(store: record, vantage: nil, since: origin) { problem in
                emit(.message(problem ?? "the timeline is recorded again"))
            }
            journalTask = Task {
                var seen = -1
                var read = VantageReadings()
                var followed = TimelineFollower()
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
                        while let reading = try followed.next(from: record) { emit(.timeline(reading)) }
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
            timeline = nil
        }
        self.tasks = tasks
    }

    /// What the view shows after a batch of events goes into the timeline, when any of them
    /// can change a check or an alarm: once per batch, since working the changes out looks
    /// at every check.
    func observe(_ events: [CockpitEvent], state: CockpitState) {
        let changesChecks = events.contains { event in
            switch event {
            case .outcome, .tick, .vantages, .externalAlarms, .launch: true
            default: false
            }
        }
        if changesChecks { timeline?.observe(board: state.board, alarms: state.alarms) }
    }

    func stop() async {
        tasks.forEach { $0.cancel() }
        journalTask?.cancel()
        await journalTask?.value
        await timeline?.stop()
    }
}

/// Follows the timeline in the shared state: a look at most every second, asking only for
/// what was written since the last (a page at a time, at once while pages come full), and
/// for the writers that beat since.
struct TimelineFollower {
    static let interval = Duration.seconds(1)
    static let page = 5000

    private var lastID = 0
    private var lastLook: Date?
    private var due = ContinuousClock.now

    /// The next reading, or nil when no look is due or it found nothing new.
    mutating func next(from store: TimelineStore) throws -> TimelineReading? {
        guard ContinuousClock.now >= due else { return nil }
        let now = Date()
        let reading = try store.read(after: lastID, limit: Self.page,
                                     watchedSince: lastLook.map { $0.addingTimeInterval(-2 * TimelineWatch.beat.timeInterval) })
        lastID = reading.lastID
        lastLook = now
        due = reading.changes.count >= Self.page ? .now : .now + Self.interval
        return reading.changes.isEmpty && reading.watches.isEmpty ? nil : reading
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
