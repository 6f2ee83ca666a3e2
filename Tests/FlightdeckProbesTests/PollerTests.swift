import FlightdeckCore
import FlightdeckProbes
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
