import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation
import Synchronization

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Probe the plan's DNS, HTTP and TLS checks from this host's network, as a vantage every session reads.",
        discussion: """
            Runs until interrupted, publishing each outcome (status, reason, the values observed, the \
            timings, the DNS grid's cells) and a heartbeat into the launch's shared state: PostgreSQL \
            for agents on other hosts, or the SQLite state directory for agents on this one (in other \
            network namespaces). Each status change is printed. Stopped by Ctrl-C, kill or a hangup, \
            it withdraws, and the sessions stop waiting for it; killed outright, it is silent, and its \
            results count as unknown until it is started again under the same name.
            """)

    @OptionGroup var plan: PlanArgument

    @Option(help: "This vantage's name, as the plan declares it (or any name, when it declares none).")
    var vantage: String

    func run() async throws {
        let loaded = try plan.load()
        guard LaunchPlan.isValidID(vantage) else {
            Console.error("flightdeck: `\(vantage)` is not a vantage name: up to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit")
            throw ExitCode.usageOrPlanError
        }
        guard vantage != VantageSettings.local else {
            Console.error("flightdeck: `local` is every session's own host; name the agent after where it runs (eu-west, office, ci)")
            throw ExitCode.usageOrPlanError
        }
        let declared = loaded.vantages.points.map(\.name)
        guard declared.isEmpty || declared.contains(vantage) else {
            Console.error("flightdeck: the plan declares the vantages \(declared.joined(separator: ", ")); `\(vantage)` is not one of them")
            throw ExitCode.usageOrPlanError
        }
        let checks = loaded.checksRun(byAgent: vantage)
        guard !checks.isEmpty else {
            Console.error("flightdeck: \(vantage) runs no check: the plan has no DNS, HTTP or TLS check for it")
            throw ExitCode.usageOrPlanError
        }
        TerminationSignals.install()
        let journal: LaunchJournal
        do {
            journal = try LaunchJournal.open(StateDirectory(planPath: plan.path, plan: loaded), plan: loaded)
        } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
        let store = VantageStore(journal: journal)
        let agent = ProbeAgent(plan: loaded, planDirectory: plan.directory, vantage: vantage, checks: checks, store: store,
                               timeline: TimelineStore(journal: journal))
        Console.line("\(timeOfDay(Date())) agent \(vantage) on \(agent.host): \(checks.count) checks, a heartbeat every "
                     + "\(PlanDuration.format(agent.every)), into \(store.location)")
        await agent.run()
    }
}

/// One vantage's agent: polls its checks as a session does (the plan's intervals and
/// thresholds), and publishes what each shows, with a heartbeat, into the shared state; each
/// change of a check's status goes into the timeline, under the vantage.
/// An outcome goes at once when nothing was published in the last `gap`; otherwise it waits
/// out the gap with whatever else arrives, so a plan of many checks is a few transactions a
/// second, not one per probe. A state that cannot be reached keeps the newest outcome of
/// each check and is asked again with backoff.
struct ProbeAgent {
    let plan: LaunchPlan
    let planDirectory: String
    let vantage: String
    let checks: [CheckDescriptor]
    let store: VantageStore
    let timeline: TimelineStore
    let host = ProcessInfo.processInfo.hostName
    let instance: String
    let every: Duration
    /// The least time between two publications.
    static let gap = Duration.milliseconds(100)

    init(plan: LaunchPlan, planDirectory: String, vantage: String, checks: [CheckDescriptor], store: VantageStore, timeline: TimelineStore) {
        self.plan = plan
        self.planDirectory = planDirectory
        self.vantage = vantage
        self.checks = checks
        self.store = store
        self.timeline = timeline
        instance = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
        every = VantageSettings.heartbeat(polling: plan.polling)
    }

