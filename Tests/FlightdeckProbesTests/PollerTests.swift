import FlightdeckCore
import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Synchronization
import Testing

/// How many probe runs overlap, across probes.
final class Overlap: Sendable {
    let state = Mutex<(running: Int, peak: Int)>((0, 0))
    var peak: Int { state.withLock { $0.peak } }
}

/// A stand-in probe that only sleeps, to watch the poller's scheduling with a real clock.
/// It records how many of its own runs overlap and how many runs of any probe overlap.
final class SleepingProbe: Probe {
    let checkID: String
    let interval: Duration
    let timeout: Duration
    let workTime: Duration
    let shared: Overlap
    private let own = Mutex<(running: Int, peak: Int, runs: Int)>((0, 0, 0))

    init(_ id: String, interval: Duration, workTime: Duration, shared: Overlap) {
        checkID = id
        self.interval = interval
        timeout = workTime + .seconds(1)
        self.workTime = workTime
        self.shared = shared
    }

    var runs: Int { own.withLock { $0.runs } }
    var peakOverlap: Int { own.withLock { $0.peak } }

    func run(at now: Duration) async -> ProbeOutcome {
        own.withLock { $0.running += 1; $0.runs += 1; $0.peak = max($0.peak, $0.running) }
        shared.state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running) }
        try? await Task.sleep(for: workTime)
        shared.state.withLock { $0.running -= 1 }
        own.withLock { $0.running -= 1 }
        return ProbeOutcome(checkID: checkID, finishedAt: now, status: .pass, detail: "slept", latency: workTime)
    }
}

@Suite("Poller with a real clock")
struct PollerTests {
    @Test("bounded concurrency, no probe overlapping itself, a slow probe delaying no other")
    func scheduling() async throws {
        let shared = Overlap()
        let fast = SleepingProbe("fast", interval: .milliseconds(20), workTime: .milliseconds(1), shared: shared)
        let other = SleepingProbe("other", interval: .milliseconds(20), workTime: .milliseconds(1), shared: shared)
        let slow = SleepingProbe("slow", interval: .milliseconds(20), workTime: .milliseconds(400), shared: shared)
        let delivered = Mutex<[String]>([])
        let poller = Poller(probes: [slow, fast, other], concurrency: 2, clock: ContinuousClock())
        let polling = Task { await poller.run { outcome in delivered.withLock { $0.append(outcome.checkID) } } }
        // Wait for enough runs rather than a fixed time: other tests may hold the CPU a while.
        let started = ContinuousClock.now
        while fast.runs < 5 || other.runs < 5, ContinuousClock.now - started < .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        polling.cancel()
        await polling.value
        let elapsed = ContinuousClock.now - started

        #expect(shared.peak <= 2)
        for probe in [fast, other, slow] { #expect(probe.peakOverlap == 1, "\(probe.checkID) overlapped itself") }
        #expect(fast.runs >= 5 && other.runs >= 5, "fast \(fast.runs), other \(other.runs)")
        // The slow probe ran, but never more often than its 400 ms of work allows.
        #expect(slow.runs >= 1)
        #expect(Double(slow.runs) <= elapsed / .milliseconds(400) + 1)
        let outcomes = delivered.withLock { $0 }
        #expect(outcomes.filter { $0 == "fast" }.count >= fast.runs - 1)
    }

    @Test("one full poll runs every probe once, in plan order")
    func pollOnce() async {
        let shared = Overlap()
        let probes = (1...10).map { SleepingProbe("p\($0)", interval: .seconds(60), workTime: .milliseconds(10), shared: shared) }
        let outcomes = await PlanProbes.pollOnce(probes, concurrency: 3)
        #expect(outcomes.map(\.checkID) == probes.map(\.checkID))
        #expect(probes.allSatisfy { $0.runs == 1 })
        #expect(shared.peak <= 3)
    }
}

/// A probe that answers at once and notes when, on the poller's clock, each run started.
final class InstantProbe: Probe {
    let checkID: String
    let interval: Duration
    let timeout = Duration.seconds(1)
    private let starts = Mutex<[Duration]>([])

    init(_ id: String, interval: Duration) {
        checkID = id
        self.interval = interval
    }

    var runs: [Duration] { starts.withLock { $0 } }

    func run(at now: Duration) async -> ProbeOutcome {
        starts.withLock { $0.append(now) }
        return ProbeOutcome(checkID: checkID, finishedAt: now, status: .pass, detail: "at once", latency: .zero)
    }
}

@Suite("Poller in virtual time")
struct VirtualTimePollerTests {
    /// Waits, in real time, until the poller has done all it can at this instant: every
    /// expected run made and the poller asleep on the clock again. False once `deadline`
    /// (real time, for the whole test) has passed.
    static func settle(_ clock: ManualClock, by deadline: ContinuousClock.Instant, until done: () -> Bool) async -> Bool {
        while !(done() && clock.sleepers > 0) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    @Test("each probe runs on its own interval by the poller's clock: an hour of polling in milliseconds")
    func intervals() async {
        let clock = ManualClock()
        let often = InstantProbe("often", interval: .seconds(10))
        let rarely = InstantProbe("rarely", interval: .seconds(60))
        let poller = Poller(probes: [often, rarely], concurrency: 4, clock: clock, jitter: 0)
        let polling = Task { await poller.run { _ in } }
        // A safety net, not the measure: alone this takes well under a second, but beside
        // the rest of the suite on two cores the poller's task can wait its turn for long.
        let deadline = ContinuousClock.now + .seconds(120)
        var settled = await Self.settle(clock, by: deadline) { often.runs.count == 1 && rarely.runs.count == 1 }
        for step in 1...360 where settled {
            clock.advance(by: .seconds(10))
            settled = await Self.settle(clock, by: deadline) { often.runs.count == step + 1 && rarely.runs.count == step / 6 + 1 }
        }
        polling.cancel()
        await polling.value
        #expect(often.runs == (0...360).map { .seconds(10 * $0) }, "every 10 s, none missed, none twice")
        #expect(rarely.runs == (0...60).map { .seconds(60 * $0) })
    }
}
