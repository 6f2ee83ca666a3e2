@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Timeline: what is recorded, red since, the review")
struct TimelineTests {
    static let start = Date(timeIntervalSince1970: 2_000_000_000)

    static let yaml = """
        launch: { name: Timeline, zone: example.test, t0: 2033-05-18T05:00Z, timezone: UTC }
        polling: { failure_threshold: 1, interval: 10s }
        http:
          - { id: api, url: "http://127.0.0.1:9/health", severity: blocker }
          - { id: web, url: "http://127.0.0.1:9/", severity: minor }
        alarms:
          rules: { red_polls: 1 }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        """

    static func plan() throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: yaml, file: "timeline.yaml").get()
    }

    static func at(_ seconds: Double) -> Date { start.addingTimeInterval(seconds) }

    static func check(_ id: String, _ status: CheckStatus, at seconds: Double, vantage: String? = nil) -> TimelineChange {
        TimelineChange(at: at(seconds), what: .check(id: id, vantage: vantage, status: status), reason: "\(id) \(status.rawValue)")
    }

    static func watch(_ from: Double, _ to: Double, vantage: String? = nil, instance: String = UUID().uuidString) -> TimelineWatch {
        TimelineWatch(instance: instance, host: "bastion", vantage: vantage, from: at(from), to: at(to))
    }

    /// A cockpit's state fed outcomes and ticks, with a recorder beside it as the loops have.
    struct Session {
        var state: CockpitState
        var recorder = TimelineRecorder()
        var recorded: [TimelineChange] = []

        init(plan: LaunchPlan, now: Date = TimelineTests.start) {
            state = CockpitState(plan: plan, now: now)
        }

        mutating func look() {
            recorded += recorder.changes(board: state.board, alarms: state.alarms, now: state.now)
        }

        mutating func probe(_ check: String, _ status: CheckStatus) {
            state.reduce(.outcome(ProbeOutcome(checkID: check, finishedAt: .seconds(state.now.timeIntervalSince(state.clockOrigin)),
                                               status: status, detail: status == .fail ? "HTTP 503" : "200", latency: .milliseconds(20))))
            look()
        }

        mutating func tick(_ seconds: Double = 1) {
            state.reduce(.tick(state.now.addingTimeInterval(seconds)))
            look()
        }

        var lines: [String] { recorded.map { "\($0.kind.rawValue) \($0.subject) \($0.state)" } }
    }

    @Test("a session records each change once: nothing while a check waits for its first result, its first status, each change after; an alarm's firing when it began and its resolving")
    func recorder() throws {
        var session = Session(plan: try Self.plan())
        session.tick()
        #expect(session.recorded.isEmpty, "a session that knows nothing yet says nothing")
        session.probe("api", .pass)
        session.probe("api", .pass)
        session.tick()
        #expect(session.lines == ["check api pass"])
        session.tick(5)
        session.probe("api", .fail)
        session.tick()
        #expect(session.lines == ["check api pass", "check api fail", "alarm rule/red/api firing"])
        let firing = try #require(session.recorded.last)
        #expect(firing.at == Self.at(7), "when the condition began, not when the rules were next asked")
        #expect(firing.reason.contains("HTTP 503"))
        guard case .alarm(_, _, .critical, "api") = firing.what else { Issue.record("a blocker's red is critical, on its check: \(firing.what)"); return }
        session.probe("api", .pass)
        session.tick()
        #expect(session.lines.suffix(2) == ["check api pass", "alarm rule/red/api resolved"])
        session.tick()
        session.probe("api", .fail)
        session.tick()
        #expect(session.lines.suffix(2) == ["check api fail", "alarm rule/red/api firing"], "firing again is a new occurrence")
        #expect(session.recorded.count == 7)
    }

    @Test("an alarm that fires and clears while the board's clock steps back a little still reads fired, then resolved")
    func resolvedNeverBeforeFiring() throws {
        let plan = try Self.plan()
        var alarms = AlarmBoard(plan: plan)
        var recorder = TimelineRecorder()
        let board = CockpitState(plan: plan, now: Self.start).board
        alarms.record(source: "alertmanager", alarms: [Alarm(id: "alertmanager/Checkout", severity: .critical, source: "alertmanager",
                                                             since: .seconds(10), reason: "checkout 5xx")])
        alarms.update(clock: .seconds(10), now: Self.at(10), launch: nil)
        let fired = recorder.changes(board: board, alarms: alarms, now: Self.at(10))
        alarms.record(source: "alertmanager", alarms: [])
        alarms.update(clock: .seconds(10), now: Self.at(10).addingTimeInterval(-0.00001), launch: nil)
        let resolved = recorder.changes(board: board, alarms: alarms, now: Self.at(10))
        #expect(fired.map(\.state) == ["firing"] && resolved.map(\.state) == ["resolved"])
        #expect(try #require(resolved.first).at >= (try #require(fired.first)).at)
    }

    @Test("red since comes from the record: a cockpit opened mid-launch knows when the check turned red; a gap in watching says only what is known; nobody watching now, nothing")
    func redSince() throws {
        var record = TimelineRecord()
        record.apply(TimelineReading(changes: [Self.check("api", .pass, at: 0), Self.check("api", .fail, at: 100)],
                                     watches: [Self.watch(0, 590, instance: "earlier")], lastID: 2))
        let now = Self.at(600)
        #expect(record.redSince("api", now: now) == TimelineRecord.RedSince(since: Self.at(100), firstSeen: Self.at(100)))
        #expect(record.redSince("api", now: now)?.watchedThroughout == true)
        #expect(record.redSince("web", now: now) == nil)
        #expect(record.status(of: "api", at: Self.at(50)) == .pass)
        #expect(record.status(of: "api", at: Self.at(150)) == .fail)
        #expect(record.status(of: "api", at: Self.at(-50)) == nil, "before anyone watched")

        // That session stopped at 200; this one started at 400.
        var gap = TimelineRecord()
        gap.apply(TimelineReading(changes: [Self.check("api", .fail, at: 100)],
                                  watches: [Self.watch(0, 200, instance: "a"), Self.watch(400, 590, instance: "b")], lastID: 1))
        let red = try #require(gap.redSince("api", now: now))
        #expect(red.since == Self.at(400) && red.firstSeen == Self.at(100) && !red.watchedThroughout)
        #expect(gap.status(of: "api", at: Self.at(300)) == nil, "nobody watched then")
        #expect(gap.unwatched(from: Self.at(0), to: now).map { $0.from.timeIntervalSince(Self.start) } == [200 + TimelineWatch.slack])

        var stale = TimelineRecord()
        stale.apply(TimelineReading(changes: [Self.check("api", .fail, at: 100)], watches: [Self.watch(0, 200)], lastID: 1))
        #expect(stale.redSince("api", now: now) == nil, "what nobody watches now is not known to hold")
    }

    @Test("the row of a red check says since when, from the record, before this cockpit has seen a single result of its own; the sparkline starts with what the record saw")
    func rowSince() throws {
        var session = Session(plan: try Self.plan(), now: Self.at(600))
        session.state.reduce(.timeline(TimelineReading(changes: [Self.check("api", .pass, at: 0), Self.check("api", .fail, at: 540)],
                                                       watches: [Self.watch(0, 600)], lastID: 2)))
        session.probe("api", .fail)
        let row = try #require(session.state.rows(.health, width: 160).first { $0.id == .check("api") })
        #expect(row.text.contains("since \(timeOfDay(Self.at(540)).prefix(5)): HTTP 503"), "\(row.text)")
        #expect(row.text.contains("·····✕✕✕✕✕✕✕"), "eleven polls of 10 s before from the record (five passed, six red), then this cockpit's own: \(row.text)")
        let detail = row.detail.joined(separator: "\n")
        #expect(detail.contains("red since \(LaunchRecord.timestamp(Self.at(540))) (1m 00s), as the timeline has it"), "\(detail)")
        #expect(detail.contains("timeline: \(timeOfDay(Self.at(0))) pass · \(timeOfDay(Self.at(540))) fail"), "\(detail)")
        let web = try #require(session.state.rows(.health, width: 160).first { $0.id == .check("web") })
        #expect(!web.text.contains("since"))
    }

    @Test("the Timeline pane lists the day newest first: changes, journal entries, the time nobody watched; the filter narrows by kind, severity or check, red-only to what was red")
    func pane() throws {
        let plan = try Self.plan()
        var session = Session(plan: plan, now: Self.at(1000))
        var launch = LaunchState(plan: plan)
        let ada = LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion", approver: "Ada")
        launch.apply(LaunchRecord(seq: 1, at: Self.at(150), actor: ada, event: .alarmAcknowledged(alarm: "rule/red/api", reason: "on it")))
        session.state.reduce(.launch(launch))
        let firing = TimelineChange(at: Self.at(101), what: .alarm(id: "rule/red/api", state: .firing, severity: .critical, check: "api"),
                                    reason: "api red: HTTP 503")
        session.state.reduce(.timeline(TimelineReading(
            changes: [Self.check("api", .pass, at: 0), Self.check("api", .fail, at: 100), firing, Self.check("web", .fail, at: 120),
                      Self.check("api", .fail, at: 130, vantage: "eu-west"), Self.check("api", .pass, at: 700)],
            watches: [Self.watch(0, 300, instance: "a"), Self.watch(600, 1000, instance: "b")], lastID: 6)))
        session.state.reduce(.action(.pane7))
        #expect(session.state.focus == .timeline)
        let rows = session.state.rows(.timeline, width: 160)
        #expect(rows.count == 8)
        #expect(rows.first?.text.contains("check") == true && rows.first?.text.contains("api") == true && rows.first?.text.contains("pass") == true)
        #expect(rows[1].text.contains("unwatched") && rows[1].text.contains("nothing watched the checks for 4m 15s"), "\(rows[1].text)")
        #expect(rows.map(\.text).contains { $0.contains("journal") && $0.contains("#1") && $0.contains("alarm rule/red/api acknowledged: on it (Ada)") })
        #expect(rows.map(\.text).contains { $0.contains("api @eu-west") && $0.contains("FAIL") })
        #expect(rows.last?.text.hasPrefix(timeOfDay(Self.at(0))) == true)

        session.state.reduce(.action(.filter))
        for character in "critical" { session.state.reduce(.key(.character(character))) }
        #expect(session.state.rows(.timeline).map(\.text).allSatisfy { $0.contains("critical") })
        #expect(session.state.rows(.timeline).count == 1)
        session.state.reduce(.action(.close))
        session.state.reduce(.action(.filter))
        for character in "web" { session.state.reduce(.key(.character(character))) }
        #expect(session.state.rows(.timeline).count == 1)
        session.state.reduce(.action(.close))
        session.state.reduce(.action(.redOnly))
        #expect(session.state.rows(.timeline).count == 4, "api and web red, eu-west's red, the critical alarm: \(session.state.rows(.timeline).map(\.text))")
        session.state.reduce(.action(.redOnly))
        session.state.reduce(.action(.open))
        #expect(session.state.detailLines().contains { $0.contains("check api turned pass as the launch saw it") })
    }

    @Test("the review: how long each check was red while watched, and for each alarm the minutes from its check's first red to the acknowledgement")
    func review() throws {
        let plan = try Self.plan()
        let ada = LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion", approver: "Ada")
        let fired = TimelineChange(at: Self.at(190), what: .alarm(id: "rule/red/api", state: .firing, severity: .critical, check: "api"), reason: "api red")
        let resolved = TimelineChange(at: Self.at(400), what: .alarm(id: "rule/red/api", state: .resolved, severity: .critical, check: "api"), reason: "api red")
        let refired = TimelineChange(at: Self.at(2000), what: .alarm(id: "rule/red/api", state: .firing, severity: .critical, check: "api"), reason: "api red")
        let changes = [Self.check("api", .pass, at: 0), Self.check("api", .fail, at: 100), fired, Self.check("api", .pass, at: 400), resolved,
                       Self.check("web", .fail, at: 500), Self.check("api", .fail, at: 1990), refired]
        let journal = [LaunchRecord(seq: 1, at: Self.at(460), actor: ada, event: .alarmAcknowledged(alarm: "rule/red/api", reason: "on it"))]
        // Nobody watched from 800 (+ the slack) to 1500.
        let review = TimelineReview(plan: plan, changes: changes, watches: [Self.watch(0, 800), Self.watch(1500, 3000)], journal: journal, now: Self.at(2100))
        let api = try #require(review.checks.first { $0.id == "api" })
        #expect(api.spells == 2 && api.severity == "blocker" && api.stillRed)
        #expect(api.redSeconds == 300 + 110, "100 to 400, then 1990 to now")
        #expect(api.longestSeconds == 300)
        let web = try #require(review.checks.first { $0.id == "web" })
        #expect(web.unwatchedSeconds == 1500 - (800 + TimelineWatch.slack))
        #expect(web.redSeconds == 2100 - 500 - web.unwatchedSeconds, "time nobody watched is not counted as red")
        #expect(review.checks.first?.id == "web", "the longest red first")
        #expect([0, 0.4, 1, 61, 3700].map(TimelineReview.span) == ["0s", "<1s", "1s", "1m 01s", "1h 01m"], "a spell under a second is not none")

        #expect(review.alarms.count == 2)
        let first = review.alarms[0]
        #expect(first.firstRed == Self.at(100) && first.firedAt == Self.at(190) && first.resolvedAt == Self.at(400))
        #expect(first.acknowledgedBy == "Ada" && first.acknowledgedAt == Self.at(460))
        #expect(first.minutesToAcknowledge == 6, "from the first red at 100 s to the acknowledgement at 460 s")
        #expect(review.alarms[1].acknowledgedAt == nil, "an acknowledgement counts for the occurrence it was made in")
        #expect(review.entries.contains { if case .unwatched = $0 { true } else { false } })
        #expect(review.entries.map(\.at) == review.entries.map(\.at).sorted())
    }

    @Test("an alarm firing when the record goes silent ends when watching stopped, said to be unknown")
    func unknownEnd() throws {
        let fired = TimelineChange(at: Self.at(100), what: .alarm(id: "am/Checkout", state: .firing, severity: .warning, check: nil), reason: "errors")
        let review = TimelineReview(plan: try Self.plan(), changes: [fired], watches: [Self.watch(0, 200)], journal: [], now: Self.at(1000))
        let occurrence = try #require(review.alarms.first)
        #expect(occurrence.endUnknown && occurrence.resolvedAt == Self.at(200 + TimelineWatch.slack))
    }
}
