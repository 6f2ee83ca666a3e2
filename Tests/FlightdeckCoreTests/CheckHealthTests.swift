@testable import FlightdeckCore
import Testing

private func outcome(_ status: CheckStatus, at seconds: Int, latency: Int? = 10) -> ProbeOutcome {
    ProbeOutcome(checkID: "api", finishedAt: .seconds(seconds), status: status, detail: "\(status) at \(seconds)s",
                 latency: latency.map { .milliseconds($0) })
}

@Suite("Check health: thresholds, window, history")
struct CheckHealthTests {
    @Test("unknown until the first result, never assumed good")
    func startsUnknown() {
        let health = CheckHealth(failureThreshold: 2, successThreshold: 2)
        #expect(health.status == .unknown)
        #expect(health.reason == "waiting for the first result")
    }

    @Test("red only after N consecutive failures; one blip does not flip it")
    func failureThreshold() {
        var health = CheckHealth(failureThreshold: 3, successThreshold: 1)
        health.record(outcome(.pass, at: 0))
        health.record(outcome(.fail, at: 10))
        health.record(outcome(.fail, at: 20))
        #expect(health.status == .pass)
        #expect(health.reason == "failed 2 of 3 times before red: fail at 20s")
        health.record(outcome(.pass, at: 30))
        health.record(outcome(.fail, at: 40))
        health.record(outcome(.fail, at: 50))
        #expect(health.status == .pass, "the count restarted after the success")
        health.record(outcome(.fail, at: 60))
        #expect(health.status == .fail)
        #expect(health.reason == "fail at 60s")
    }

    @Test("green again only after M consecutive successes")
    func successThreshold() {
        var health = CheckHealth(failureThreshold: 1, successThreshold: 3)
        health.record(outcome(.fail, at: 0))
        #expect(health.status == .fail)
        health.record(outcome(.pass, at: 10))
        health.record(outcome(.pass, at: 20))
        #expect(health.status == .fail)
        #expect(health.reason == "recovering (2 of 3 successes): pass at 20s")
        health.record(outcome(.fail, at: 30))
        health.record(outcome(.pass, at: 40))
        health.record(outcome(.pass, at: 50))
        #expect(health.status == .fail, "a failure restarts the recovery")
        health.record(outcome(.warn, at: 60))
        #expect(health.status == .warn, "recovered, but degraded")
    }

    @Test("warn is distinct from fail: degraded, not down, and it counts as up")
    func warn() {
        var health = CheckHealth(failureThreshold: 1, successThreshold: 1)
        health.record(outcome(.warn, at: 0))
        #expect(health.status == .warn)
        #expect(health.consecutiveFailures == 0)
        health.record(outcome(.pass, at: 10))
        #expect(health.status == .pass)
    }

    @Test("from unknown, a first failure below the threshold stays unknown (not GO)")
    func unknownFailure() {
        var health = CheckHealth(failureThreshold: 2, successThreshold: 1)
        health.record(outcome(.fail, at: 0))
        #expect(health.status == .unknown)
        health.record(outcome(.fail, at: 10))
        #expect(health.status == .fail)
    }

    @Test("history keeps the last 60 results, oldest first, for the sparkline")
    func history() {
        var health = CheckHealth(failureThreshold: 1, successThreshold: 1)
        for second in 0..<75 { health.record(outcome(second % 10 == 0 ? .fail : .pass, at: second, latency: second)) }
        #expect(health.history.count == 60)
        #expect(health.history.first?.at == .seconds(15))
        #expect(health.history.last?.latency == .milliseconds(74))
        #expect(health.history.filter { $0.status == .fail }.count == 6)
    }

    @Test("percentiles over the window, nearest rank")
    func percentiles() {
        var window = LatencyWindow(span: .seconds(300), capacity: 1000)
        for value in 1...100 { window.add(.milliseconds(value), at: .seconds(value)) }
        #expect(window.p50 == .milliseconds(50))
        #expect(window.p95 == .milliseconds(95))
        #expect(window.p99 == .milliseconds(99))
        #expect(window.percentile(1) == .milliseconds(100))
        #expect(LatencyWindow().p95 == nil)
    }

    @Test("the window forgets samples older than its span and beyond its capacity")
    func windowExpiry() {
        var window = LatencyWindow(span: .seconds(60), capacity: 5)
        window.add(.milliseconds(900), at: .seconds(0))
        window.add(.milliseconds(10), at: .seconds(30))
        #expect(window.count == 2)
        window.add(.milliseconds(20), at: .seconds(61))
        #expect(window.count == 2, "the 900 ms sample from t=0 is older than 60 s")
        #expect(window.p99 == .milliseconds(20))
        for second in 62..<70 { window.add(.milliseconds(second), at: .seconds(second)) }
        #expect(window.count == 5)
        #expect(window.p50 == .milliseconds(67))
    }

    @Test("a failed run adds no latency; latencies feed the window")
    func failuresHaveNoLatency() {
        var health = CheckHealth(failureThreshold: 1, successThreshold: 1)
        health.record(outcome(.fail, at: 0, latency: nil))
        health.record(outcome(.pass, at: 1, latency: 42))
        #expect(health.window.count == 1)
        #expect(health.window.p50 == .milliseconds(42))
    }
}

@Suite("Probe schedule in virtual time")
struct ProbeScheduleTests {
    /// Drives a schedule: every run takes `durations[id]`; returns each probe's start times.
    private func simulate(_ schedule: inout ProbeSchedule, until end: Duration, concurrency: Int,
                          durations: [String: Duration]) -> [String: [Duration]] {
        var starts: [String: [Duration]] = [:]
        var running: [(id: String, endsAt: Duration)] = []
        var now = Duration.zero
        while now <= end {
            for run in running where run.endsAt <= now { schedule.finish(run.id, at: run.endsAt) }
            running.removeAll { $0.endsAt <= now }
            for id in schedule.start(dueAt: now, limit: concurrency - running.count) {
                #expect(!running.contains { $0.id == id }, "\(id) started while running")
                starts[id, default: []].append(now)
                running.append((id, now + (durations[id] ?? .milliseconds(5))))
            }
            #expect(running.count <= concurrency)
            now += .milliseconds(10)
        }
        return starts
    }

