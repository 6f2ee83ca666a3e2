@testable import FlightdeckCore
import Foundation
import Testing

/// The verdict a room reads at a glance must not blink: a blocker that keeps changing holds
/// it at NO-GO until the check has held still for the flap window. Virtual time: a poll a
/// second, for half an hour, in a fraction of a second.
@Suite("Verdict stability in virtual time")
struct VerdictStabilityTests {
    private static let plan = try! PlanLoader(environment: [:]).load(text: """
        launch: { name: Flapping, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
        polling: { interval: 1s, timeout: 1s, failure_threshold: 1, success_threshold: 1 }
        http: [{ id: api-health, url: "http://127.0.0.1:9/health" }]
        alarms: { rules: { red_polls: 1, flap_changes: 4, flap_window: 5m } }
        """, file: "flapping.yaml").get()

    private struct Run {
        var state = CockpitState(plan: VerdictStabilityTests.plan, now: Date(timeIntervalSince1970: 0))
        var second = 0
        /// Each second's decision, and every time it changed.
        var changes: [(second: Int, decision: CheckVerdict.Decision)] = []

        mutating func poll(_ status: CheckStatus) {
            second += 1
            state.reduce(.outcome(ProbeOutcome(checkID: "api-health", finishedAt: .seconds(second), status: status,
                                               detail: status == .pass ? "200 in 3 ms" : "HTTP 503", latency: nil)))
            state.reduce(.tick(Date(timeIntervalSince1970: TimeInterval(second))))
            let decision = CheckVerdict(reports: state.board.reports, alarms: state.alarms.standing).decision
            if changes.last?.decision != decision { changes.append((second, decision)) }
        }

        var verdict: CheckVerdict { CheckVerdict(reports: state.board.reports, alarms: state.alarms.standing) }
    }

    @Test("a blocker flapping every second: a few changes, then NO-GO (flapping) and nothing more until it holds still for the window")
    func flappingHoldsNoGo() {
        var run = Run()
        for poll in 0..<600 { run.poll(poll % 2 == 0 ? .pass : .fail) }
        #expect(run.changes.count <= 4, "the verdict changed \(run.changes.count) times in ten minutes: \(run.changes.map { "\($0.second)s \($0.decision)" })")
        #expect(run.verdict.decision == .noGo)
        #expect(run.verdict.reason.hasPrefix("blocking check flapping: api-health is flapping"), "\(run.verdict.reason)")
        #expect(run.verdict.obstacles.contains("rule/flapping/api-health"), "what stands in the way names the flapping alarm: \(run.verdict.obstacles)")

        // Green from now on: still NO-GO while the changes are inside the window, GO once it has held still for all of it.
        let steadyFrom = run.second + 1
        for _ in 0..<299 { run.poll(.pass) }
        #expect(run.verdict.decision == .noGo, "green for \(run.second - steadyFrom + 1) s is not yet a whole flap window")
        for _ in 0..<5 { run.poll(.pass) }
        #expect(run.verdict.isGo, "\(run.verdict.reason)")
        #expect(run.verdict.obstacles.isEmpty)
        #expect(run.changes.last.map { $0.second - steadyFrom >= 299 } == true, "GO came \(run.changes.last!.second - steadyFrom) s after the last change")
    }

    @Test("a blocker that turns red once and recovers changes the verdict twice, as its thresholds say")
    func oneOutage() {
        var run = Run()
        for _ in 0..<10 { run.poll(.pass) }
        for _ in 0..<3 { run.poll(.fail) }
        for _ in 0..<10 { run.poll(.pass) }
        #expect(run.changes.map(\.decision) == [.go, .noGo, .go])
    }
}
