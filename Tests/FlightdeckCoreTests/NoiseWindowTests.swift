@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Expected-noise windows")
struct NoiseWindowTests {
    static let start = Date(timeIntervalSince1970: 2_000_000_000)

    static let yaml = """
        launch: { name: Windows, zone: example.test, t0: 2033-05-18T05:00Z, timezone: UTC }
        polling: { failure_threshold: 1 }
        http:
          - { id: api, url: "http://127.0.0.1:9/health" }
          - { id: web, url: "http://127.0.0.1:9/" }
        alarms:
          rules: { red_polls: 1 }
          sources: [{ id: am, kind: alertmanager, url: "http://127.0.0.1:9/" }]
        checklist:
          - { id: cutover, phase: Go, title: DNS cutover started, owner: ops }
          - { id: verified, phase: Go, title: DNS cutover verified, owner: ops }
        windows:
          - { id: dns-cutover, name: DNS cutover, checks: [api], sources: [am], opens_when_done: cutover, closes_when_done: verified }
          - { id: deploy, checks: [web], from: 2033-05-18T04:00Z, until: 2033-05-18T04:30Z }
          - { id: held, checks: [web], during: hold }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        notifications:
          - { id: hook, kind: webhook, url: "https://hooks.example.test/x" }
        """

    static func plan(_ text: String = yaml) throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: text, file: "windows.yaml").get()
    }

    static func problems(_ window: String) -> [String] {
        let text = yaml.replacingOccurrences(of: "  - { id: held, checks: [web], during: hold }\n", with: "  - \(window)\n")
        guard case .failure(let failure) = PlanLoader(environment: [:]).load(text: text, file: "w.yaml") else { return [] }
        return failure.diagnostics.map { "\($0.message)\($0.hint.map { " (\($0))" } ?? "")" }
    }

    /// A cockpit with its own copy of the journal, appending what it asks to append.
    struct Room {
        var state: CockpitState
        var launch: LaunchState
        let ada = LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion", approver: "Ada")
        var rang = 0
        var told: [String] = []
        var held: [String] = []

        init(plan: LaunchPlan, now: Date = NoiseWindowTests.start) {
            state = CockpitState(plan: plan, now: now)
            launch = LaunchState(plan: plan)
            state.reduce(.launch(launch))
        }

        mutating func append(_ event: LaunchEvent, by actor: LaunchActor? = nil) {
            let actor = actor ?? ada.acting(as: nil, pinUsed: false)
            if let refusal = launch.refusal(for: event, by: actor, at: state.now, checks: state.checkStatuses) {
                Issue.record("refused: \(refusal)")
                return
            }
            launch.apply(LaunchRecord(seq: launch.lastSeq + 1, at: state.now, actor: actor, event: event))
            record(state.reduce(.launch(launch)))
        }

        mutating func record(_ effects: [CockpitEffect]) {
            for effect in effects {
                switch effect {
                case .alert: rang += 1
                case .launch(.appendDue(let checks)):
                    for event in launch.dueEvents(at: state.now, checks: checks) { append(event) }
                case .launch(.notify(let news)):
                    for notice in news where launch.isNews(notice.key, at: state.now) {
                        told.append(notice.key)
                        append(.notificationClaimed(key: notice.key))
                    }
                case .launch(.suppress(let notices)):
                    for notice in notices where !launch.isSuppressed(notice.key, in: notice.window) {
                        held.append(notice.key)
                        append(.notificationSuppressed(key: notice.key, window: notice.window))
                    }
                default: break
                }
            }
        }

        mutating func probe(_ check: String, _ status: CheckStatus) {
            record(state.reduce(.outcome(ProbeOutcome(checkID: check, finishedAt: .seconds(state.now.timeIntervalSince(state.clockOrigin)),
                                                      status: status, detail: status == .fail ? "HTTP 503" : "200", latency: nil))))
        }

        mutating func tick(_ seconds: Double = 1) {
            record(state.reduce(.tick(state.now.addingTimeInterval(seconds))))
        }
    }

    @Test("a window opens when its item is done and closes when the other is; inside it the check is red, marked expected, with no bell and no notice, and the notice held back is journalled once")
    func checklistWindow() throws {
        var room = Room(plan: try Self.plan())
        room.append(.checklistMarked(item: "cutover", mark: .done, note: nil), by: room.ada)
        room.tick()
        #expect(room.launch.openWindows["dns-cutover"] != nil)
        #expect(room.launch.history.contains { $0.event == .windowOpened(window: "dns-cutover") })

        room.probe("api", .fail)
        room.tick()
        room.tick()
        #expect(room.rang == 0, "no bell for what the window expects")
        #expect(room.told.isEmpty)
        #expect(room.held == ["alarm/rule/red/api"], "held back once, and journalled")
        let api = try #require(room.state.rows(.health).first { $0.text.contains(" api ") })
        #expect(api.text.contains("FAIL") && api.text.contains("expected (DNS cutover): HTTP 503"), "\(api.text)")
        let alarm = try #require(room.state.rows(.alarms).first { $0.text.contains("api red") })
        #expect(alarm.text.contains("expected (DNS cutover)"))
        #expect(room.state.board.verdict.decision == .noGo, "a window never hides a blocker")
        #expect(room.launch.refusal(for: .voteCast(role: "ops", choice: .go, reason: nil,
                                                   evidence: VoteEvidence(items: room.launch.blockers(checks: room.state.checkStatuses), digest: "")),
                                    by: room.ada, at: room.state.now, checks: room.state.checkStatuses) != nil,
                "the final GO waits for it")

        room.probe("web", .fail)
        room.tick()
        #expect(room.rang == 1, "what the window does not list still rings")
        #expect(room.told == ["alarm/rule/red/web"])

        room.append(.checklistMarked(item: "verified", mark: .done, note: nil), by: room.ada)
        room.tick()
        #expect(room.launch.openWindows["dns-cutover"] == nil)
        room.tick()
        #expect(room.told.contains("alarm/rule/red/api"), "still red once the window closes: now it is news")
    }

    @Test("a window by time stands from its start to its end; one during hold stands while the launch is on hold")
    func timeAndHold() throws {
        let plan = try Self.plan()
        var early = Room(plan: plan, now: try Date("2033-05-18T03:59:58Z", strategy: .iso8601))
        early.tick()
        #expect(early.launch.openWindows["deploy"] == nil)
        early.tick()
        #expect(early.launch.openWindows["deploy"] != nil)
        early.tick(30 * 60)
        #expect(early.launch.openWindows["deploy"] == nil)

        var room = Room(plan: plan)
        room.append(.holdStarted(kind: .manual, reason: "registrar slow"), by: room.ada)
        room.tick()
        #expect(room.launch.openWindows["held"] != nil)
        room.append(.resumed(reason: "back"), by: room.ada)
        room.tick()
        #expect(room.launch.openWindows["held"] == nil)
    }

    @Test("plan: a window expects something, stands one way, and names what exists")
    func planProblems() {
        #expect(Self.problems("{ id: w, opens_when_done: cutover }").contains("a window expects some checks or alarm sources to be red (list them under `checks` or `sources`)"))
        #expect(Self.problems("{ id: w, checks: [api], opens_when_done: cutover, during: hold }")
                == ["a window opens one way only (`from` and `until` (times), `opens_when_done` (and `closes_when_done`: checklist items), or `during: hold`)"])
        #expect(Self.problems("{ id: w, checks: [api] }").first?.hasPrefix("when does this window stand?") == true)
        #expect(Self.problems("{ id: w, checks: [api], from: 2033-05-18T04:00Z, until: 2033-05-18T03:00Z }") == ["the window closes before it opens"])
        #expect(Self.problems("{ id: w, checks: [ap], during: hold }").first?.contains("did you mean `api`?") == true)
        #expect(Self.problems("{ id: w, checks: [api], during: countdown }") == ["`countdown` is not something a window stands during (during: hold)"])
    }
}
