@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Watch log: a line per change, not per poll")
struct WatchLogTests {
    @Test("no verdict before every blocker is heard from; lines on a status, share or obstacle change; hostile text inert")
    func changes() throws {
        let plan = try PlanLoader.load(path: examplePath("local.yaml"), environment: [:]).get()
        var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 0))
        var log = WatchLog()
        var clock = 0
        func poll(_ id: String, _ status: CheckStatus, _ detail: String, observed: [String: ObservedValue] = [:]) {
            clock += 1
            state.reduce(.outcome(ProbeOutcome(checkID: id, finishedAt: .seconds(clock), status: status, detail: detail,
                                               latency: nil, observed: observed)))
        }
        let ids = plan.checks.map(\.id)
        poll(ids[0], .pass, "fine")
        #expect(log.lines(for: state) == ["00:00:00 check \(ids[0]) PASS: fine"])

        ids.dropFirst().forEach { poll($0, .pass, "fine") }
        let first = log.lines(for: state)
        #expect(first.count == ids.count)
        #expect(first.last == "00:00:00 verdict GO: all \(plan.checks.filter { $0.severity == .blocker }.count) blockers pass")

        ids.forEach { poll($0, .pass, "still fine") }
        #expect(log.lines(for: state).isEmpty)

        // Red after two failures (the plan's threshold); another reason for the same red is no news.
        poll("api-health", .fail, "HTTP 503, expected 200")
        #expect(log.lines(for: state).isEmpty)
        poll("api-health", .fail, "HTTP 503, expected 200")
        #expect(log.lines(for: state) == ["00:00:00 check api-health FAIL: HTTP 503, expected 200",
                                          "00:00:00 verdict NO-GO: 1 blocker failing: api-health"])
        poll("api-health", .fail, "HTTP 502, expected 200")
        #expect(log.lines(for: state).isEmpty)

        // A DNS record: each new share converged, and the moment an ETA is known.
        let eta: ObservedValue = .text("2026-12-01T14:00:00Z")
        let steps: [(String, [String: ObservedValue], Bool)] = [
            ("converging: 2 of 5", ["converged_percent": .number(40)], true),
            ("converging: 2 of 5", ["converged_percent": .number(40)], false),
            ("converging: 2 of 5; ETA", ["converged_percent": .number(40), "eta": eta], true),
            ("converging: 2 of 5; ETA in less", ["converged_percent": .number(40), "eta": eta], false),
            ("converging: 3 of 5; ETA", ["converged_percent": .number(60), "eta": eta], true),
        ]
        for (detail, observed, news) in steps {
            poll("dns-apex", .warn, detail, observed: observed)
            #expect(log.lines(for: state) == (news ? ["00:00:00 check dns-apex WARN: \(detail)"] : []), "\(detail)")
        }

        state.reduce(.launchUnavailable("the journal is locked"))
        #expect(log.lines(for: state) == ["00:00:00 launch state unavailable: the journal is locked"])
        #expect(log.lines(for: state).isEmpty)

        poll("web-home", .fail, "\u{1B}]0;pwned\u{07}\u{1B}[2Jgotcha")
        poll("web-home", .fail, "\u{1B}]0;pwned\u{07}\u{1B}[2Jgotcha")
        let hostile = log.lines(for: state)
        #expect(hostile.count == 2)
        #expect(hostile.allSatisfy { line in line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F } })
    }

    @Test("a flap under a standing critical alarm prints no repeated verdict lines")
    func noRepeatedVerdicts() throws {
        let plan = try PlanLoader.load(path: examplePath("local.yaml"), environment: [:]).get()
        var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 0))
        var log = WatchLog()
        var clock = 0
        func poll(_ id: String, _ status: CheckStatus) {
            clock += 1
            state.reduce(.outcome(ProbeOutcome(checkID: id, finishedAt: .seconds(clock), status: status, detail: "\(status)", latency: nil)))
        }
        plan.checks.forEach { poll($0.id, .pass) }
        state.reduce(.externalAlarms(source: "am", alarms: [Alarm(id: "am/Checkout", severity: .critical, source: "am", since: .seconds(clock),
                                                                 reason: "CheckoutErrorRate", checkID: "web-home")]))
        state.reduce(.tick(Date(timeIntervalSince1970: Double(clock))))
        let verdicts = { log.lines(for: state).filter { $0.contains(" verdict ") } }
        #expect(verdicts().map { $0.dropFirst(9) } == ["verdict NO-GO: critical alarm on a blocker: CheckoutErrorRate"])
        // api-health flaps red and green underneath: the verdict line would read the same.
        for _ in 0..<3 {
            poll("api-health", .fail)
            poll("api-health", .fail)
            #expect(verdicts().isEmpty)
            poll("api-health", .pass)
            #expect(verdicts().isEmpty)
        }
    }
}
