import FlightdeckCore

/// Anything the poller can run: one check of the plan.
public protocol Probe: AnyObject, Sendable {
    var checkID: String { get }
    var interval: Duration { get }
    /// The probe must finish within this (the HTTP probe hands it to libcurl); a slow probe
    /// holds one of the poller's slots until then and delays no other.
    var timeout: Duration { get }
    /// Runs once; `now` is when the run started on the poller's clock.
    func run(at now: Duration) async -> ProbeOutcome
}

/// Runs every probe on its interval through a ``ProbeSchedule``, at most `concurrency` at
/// once, and hands each outcome to `deliver` as it arrives. The clock is injected: tests
/// drive it, the cockpit uses the continuous clock.
public struct Poller<C: Clock>: Sendable where C.Duration == Duration {
    public let probes: [any Probe]
    public let concurrency: Int
    public let clock: C
    public let jitter: Double

    public init(probes: [any Probe], concurrency: Int, clock: C, jitter: Double = 0.1) {
        self.probes = probes
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.jitter = jitter
    }

    private enum Signal: Sendable {
        case tick
        case finished(String, ProbeOutcome)
    }

    /// Polls until the calling task is cancelled.
    public func run(deliver: @escaping @Sendable (ProbeOutcome) async -> Void) async {
        let byID = Dictionary(probes.map { ($0.checkID, $0) }, uniquingKeysWith: { first, _ in first })
        var schedule = ProbeSchedule(probes: probes.map { ProbeSchedule.Probe(id: $0.checkID, interval: $0.interval) },
                                     jitter: jitter)
        let start = clock.now
        let (signals, signal) = AsyncStream<Signal>.makeStream()
        // A discarding group frees each probe run when it ends; a plain task group keeps every
        // finished child until its result is awaited, which this loop never does: that grew
        // by every poll of every check, all day.
        await withDiscardingTaskGroup { group in
            var timer: Task<Void, Never>?
            func dispatch() {
                let now = start.duration(to: clock.now)
                for id in schedule.start(dueAt: now, limit: concurrency - schedule.running) {
                    guard let probe = byID[id] else { continue }
                    group.addTask {
                        let outcome = await probe.run(at: now)
                        signal.yield(.finished(id, outcome))
                    }
                }
                timer?.cancel()
                timer = nil
                if let due = schedule.nextDue, schedule.running < concurrency {
                    timer = Task { [clock] in
                        try? await clock.sleep(until: start.advanced(by: due), tolerance: nil)
                        if !Task.isCancelled { signal.yield(.tick) }
                    }
                }
            }
            dispatch()
            for await event in signals {
                if case .finished(let id, var outcome) = event {
                    let now = start.duration(to: clock.now)
                    schedule.finish(id, at: now)
                    outcome.finishedAt = now
                    await deliver(outcome)
                }
                dispatch()
            }
            timer?.cancel()
            group.cancelAll()
        }
    }
}