    func run() async {
        let outbox = Outbox(plan: plan)
        let vantage = vantage
        let record = TimelineKeeper(store: timeline, vantage: vantage) { problem in
            Console.line("\(timeOfDay(Date())) \(problem ?? "the timeline is recorded again")")
        }
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let probes = PlanProbes.make(for: plan, planDirectory: planDirectory, only: Set(checks.map(\.id)))
        let poller = Poller(probes: probes, concurrency: plan.polling.concurrency, clock: ContinuousClock())
        let polling = Task {
            await poller.run { outcome in
                if let change = outbox.record(outcome) {
                    Console.line("\(timeOfDay(Date())) check \(outcome.checkID) \(change.status.rawValue.uppercased()): \(change.reason)")
                    record.add([TimelineChange(at: Date(), what: .check(id: outcome.checkID, vantage: vantage, status: change.status),
                                               reason: change.reason)])
                }
                wake.yield()
            }
        }
        let beating = Task {
            while !Task.isCancelled {
                wake.yield()
                try? await Task.sleep(for: every)
            }
        }
        let (stops, stop) = AsyncStream<Void>.makeStream()
        TerminationSignals.onReceive {
            stop.yield()
            wake.finish()
        }
        let publishing = Task { await publish(wakes, outbox: outbox) }
        for await _ in stops { break }
        polling.cancel()
        beating.cancel()
        await publishing.value
        await record.stop()
        do {
            try store.withdraw(vantage: vantage, instance: instance)
            Console.line("\(timeOfDay(Date())) agent \(vantage) withdrawn")
        } catch {
            Console.error("flightdeck: not withdrawn, so sessions see \(vantage) as silent: \(error)")
        }
        TerminationSignals.onReceive(nil)
    }

    /// Publishes what the outbox holds each time it is woken (a heartbeat is due, or outcomes
    /// came), until the wake-ups end.
    private func publish(_ wakes: AsyncStream<Void>, outbox: Outbox) async {
        var failures = 0
        var held = false
        var published = ContinuousClock.now - Self.gap
        for await _ in wakes {
            try? await Task.sleep(until: published + Self.gap)
            published = .now
            let outcomes = outbox.take()
            let publication = VantagePublication(vantage: vantage, instance: instance, host: host, every: every, outcomes: outcomes)
            do {
                switch try store.publish(publication) {
                case .published:
                    if failures > 0 { Console.line("\(timeOfDay(Date())) shared state reachable again") }
                    if held { Console.line("\(timeOfDay(Date())) agent \(vantage) took over") }
                    failures = 0
                    held = false
                case .held(let holder, let other, let age):
                    outbox.putBack(outcomes)
                    if !held {
                        Console.line("\(timeOfDay(Date())) \(vantage) is published by \(other) on \(holder) (last heartbeat \(VantageView.describe(age)) ago); "
                                     + "waiting to take over once it is silent for \(plan.vantages.staleAfter) heartbeats")
                    }
                    held = true
                }
            } catch {
                outbox.putBack(outcomes)
                if failures == 0 { Console.line("\(timeOfDay(Date())) shared state unavailable: \(error); asking again") }
                failures += 1
                try? await Task.sleep(for: LaunchFeeds.journalRetryDelay(afterFailures: failures))
            }
        }
    }

    /// The outcomes waiting to be published: the newest of each check, after the plan's
    /// thresholds.
    final class Outbox: Sendable {
        private struct State {
            var health: [String: CheckHealth]
            var published: [String: CheckStatus] = [:]
            var waiting: [String: PublishedOutcome] = [:]
        }

        private let state: Mutex<State>

        init(plan: LaunchPlan) {
            state = Mutex(State(health: Dictionary(uniqueKeysWithValues: plan.checks.map {
                ($0.id, CheckHealth(failureThreshold: plan.polling.failureThreshold, successThreshold: plan.polling.successThreshold))
            })))
        }

        /// Takes in one outcome; returns the check's new status when it changed.
        func record(_ outcome: ProbeOutcome) -> (status: CheckStatus, reason: String)? {
            state.withLock { state in
                guard var health = state.health[outcome.checkID] else { return nil }
                health.record(outcome)
                state.health[outcome.checkID] = health
                state.waiting[outcome.checkID] = PublishedOutcome(check: outcome.checkID, health: health)
                guard state.published[outcome.checkID] != health.status else { return nil }
                state.published[outcome.checkID] = health.status
                return (health.status, health.reason)
            }
        }

        func take() -> [PublishedOutcome] {
            state.withLock { state in
                defer { state.waiting = [:] }
                return state.waiting.values.sorted { $0.check < $1.check }
            }
        }

        /// Outcomes that were not published wait again, unless a newer one came meanwhile.
        func putBack(_ outcomes: [PublishedOutcome]) {
            state.withLock { state in
                for outcome in outcomes where state.waiting[outcome.check] == nil { state.waiting[outcome.check] = outcome }
            }
        }
    }
}