    @Test("each probe runs on its interval, within the jitter")
    func intervals() {
        var schedule = ProbeSchedule(probes: [.init(id: "a", interval: .seconds(10)), .init(id: "b", interval: .seconds(3))], jitter: 0.1)
        let starts = simulate(&schedule, until: .seconds(120), concurrency: 4, durations: [:])
        let a = starts["a"] ?? []
        #expect((11...13).contains(a.count))
        for (earlier, later) in zip(a, a.dropFirst()) {
            #expect(later - earlier >= .seconds(8) && later - earlier <= .seconds(12), "gap \(later - earlier)")
        }
        #expect((36...44).contains(starts["b"]?.count ?? 0))
        #expect(a.first! < .seconds(2), "first runs come within 2 x jitter of an interval")
    }

    @Test("without jitter the schedule is exact")
    func exact() {
        var schedule = ProbeSchedule(probes: [.init(id: "a", interval: .seconds(5))], jitter: 0)
        let starts = simulate(&schedule, until: .seconds(20), concurrency: 1, durations: [:])
        #expect(starts["a"] == [.zero, .seconds(5), .seconds(10), .seconds(15), .seconds(20)])
    }

    @Test("a probe slower than its interval never overlaps itself and never bursts to catch up")
    func overrun() {
        var schedule = ProbeSchedule(probes: [.init(id: "slow", interval: .seconds(1))], jitter: 0)
        let starts = simulate(&schedule, until: .seconds(10), concurrency: 4, durations: ["slow": .milliseconds(2500)])
        // Back to back, each 2.5 s: 0, 2.5, 5, 7.5, 10.
        #expect(starts["slow"] == [.zero, .milliseconds(2500), .seconds(5), .milliseconds(7500), .seconds(10)])
    }

    @Test("a slow probe holds one slot and delays no other")
    func slowProbeDoesNotDelayOthers() {
        let probes = [ProbeSchedule.Probe(id: "stuck", interval: .seconds(1))]
            + (1...3).map { ProbeSchedule.Probe(id: "fast\($0)", interval: .seconds(1)) }
        var schedule = ProbeSchedule(probes: probes, jitter: 0)
        let starts = simulate(&schedule, until: .seconds(30), concurrency: 2, durations: ["stuck": .seconds(60)])
        #expect(starts["stuck"]?.count == 1)
        for fast in ["fast1", "fast2", "fast3"] {
            #expect((starts[fast]?.count ?? 0) >= 25, "\(fast) ran \(starts[fast]?.count ?? 0) times")
        }
    }

    @Test("when more are due than slots are free, the longest waiting goes first")
    func fairness() {
        var schedule = ProbeSchedule(probes: (1...6).map { .init(id: "p\($0)", interval: .seconds(60)) }, jitter: 0)
        #expect(schedule.start(dueAt: .zero, limit: 2) == ["p1", "p2"])
        #expect(schedule.running == 2)
        #expect(schedule.nextDue == .zero)
        schedule.finish("p1", at: .seconds(1))
        #expect(schedule.start(dueAt: .seconds(1), limit: 1) == ["p3"])
        #expect(schedule.start(dueAt: .seconds(1), limit: 0) == [])
    }

    @Test("the same seed gives the same schedule")
    func deterministic() {
        let probes = (1...20).map { ProbeSchedule.Probe(id: "p\($0)", interval: .seconds(15)) }
        var first = ProbeSchedule(probes: probes, seed: 42)
        var second = ProbeSchedule(probes: probes, seed: 42)
        #expect(simulate(&first, until: .seconds(60), concurrency: 8, durations: [:])
                == simulate(&second, until: .seconds(60), concurrency: 8, durations: [:]))
    }
}

@Suite("Check board")
struct CheckBoardTests {
    @Test("outcomes feed each check through its thresholds; the verdict follows")
    func board() throws {
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: example.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { failure_threshold: 2, success_threshold: 1 }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            http:
              - { id: api, url: "https://api.example.test/health" }
              - { id: docs, url: "https://docs.example.test/", severity: minor }
            """, file: "t.yaml").get()
        var board = CheckBoard(plan: plan)
        #expect(board.reports.map(\.status) == [.unknown, .unknown])
        #expect(!board.verdict.isGo)
        board.record(ProbeOutcome(checkID: "api", finishedAt: .seconds(1), status: .pass, detail: "200 in 3 ms", latency: .milliseconds(3)))
        #expect(board.verdict.isGo, "the minor check does not block")
        board.record(ProbeOutcome(checkID: "api", finishedAt: .seconds(2), status: .fail, detail: "HTTP 503, expected 200-299", latency: nil))
        #expect(board.verdict.isGo, "one failure is below the threshold of 2")
        #expect(board.reports[0].detail == "failed 1 of 2 times before red: HTTP 503, expected 200-299")
        board.record(ProbeOutcome(checkID: "api", finishedAt: .seconds(3), status: .fail, detail: "HTTP 503, expected 200-299", latency: nil))
        #expect(!board.verdict.isGo)
        #expect(board.verdict.reason == "1 blocking check failing: api")
        board.record(ProbeOutcome(checkID: "nope", finishedAt: .seconds(4), status: .pass, detail: "", latency: nil))
        #expect(board.health.count == 2)
    }
}
