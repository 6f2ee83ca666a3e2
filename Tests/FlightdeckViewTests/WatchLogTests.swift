@testable import FlightdeckCore
import FlightdeckStore
import FlightdeckView
import Foundation
import Testing

/// The local example plan's cockpit state, fed one outcome at a time on a clock that moves
/// a second per outcome.
private struct LocalBoard {
    var state: CockpitState
    var clock = 0

    /// - Parameter launchRead: whether the shared launch state has been read, as it is a
    ///   moment after a watch starts.
    init(launchRead: Bool = true) throws {
        state = CockpitState(plan: try PlanLoader.load(path: packageRoot.appendingPathComponent("Examples/local.yaml").path, environment: [:]).get(),
                             now: Date(timeIntervalSince1970: 0))
        if launchRead { state.reduce(.launch(LaunchState(plan: state.plan))) }
    }

    mutating func poll(_ id: String, _ status: CheckStatus, _ detail: String, observed: [String: ObservedValue] = [:]) {
        clock += 1
        state.reduce(.outcome(ProbeOutcome(checkID: id, finishedAt: .seconds(clock), status: status, detail: detail,
                                           latency: nil, observed: observed)))
    }
}

@Suite("Watch log: a line per change, not per poll")
struct WatchLogTests {
    @Test("no verdict before every blocker is heard from; lines on a status, share or obstacle change; hostile text inert")
    func changes() throws {
        var board = try LocalBoard()
        let plan = board.state.plan
        var log = WatchLog()
        let ids = plan.checks.map(\.id)
        board.poll(ids[0], .pass, "fine")
        #expect(log.lines(for: board.state) == ["00:00:00 check \(ids[0]) PASS: fine", "00:00:00 launch READINESS"])

        ids.dropFirst().forEach { board.poll($0, .pass, "fine") }
        let first = log.lines(for: board.state)
        #expect(first.count == ids.count)
        #expect(first.last == "00:00:00 verdict GO: all \(plan.checks.filter { $0.severity == .blocker }.count) blocking checks pass")

        ids.forEach { board.poll($0, .pass, "still fine") }
        #expect(log.lines(for: board.state).isEmpty)

        // Red after two failures (the plan's threshold); another reason for the same red is no news.
        board.poll("api-health", .fail, "HTTP 503, expected 200")
        #expect(log.lines(for: board.state).isEmpty)
        board.poll("api-health", .fail, "HTTP 503, expected 200")
        #expect(log.lines(for: board.state) == ["00:00:00 check api-health FAIL: HTTP 503, expected 200",
                                          "00:00:00 verdict NO-GO: 1 blocking check failing: api-health"])
        board.poll("api-health", .fail, "HTTP 502, expected 200")
        #expect(log.lines(for: board.state).isEmpty)

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
            board.poll("dns-apex", .warn, detail, observed: observed)
            #expect(log.lines(for: board.state) == (news ? ["00:00:00 check dns-apex WARN: \(detail)"] : []), "\(detail)")
        }

        board.state.reduce(.launchUnavailable("the journal is locked"))
        #expect(log.lines(for: board.state) == ["00:00:00 launch state unavailable: the journal is locked"])
        #expect(log.lines(for: board.state).isEmpty)

        board.poll("web-home", .fail, "\u{1B}]0;pwned\u{07}\u{1B}[2Jgotcha")
        board.poll("web-home", .fail, "\u{1B}]0;pwned\u{07}\u{1B}[2Jgotcha")
        let hostile = log.lines(for: board.state)
        #expect(hostile.count == 2)
        #expect(hostile.allSatisfy { line in line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F } })

        board.state.reduce(.launch(LaunchState(plan: board.state.plan)))
        #expect(log.lines(for: board.state).contains("00:00:00 launch state reachable again"))
    }

    @Test("no verdict before the shared launch state is read: a broken journal makes it NO-GO whatever the checks say")
    func verdictWaitsForTheJournal() throws {
        var board = try LocalBoard(launchRead: false)
        var log = WatchLog()
        board.state.plan.checks.forEach { board.poll($0.id, .pass, "fine") }
        #expect(!log.lines(for: board.state).contains { $0.contains("verdict") })
        var broken = LaunchState(plan: board.state.plan)
        broken.markBroken(ChainBreak(seq: 3, problem: "entry 3 does not match its hash: edited after it was written"))
        board.state.reduce(.launch(broken))
        let lines = log.lines(for: board.state)
        #expect(lines.contains { $0.hasPrefix("00:00:00 verdict NO-GO: the launch journal is broken at entry 3") }, "\(lines)")
    }

    @Test("a flap under a standing critical alarm prints no repeated verdict lines")
    func noRepeatedVerdicts() throws {
        var board = try LocalBoard()
        let plan = board.state.plan
        var log = WatchLog()
        plan.checks.forEach { board.poll($0.id, .pass, "pass") }
        board.state.reduce(.externalAlarms(source: "am", alarms: [Alarm(id: "am/Checkout", severity: .critical, source: "am", since: .seconds(board.clock),
                                                                 reason: "CheckoutErrorRate", checkID: "web-home")]))
        board.state.reduce(.tick(Date(timeIntervalSince1970: Double(board.clock))))
        let verdicts = { log.lines(for: board.state).filter { $0.contains(" verdict ") } }
        #expect(verdicts().map { $0.dropFirst(9) } == ["verdict NO-GO: critical alarm on a blocker: CheckoutErrorRate"])
        // api-health flaps red and green underneath: the verdict line would read the same.
        for _ in 0..<3 {
            board.poll("api-health", .fail, "fail")
            board.poll("api-health", .fail, "fail")
            #expect(verdicts().isEmpty)
            board.poll("api-health", .pass, "pass")
            #expect(verdicts().isEmpty)
        }
    }
}
