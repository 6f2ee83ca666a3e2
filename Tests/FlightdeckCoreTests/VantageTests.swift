@testable import FlightdeckCore
import Foundation
import PropertyBased
import Testing

/// Checks seen from several vantages: the plan's `vantages`, the agents' results folded into
/// the board, the quorum, and silence that is never green.
@Suite("Vantages: quorum and staleness")
struct VantageTests {
    static let yaml = """
        launch: { name: Vantages, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
        polling: { interval: 5s, failure_threshold: 1 }
        http:
          - { id: api, url: "http://127.0.0.1:9/health" }
        dns:
          records:
            - { id: dns-api, name: api, type: A, expected: [192.0.2.10], previous: [198.51.100.10] }
        commands:
          - { id: suite, run: ["true"] }
        """

    static func plan(_ extra: String = "") throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: yaml + "\n" + extra, file: "vantages.yaml").get()
    }

    static func problems(_ extra: String) -> [String] {
        guard case .failure(let failure) = PlanLoader(environment: [:]).load(text: yaml + "\n" + extra, file: "vantages.yaml") else { return [] }
        return failure.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)\($0.hint.map { " (\($0))" } ?? "")" }
    }

    static let start = Date(timeIntervalSince1970: 2_000_000_000)

    static func outcome(_ check: String, _ status: CheckStatus, _ reason: String, eta: String? = nil) -> PublishedOutcome {
        PublishedOutcome(check: check, status: status, reason: reason, observed: eta.map { ["eta": .text($0)] } ?? [:])
    }

    /// A reading at `start + at`: the agents beat `age` seconds before it, every 5 s.
    static func reading(_ results: [(String, PublishedOutcome)], beating: [String], age: Double = 1, at: Double = 0,
                        version: Int = 1) -> VantageReading {
        VantageReading(heartbeats: beating.map { .init(vantage: $0, host: "\($0).example", age: .seconds(age), every: .seconds(5)) },
                       results: results.map { .init(vantage: $0.0, age: .seconds(age), outcome: $0.1) },
                       version: version, readAt: start.addingTimeInterval(at))
    }

    static func local(_ status: CheckStatus, _ check: String = "api") -> ProbeOutcome {
        ProbeOutcome(checkID: check, finishedAt: .seconds(1), status: status, detail: status == .fail ? "HTTP 503" : "200 in 4 ms",
                     latency: .milliseconds(4))
    }

    func report(_ board: CheckBoard, _ id: String = "api") -> CheckReport {
        board.reports.first { $0.check.id == id }!
    }

    @Test("no agent: a check is exactly what this host sees")
    func aloneIsLocal() throws {
        var board = CheckBoard(plan: try Self.plan(), now: Self.start)
        board.record(Self.local(.pass))
        #expect(report(board).status == .pass)
        #expect(report(board).detail == "200 in 4 ms")
        #expect(board.views(of: report(board).check).isEmpty, "no vantage lines: this host alone")
    }

    @Test("quorum 1: an agent that fails makes the check red, naming it; the host's green does not outvote it")
    func oneFailureIsRed() throws {
        var board = CheckBoard(plan: try Self.plan(), now: Self.start)
        board.record(Self.local(.pass))
        board.apply(Self.reading([("eu-west", Self.outcome("api", .fail, "HTTP 503 from 192.0.2.10"))], beating: ["eu-west"]))
        #expect(report(board).status == .fail)
        #expect(report(board).detail == "fails from eu-west: HTTP 503 from 192.0.2.10")
        #expect(board.views(of: report(board).check).map { "\($0.vantage) \($0.status.rawValue): \($0.reason)" }
                == ["local pass: 200 in 4 ms", "eu-west fail: HTTP 503 from 192.0.2.10"])
        #expect(board.verdict.decision == .noGo)
    }

    @Test("quorum 2 of 3: one failing vantage is a warning that names it; two are red")
    func quorum() throws {
        var board = CheckBoard(plan: try Self.plan("vantages: { quorum: 2 }"), now: Self.start)
        board.record(Self.local(.pass))
        board.apply(Self.reading([("eu-west", Self.outcome("api", .fail, "timeout after 5 s")), ("us-east", Self.outcome("api", .pass, "200 in 80 ms"))],
                                 beating: ["eu-west", "us-east"]))
        #expect(report(board).status == .warn)
        #expect(report(board).detail == "fails from eu-west only: timeout after 5 s (2 of 3 pass; 2 failing make it red)")
        board.apply(Self.reading([("us-east", Self.outcome("api", .fail, "refused"))], beating: ["eu-west", "us-east"], version: 2))
        #expect(report(board).status == .fail)
        #expect(report(board).detail == "fails from eu-west, us-east: timeout after 5 s")
        board.record(Self.local(.fail))
        #expect(report(board).detail == "fails from local, eu-west, us-east (every vantage): HTTP 503")
    }

    @Test("an agent silent for more than stale_after heartbeats is unknown, never green, whatever it last said; beating again, it counts again")
    func silentAgentIsUnknown() throws {
        var board = CheckBoard(plan: try Self.plan("vantages: { stale_after: 3 }"), now: Self.start)
        board.record(Self.local(.pass))
        board.apply(Self.reading([("eu-west", Self.outcome("api", .pass, "200 in 80 ms"))], beating: ["eu-west"], age: 1))
        #expect(report(board).status == .pass)
        #expect(report(board).detail == "200 in 4 ms (from 2 vantages)")
        board.advance(to: Self.start.addingTimeInterval(14))
        #expect(report(board).status == .pass, "15 s (3 heartbeats of 5 s) is allowed")
        board.advance(to: Self.start.addingTimeInterval(17))
        #expect(report(board).status == .unknown)
        #expect(report(board).detail == "not known from eu-west: eu-west silent for 18 s")
        #expect(board.vantages.isStale("eu-west", now: board.now))
        #expect(board.verdict.decision == .undecided, "a silent vantage holds GO")
        board.apply(Self.reading([], beating: ["eu-west"], age: 0, at: 18, version: 2))
        #expect(report(board).status == .pass)
    }

    @Test("quorum 2 of 3 with one vantage silent: it could not make the check red alone, so it passes as a warning naming it; with one failing too it is unknown")
    func silentUnderQuorum() throws {
        var board = CheckBoard(plan: try Self.plan("vantages: { quorum: 2 }"), now: Self.start)
        board.record(Self.local(.pass))
        let results = [("eu-west", Self.outcome("api", .pass, "200")), ("ap-south", Self.outcome("api", .pass, "200"))]
        var reading = Self.reading(results, beating: ["eu-west", "ap-south"])
        reading.heartbeats[1].age = .seconds(30)
        board.apply(reading)
        #expect(report(board).status == .warn)
        #expect(report(board).detail == "not known from ap-south: ap-south silent for 30 s (2 of 3 pass; 2 failing make it red)")
        board.record(Self.local(.fail))
        #expect(report(board).status == .unknown, "one fails and one is silent: the quorum may be met")
        #expect(report(board).detail == "fails from local; not known from ap-south: ap-south silent for 30 s")
    }

    @Test("an agent that withdrew (stopped cleanly) leaves the board; a declared one is waited for")
    func withdrawn() throws {
        var board = CheckBoard(plan: try Self.plan(), now: Self.start)
        board.record(Self.local(.pass))
        board.apply(Self.reading([("eu-west", Self.outcome("api", .fail, "503"))], beating: ["eu-west"]))
        #expect(report(board).status == .fail)
        board.apply(Self.reading([], beating: [], version: 2))
        #expect(report(board).status == .pass)
        #expect(report(board).detail == "200 in 4 ms")

        var declared = CheckBoard(plan: try Self.plan("vantages: { points: [{ name: local }, { name: eu-west }] }"), now: Self.start)
        declared.record(Self.local(.pass))
        #expect(report(declared).status == .unknown)
        #expect(report(declared).detail == "not known from eu-west: eu-west has not reported")
        declared.apply(Self.reading([("eu-west", Self.outcome("api", .pass, "200"))], beating: ["eu-west"]))
        #expect(report(declared).status == .pass)
        declared.apply(Self.reading([], beating: [], version: 2))
        #expect(report(declared).status == .unknown, "a declared vantage that went away is not forgotten")
    }

    @Test("declared vantages run the checks they list; a host not among them probes none of those; commands are never a vantage's")
    func declaredChecks() throws {
        let plan = try Self.plan("""
            vantages:
              points:
                - { name: eu-west, checks: [dns-api] }
                - { name: us-east }
            """)
        let api = plan.checks.first { $0.id == "api" }!, dns = plan.checks.first { $0.id == "dns-api" }!
        let suite = plan.checks.first { $0.id == "suite" }!
        #expect(plan.vantages.runs(dns, from: "eu-west") && !plan.vantages.runs(api, from: "eu-west"))
        #expect(plan.vantages.runs(api, from: "us-east") && plan.vantages.runs(dns, from: "us-east"))
        #expect(!plan.vantages.runs(suite, from: "us-east"))
        #expect(!plan.vantages.hostRuns(api, as: "local") && plan.vantages.hostRuns(suite, as: "local"))
        var board = CheckBoard(plan: plan, now: Self.start)
        #expect(board.views(of: api).map(\.vantage) == ["us-east"])
        #expect(board.views(of: dns).map(\.vantage) == ["eu-west", "us-east"])
        board.apply(Self.reading([("us-east", Self.outcome("api", .pass, "200 in 9 ms"))], beating: ["us-east"]))
        #expect(report(board).status == .pass)
        #expect(report(board).detail == "200 in 9 ms (from 1 vantages)")
    }

    @Test("a host named as a vantage is that vantage: an agent of the same name is not read as another")
    func namedHost() throws {
        var board = CheckBoard(plan: try Self.plan(), now: Self.start, vantage: "bastion-a")
        board.record(Self.local(.pass))
        board.apply(Self.reading([("bastion-a", Self.outcome("api", .fail, "503")), ("eu-west", Self.outcome("api", .pass, "200"))],
                                 beating: ["bastion-a", "eu-west"]))
        #expect(board.views(of: report(board).check).map(\.vantage) == ["bastion-a", "eu-west"])
        #expect(report(board).status == .pass)
    }

    @Test("the DNS ETA is the slowest vantage's")
    func slowestETA() throws {
        var board = CheckBoard(plan: try Self.plan(), now: Self.start)
        board.apply(Self.reading([("eu-west", Self.outcome("dns-api", .warn, "converging", eta: "2030-01-01T00:05:00Z")),
                                  ("us-east", Self.outcome("dns-api", .warn, "converging", eta: "2030-01-01T00:09:30Z"))],
                                 beating: ["eu-west", "us-east"]))
        board.record(ProbeOutcome(checkID: "dns-api", finishedAt: .seconds(1), status: .warn, detail: "converging", latency: nil,
                                  observed: ["eta": .text("2030-01-01T00:07:00Z")]))
        #expect(report(board, "dns-api").status == .warn)
        #expect(report(board, "dns-api").observed["eta"] == .text("2030-01-01T00:09:30Z"))
    }

    @Test("what an agent published is read as remote text: escapes gone, sizes capped")
    func publishedTextIsSanitised() {
        let hostile = PublishedOutcome(check: "api\u{1B}[2J", status: .fail, reason: "\u{1B}]0;owned\u{07}" + String(repeating: "x", count: 5000),
                                       observed: Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)\u{9B}", ObservedValue.text("\u{1B}[31mred")) }),
                                       cells: Array(repeating: PublishedCell(PropagationCell(published: DNSServerRef(name: "r\u{1B}", address: "1", role: .resolver),
                                                                                              state: .match, values: ["\u{202E}evil"], ttl: 1, note: nil, validation: nil)), count: 1000))
        let clean = hostile.sanitized()
        let everything = ([clean.check, clean.reason] + clean.observed.keys + clean.observed.values.map(\.display)
                          + (clean.cells ?? []).flatMap { [$0.server] + $0.values }).joined()
        #expect(!everything.unicodeScalars.contains { RemoteText.isUnsafe($0.value) })
        #expect(clean.reason.count <= PublishedOutcome.limits.reason + 1)
        #expect(clean.observed.count == PublishedOutcome.limits.observed)
        #expect(clean.cells?.count == PublishedOutcome.limits.cells)
    }

    @Test("a published outcome survives JSON: numbers, flags, text and lists as they were")
    func roundTrip() throws {
        let outcome = PublishedOutcome(check: "api", status: .warn, reason: "slow", latencyMicroseconds: 4100,
                                       observed: ["status_code": .number(200), "redirects": .number(0), "tls": .flag(true),
                                                  "address": .text("192.0.2.1:443"), "findings": .list(["a", "b"]), "ratio": .number(0.5)])
        let decoded = try JSONDecoder().decode(PublishedOutcome.self, from: try JSONEncoder().encode(outcome))
        #expect(decoded == outcome)
    }

    @Test("plan: vantages are checked where they are written")
    func planProblems() {
        #expect(Self.problems("vantages: { points: [{ name: eu-west, checks: [suite] }, { name: local }] }")
                == ["10:48: `suite` is a command check: it runs where the sessions run, not from vantages (only dns, http and tls checks depend on the network that asks)"])
        #expect(Self.problems("vantages: { points: [{ name: eu-west, checks: [dns-api] }] }")
                == ["10:21: no vantage runs `api` (list them under a vantage's `checks`, or give a vantage (`local` is every session's own host) no `checks` to run them all)"])
        #expect(Self.problems("vantages: { points: [{ name: eu-west }, { name: eu-west }] }").first?.contains("duplicate vantage id `eu-west`") == true)
        #expect(Self.problems("vantages: { points: [{ name: eu-west, checks: [apii] }] }").contains { $0.contains("did you mean `api`?") })
        #expect(Self.problems("vantages: { quorum: 0 }").count == 1)
        #expect(Self.problems("vantages: { quorum: 2, stale_after: 4, points: [{ name: local }, { name: eu-west }] }").isEmpty)
    }

    @Test("over random vantages: never green while any vantage fails or is unknown; red exactly when the failing reach the quorum")
    func neverUnearnedGreen() async {
        // The first number is the quorum, each other one a vantage's status.
        await propertyCheck(count: 500, input: Gen.int(in: 0...11).array(of: 2...7)) { codes in
            let quorum = codes[0] % 6 + 1
            let statuses = codes.dropFirst().map { CheckStatus.allCases[$0 % 4] }
            let views = statuses.enumerated().map { VantageView(vantage: "v\($0)", status: $1, reason: "r\($0)") }
            let check = CheckDescriptor(id: "c", kind: .http, target: "t", severity: .blocker)
            let combined = VantageQuorum.combine(check, views: views, quorum: quorum)
            let failing = statuses.filter { $0 == .fail }.count
            let unknown = statuses.filter { $0 == .unknown }.count
            let needed = min(quorum, views.count)
            if failing + unknown > 0 { #expect(combined.status != .pass) }
            #expect((combined.status == .fail) == (failing >= needed))
            if failing < needed, failing + unknown >= needed { #expect(combined.status == .unknown) }
        }
    }
}

@Suite("Vantages: what alarms and votes see")
struct VantageConsequenceTests {
    @Test("the red rule follows the combined status: red at once when the vantages make it red, kept while one falls silent, this host's own rule again once alone")
    func combinedRedAlarm() throws {
        var engine = AlarmEngine(plan: try AlarmEngineTests.plan())
        let check = try AlarmEngineTests.plan().checks.first { $0.id == "api" }!
        let red = CheckReport(check: check, status: .fail, detail: "fails from eu-west: HTTP 503")
        engine.observe(AlarmEngineTests.outcome("api", .pass, at: 0))
        engine.observeCombined(red, for: "api", at: .seconds(5))
        engine.observe(AlarmEngineTests.outcome("api", .pass, at: 6))
        let alarms = engine.evaluate(at: .seconds(7))
        #expect(alarms.map(\.id) == ["rule/red/api"], "this host's green does not clear what the vantages make red")
        #expect(alarms.first?.severity == .critical && alarms.first?.since == .seconds(5))
        #expect(alarms.first?.reason == "api red: fails from eu-west: HTTP 503")
        engine.observeCombined(CheckReport(check: check, status: .unknown, detail: "not known from eu-west"), for: "api", at: .seconds(10))
        #expect(engine.evaluate(at: .seconds(11)).map(\.id) == ["rule/red/api"], "silence neither raises nor clears")
        engine.observeCombined(CheckReport(check: check, status: .warn, detail: "fails from eu-west only"), for: "api", at: .seconds(12))
        #expect(engine.evaluate(at: .seconds(13)).isEmpty)
        engine.observeCombined(nil, for: "api", at: .seconds(14))
        for second in [15, 16, 17] { engine.observe(AlarmEngineTests.outcome("api", .fail, at: second)) }
        #expect(engine.evaluate(at: .seconds(18)).first?.reason == "api red for 3 polls: HTTP 503", "alone again, the host's own polls count")
    }

    @Test("in the cockpit: an agent's failure raises the blocker's critical alarm; its recovery clears it")
    func cockpitAlarm() throws {
        let plan = try VantageTests.plan()
        var state = CockpitState(plan: plan, now: VantageTests.start)
        state.reduce(.outcome(VantageTests.local(.pass)))
        state.reduce(.vantages(VantageTests.reading([("eu-west", VantageTests.outcome("api", .fail, "HTTP 503"))], beating: ["eu-west"])))
        #expect(state.alarms.standing.contains { $0.id == "rule/red/api" && $0.severity == .critical })
        state.reduce(.vantages(VantageTests.reading([("eu-west", VantageTests.outcome("api", .pass, "200"))], beating: ["eu-west"], version: 2)))
        #expect(!state.alarms.standing.contains { $0.id == "rule/red/api" })
    }

    @Test("a vote's evidence says which vantages each blocker rested on; the digest covers them; a blocker seen from this host alone reads as before")
    func voteEvidence() {
        let plain = [EvidenceItem(id: "api", status: .pass), EvidenceItem(id: "checklist:legal", status: .pass)]
        let seen = VoteEvidence.items(plain, vantages: ["api": [EvidenceVantage(vantage: "local", status: .pass), EvidenceVantage(vantage: "eu-west", status: .warn)]])
        #expect(seen[0].vantages?.map(\.vantage) == ["local", "eu-west"])
        #expect(seen[1].vantages == nil)
        #expect(VoteEvidence.canonicalText(plain) == "api=pass\nchecklist:legal=pass\n", "entries written before vantages keep their digest")
        #expect(VoteEvidence.canonicalText(seen) == "api=pass local=pass,eu-west=warn\nchecklist:legal=pass\n")
        #expect(seen.map(\.judged) == plain)
    }
}
