@testable import FlightdeckCore
import Foundation
import Testing

/// A small launch: two roles polled in order (`ops` then `app`), a director, two blocker
/// checks, a blocker checklist item linked to a check and one signed by hand, a built-in hold.
struct WorkflowWorld {
    static let t0 = Date(timeIntervalSince1970: 2_000_000_000)

    let plan: LaunchPlan
    var state: LaunchState
    var now = WorkflowWorld.t0.addingTimeInterval(-3600)
    var checks: [String: CheckStatus] = ["api": .pass, "web": .pass]

    /// - Parameter extra: more plan sections, appended as they are.
    init(allowSelfApproval: Bool = false, holds: String = "- { name: Final hold, at: T-10m, duration: 5m }", extra: String = "") throws {
        let yaml = """
            launch: { name: Test launch, zone: example.test, t0: 2033-05-18T03:33:20Z, timezone: UTC }
            http:
              - { id: api, url: "http://127.0.0.1:9/health" }
              - { id: web, url: "http://127.0.0.1:9/" }
            checklist:
              - { id: api-proven, phase: Go-live, title: API proven, owner: app, checks: [api] }
              - { id: legal, phase: Go-live, title: Legal signed off, owner: ops }
            roles: [{ id: ops }, { id: app }, { id: director }]
            approvers:
              - { name: Olga, role: ops, users: [olga] }
              - { name: Oscar, role: ops, users: [oscar] }
              - { name: Ana, role: app, users: [ana] }
              - { name: Dana, role: director, users: [dana] }
              - { name: Dirk, role: director, users: [dirk] }
            poll: { order: [ops, app], director: director, allow_self_approval: \(allowSelfApproval) }
            holds:
              \(holds)
            \(extra)
            """
        plan = try PlanLoader(environment: [:]).load(text: yaml, file: "test.yaml").get()
        state = LaunchState(plan: plan)
    }

    static let logins = ["Olga": "olga", "Oscar": "oscar", "Ana": "ana", "Dana": "dana", "Dirk": "dirk"]

    func actor(_ approver: String?) -> LaunchActor {
        LaunchActor(login: approver.flatMap { Self.logins[$0] } ?? "observer", effectiveUser: "x", pid: 1, host: "bastion",
                    approver: approver)
    }

    func evidence() -> VoteEvidence {
        let items = state.blockers(checks: checks)
        return VoteEvidence(items: items, digest: VoteEvidence.canonicalText(items))
    }

    func vote(_ role: String, _ choice: VoteChoice, reason: String? = nil) -> LaunchEvent {
        .voteCast(role: role, choice: choice, reason: reason, evidence: evidence())
    }

    /// Appends the event if the rules allow it, as the journal does; returns the refusal if not.
    @discardableResult
    mutating func act(_ event: LaunchEvent, by approver: String?) -> LaunchRefusal? {
        let actor = actor(approver)
        if let refusal = state.refusal(for: event, by: actor, at: now, checks: checks) { return refusal }
        state.apply(LaunchRecord(seq: state.lastSeq + 1, at: now, actor: actor, event: event))
        return nil
    }

    /// Appends whatever is due, as every cockpit does on each tick.
    mutating func tick(_ seconds: TimeInterval = 0) {
        now = now.addingTimeInterval(seconds)
        for event in state.dueEvents(at: now, checks: checks) { act(event, by: nil) }
    }

    mutating func signOffEverything() {
        act(.checklistMarked(item: "legal", mark: .done, note: "signed"), by: "Olga")
        act(.pollOpened, by: "Olga")
        act(vote("ops", .go), by: "Olga")
        act(vote("app", .go), by: "Ana")
    }
}

@Suite("Go/no-go workflow")
struct LaunchWorkflowTests {
    @Test("a full poll: roles in order, the director's final GO, countdown, launch at T-0")
    func happyPath() throws {
        var world = try WorkflowWorld()
        #expect(world.state.phaseName == "READINESS")
        world.act(.checklistMarked(item: "legal", mark: .done, note: "signed"), by: "Olga")
        #expect(world.act(world.vote("ops", .go), by: "Olga")?.message == "the poll is not open yet")
        #expect(world.act(.pollOpened, by: "Olga") == nil)
        #expect(world.act(world.vote("app", .go), by: "Ana")?.message == "ops votes first (poll order: ops, app)")
        #expect(world.act(world.vote("ops", .go), by: "Olga") == nil)
        #expect(world.act(world.vote("director", .go), by: "Dana")?.message == "the final GO waits for app: no vote yet")
        #expect(world.act(world.vote("app", .go), by: "Ana") == nil)
        #expect(world.state.nextRole == "director")
        #expect(world.act(world.vote("director", .go), by: "Dana") == nil)
        #expect(world.state.phaseName == "GO")
        #expect(world.act(.countdownStarted, by: "Olga")?.message == "only the director starts the countdown")
        #expect(world.act(.countdownStarted, by: "Dana") == nil)
        #expect(world.act(.launched, by: "Dana")?.message == "T-01:00:00 remains on the clock")
        world.now = WorkflowWorld.t0.addingTimeInterval(-11 * 60)
        world.tick(120)
        #expect(world.state.phaseName == "HOLD", "the built-in hold at T-10m stops the clock")
        world.now = world.now.addingTimeInterval(600)
        world.act(.resumed(reason: "all clear"), by: "Dana")
        world.now = WorkflowWorld.t0
        #expect(world.act(.launched, by: "Dana") != nil, "the 11 minutes of hold moved T-0 on")
        world.now = WorkflowWorld.t0.addingTimeInterval(11 * 60)
        #expect(world.act(.launched, by: "Dana") == nil)
        #expect(world.state.phaseName == "LAUNCHED")
        #expect(world.act(.holdStarted(kind: .manual, reason: "late"), by: "Olga")?.message == "the launch is LAUNCHED; nothing more can change it")
    }

    @Test("only the role's approvers vote for it, by their own login or with a PIN")
    func identity() throws {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Dana")
        #expect(world.act(world.vote("ops", .go), by: "Ana")?.message == "Ana votes for app, not ops")
        var impostor = world.actor("Olga")
        impostor.login = "ana"
        #expect(world.state.refusal(for: world.vote("ops", .go), by: impostor, at: world.now, checks: world.checks)?.message
                == "ana is not Olga's login; sign with Olga's PIN instead")
        impostor.pinUsed = true
        #expect(world.state.refusal(for: world.vote("ops", .go), by: impostor, at: world.now, checks: world.checks) == nil)
        #expect(world.act(.pollOpened, by: nil)?.message == "observer is not an approver in this plan")
    }

    @Test("a NO-GO needs a reason and holds the launch; after resuming, that role votes again")
    func noGo() throws {
        var world = try WorkflowWorld()
        world.signOffEverything()
        #expect(world.act(world.vote("app", .noGo), by: "Ana")?.message == "a NO-GO needs a reason")
        #expect(world.act(world.vote("app", .noGo, reason: "  "), by: "Ana")?.message == "a NO-GO needs a reason")
        #expect(world.act(world.vote("app", .noGo, reason: "DB replica lag"), by: "Ana") == nil)
        #expect(world.state.phaseName == "NO-GO")
        #expect(world.state.tMinus(at: world.now.addingTimeInterval(60)) == world.state.tMinus(at: world.now), "the clock stops")
        #expect(world.act(.resumed(reason: "lag gone"), by: "Olga")?.message == "only the director resumes")
        #expect(world.act(.resumed(reason: "lag gone"), by: "Dana") == nil)
        #expect(world.state.phase == .pollOpen)
        #expect(world.act(world.vote("director", .go), by: "Dana")?.message == "the final GO waits for app: it voted NO-GO")
        #expect(world.act(world.vote("app", .go), by: "Ana") == nil)
        #expect(world.act(world.vote("director", .go), by: "Dana") == nil)
    }

    @Test("a red blocker stops the final GO; overriding it takes a reason and a second, different approver")
    func override() throws {
        var world = try WorkflowWorld()
        world.signOffEverything()
        world.checks["web"] = .fail
        world.checks["api"] = .unknown
        #expect(world.act(world.vote("director", .go), by: "Dana")?.message
                == "blockers stand: api inconclusive, web red, checklist:api-proven inconclusive")
        #expect(world.act(.overrideRequested(waive: ["web"], reason: ""), by: "Olga")?.message == "an override needs a reason")
        #expect(world.act(.overrideRequested(waive: ["nope"], reason: "x"), by: "Olga")?.message == "nope is not a blocker")
        #expect(world.act(.overrideRequested(waive: ["web", "api", "checklist:api-proven"], reason: "CDN only"), by: "Olga") == nil)
        let request = world.state.lastSeq
        #expect(world.act(world.vote("director", .go), by: "Dana")?.message.hasPrefix("blockers stand") == true, "a request alone waives nothing")
        #expect(world.act(.overrideApproved(request: request), by: "Olga")?.message
                == "an override needs a second, different approver; Olga asked for it")
        #expect(world.act(.overrideApproved(request: request), by: "Dirk") == nil)
        #expect(world.act(world.vote("director", .go), by: "Dana") == nil)
        #expect(world.state.phase == .go)
    }

    @Test("the person who opened the poll cannot give the final GO unless the plan allows it")
    func selfApproval() throws {
        for allowed in [false, true] {
            var world = try WorkflowWorld(allowSelfApproval: allowed)
            world.act(.checklistMarked(item: "legal", mark: .done, note: nil), by: "Dana")
            world.act(.pollOpened, by: "Dana")
            world.act(world.vote("ops", .go), by: "Olga")
            world.act(world.vote("app", .go), by: "Ana")
            #expect(world.act(world.vote("director", .go), by: "Dana")?.message
                    == (allowed ? nil : "Dana opened the poll and so cannot give the final GO"))
            #expect(world.act(world.vote("director", .go), by: "Dirk") == (allowed ? LaunchRefusal("votes are taken while the poll is open, not in GO") : nil))
        }
    }

    @Test("a vote goes stale when a blocker it saw green turns red; in the countdown that is an automatic hold")
    func staleVote() throws {
        var world = try WorkflowWorld()
        world.signOffEverything()
        world.act(world.vote("director", .go), by: "Dirk")
        world.act(.countdownStarted, by: "Dana")
        world.checks["api"] = .unknown
        world.tick()
        #expect(world.state.phase == .countdown, "unknown is not red: nothing it relied on turned red")
        world.checks["api"] = .fail
        world.tick()
        #expect(world.state.phaseName == "HOLD")
        #expect(world.state.votes["app"]?.staleBecause == ["api", "checklist:api-proven"])
        #expect(world.state.votes["ops"]?.staleBecause != nil)
        if case .staleVote? = world.state.hold?.kind {} else { Issue.record("the hold should be for a stale vote: \(String(describing: world.state.hold))") }
        world.checks["api"] = .pass
        world.act(.resumed(reason: "api back"), by: "Dana")
        #expect(world.state.phase == .pollOpen, "stale votes do not count: the poll is taken again")
        #expect(world.act(world.vote("director", .go), by: "Dirk")?.message == "the final GO waits for ops: its vote went stale")
    }

    @Test("a built-in hold stops the clock at its T-minus time and, at expiry, waits for a decision")
    func builtInHold() throws {
        var world = try WorkflowWorld()
        world.now = WorkflowWorld.t0.addingTimeInterval(-11 * 60)
        world.tick()
        #expect(world.state.phase == .readiness)
        world.tick(61)
        #expect(world.state.phase == .hold)
        let frozen = world.state.tMinus(at: world.now)
        #expect(abs(frozen - 600) < 0.001, "the clock stopped at T-10m exactly, not when the tick noticed")
        world.tick(4 * 60)
        #expect(!world.state.holdExpired(at: world.now))
        world.tick(2 * 60)
        #expect(world.state.holdExpired(at: world.now), "past its 5 minutes the hold demands resume or scrub")
        world.tick(3600)
        #expect(world.state.phase == .hold, "it never continues by itself")
        #expect(world.state.tMinus(at: world.now) == frozen)
        #expect(world.act(.scrubbed(reason: "weather"), by: "Dirk") == nil)
        #expect(world.state.phaseName == "SCRUBBED")
    }

    @Test("a plan opened after its holds' times: the first hold not taken stops the clock at its time, its time to decide starts now, and the later holds fire as the clock reaches them")
    func holdsOpenedLate() throws {
        var world = try WorkflowWorld(holds: """
            - { name: Long hold, at: T-30m, duration: 10m }
              - { name: Final hold, at: T-10m, duration: 5m }
            """)
        world.now = WorkflowWorld.t0.addingTimeInterval(3600)
        world.tick()
        #expect(world.state.history.map(\.event.name) == ["hold"], "one hold, not one per hold passed")
        guard case .builtIn("Long hold", _)? = world.state.hold?.kind else { Issue.record("\(String(describing: world.state.hold))"); return }
        #expect(abs(world.state.tMinus(at: world.now) - 1800) < 0.001, "the clock reads T-30:00: it stopped at the hold's time")
        #expect(!world.state.holdExpired(at: world.now), "its ten minutes to decide start when it is recorded")
        world.tick(9 * 60)
        #expect(!world.state.holdExpired(at: world.now))
        world.tick(2 * 60)
        #expect(world.state.holdExpired(at: world.now))
        #expect(world.act(.resumed(reason: "go on"), by: "Dana") == nil)
        #expect(abs(world.state.tMinus(at: world.now) - 1800) < 0.001, "the clock goes on from T-30:00")
        world.tick(19 * 60)
        #expect(world.state.phase == .readiness)
        world.tick(61)
        guard case .builtIn("Final hold", _)? = world.state.hold?.kind else { Issue.record("the later hold did not fire"); return }
        #expect(abs(world.state.tMinus(at: world.now) - 600) < 0.001, "the clock stopped at T-10:00")
    }

    @Test("checklist: linked items are proved by their checks and un-tick when they regress; waiving needs a reason")
    func checklist() throws {
        var world = try WorkflowWorld()
        let linked = world.plan.checklist[0]
        #expect(world.act(.checklistMarked(item: "api-proven", mark: .done, note: nil), by: "Ana")?.message
                == "api-proven is proved by its checks (api), not by hand")
        #expect(world.state.checklistItem(linked, checks: world.checks).mark == .done)
        world.checks["api"] = .fail
        #expect(world.state.checklistItem(linked, checks: world.checks).why == "un-ticked: api failing")
        #expect(world.act(.checklistMarked(item: "legal", mark: .waived, note: nil), by: "Olga")?.message == "waiving legal needs a reason")
        #expect(world.act(.checklistMarked(item: "legal", mark: .done, note: nil), by: "Ana")?.message == "legal belongs to ops; Ana votes for app")
        #expect(world.act(.checklistMarked(item: "legal", mark: .waived, note: "counsel by phone"), by: "Olga") == nil)
        #expect(world.state.checklistItem(world.plan.checklist[1], checks: world.checks).status == .pass)
    }

    @Test("five wrong PINs lock an approver out for five minutes; a right PIN resets the count")
    func pinLockout() throws {
        var world = try WorkflowWorld()
        for _ in 0..<4 { world.act(.pinTried(approver: "Dana"), by: nil) }
        #expect(world.state.lockedUntil("Dana", at: world.now) == nil)
        world.act(.pinTried(approver: "Dana"), by: nil)
        #expect(world.state.lockedUntil("Dana", at: world.now) == world.now.addingTimeInterval(300))
        var withPIN = world.actor("Dana")
        withPIN.pinUsed = true
        #expect(world.state.refusal(for: .pollOpened, by: withPIN, at: world.now, checks: [:])?.message.hasPrefix("Dana is locked out") == true)
        world.now = world.now.addingTimeInterval(301)
        #expect(world.state.refusal(for: .pollOpened, by: withPIN, at: world.now, checks: [:]) == nil)
        world.state.apply(LaunchRecord(seq: world.state.lastSeq + 1, at: world.now, actor: withPIN, event: .pollOpened))
        world.act(.pinTried(approver: "Dana"), by: nil)
        #expect(world.state.pinFailures["Dana"]?.count == 1)
    }

    @Test("notifications: decisions become notices once; a claim is taken once, an alarm's again after ten minutes")
    func notices() throws {
        var world = try WorkflowWorld()
        let before = world.now
        world.signOffEverything()
        world.act(world.vote("app", .noGo, reason: "DB lag"), by: "Ana")
        world.act(.resumed(reason: "lag gone"), by: "Dana")
        world.act(world.vote("app", .go), by: "Ana")
        world.act(world.vote("director", .go), by: "Dirk")
        world.act(.scrubbed(reason: "storm"), by: "Dana")
        let notices = LaunchNotice.decisions(in: world.state, after: before.addingTimeInterval(-1))
        #expect(notices.map(\.text) == ["NO-GO from app (Ana): DB lag — the launch is on hold", "GO: the final GO, given by Dirk", "SCRUBBED by Dana: storm"])
        #expect(notices.map(\.event) == [.noGo, .go, .scrub])
        #expect(LaunchNotice.decisions(in: world.state, after: world.now).isEmpty, "only what happened after the cockpit started")

        let key = notices[0].key
        #expect(world.act(.notificationSent(key: key, target: "slack", delivered: true, outcome: "HTTP 200"), by: nil)?.message == "nobody claimed \(key)")
        #expect(world.act(.notificationClaimed(key: key), by: nil) == nil, "notifications are journalled even after the launch ended")
        #expect(world.act(.notificationClaimed(key: key), by: nil)?.message == "\(key) is already being notified")
        #expect(world.act(.notificationSent(key: key, target: "slack", delivered: true, outcome: "HTTP 200"), by: nil) == nil)
        #expect(world.state.deliveries[key]?.map(\.outcome) == ["HTTP 200"])
        #expect(world.act(.notificationClaimed(key: "alarm/rule/red/api"), by: nil) == nil)
        world.now = world.now.addingTimeInterval(300)
        #expect(world.act(.notificationClaimed(key: "alarm/rule/red/api"), by: nil) != nil)
        world.now = world.now.addingTimeInterval(300)
        #expect(world.act(.notificationClaimed(key: "alarm/rule/red/api"), by: nil) == nil, "still critical ten minutes on: news again")
    }

    @Test("the report says what its blockers are: checks and checklist items, counted apart")
    func reportCountsBlockers() throws {
        var world = try WorkflowWorld()
        world.signOffEverything()
        let report = LaunchReport(state: world.state, checks: [], checkedAt: world.now, journalHead: "h", journalProblem: nil)
        #expect(report.markdown().contains("all 4 blockers green (2 checks, 2 checklist items)"))
    }

    @Test("the report lists acknowledgements, silences and notifications with the votes and holds")
    func reportAlarmNotes() throws {
        var world = try WorkflowWorld()
        world.act(.alarmAcknowledged(alarm: "rule/red/api", reason: "on it"), by: "Olga")
        world.act(.alarmSilenced(alarm: "am/Disk", until: nil, reason: "known"), by: "Ana")
        world.act(.notificationClaimed(key: "alarm/rule/red/api"), by: nil)
        world.act(.notificationSent(key: "alarm/rule/red/api", target: "slack", delivered: false, outcome: "failed 4 times, last: HTTP 500"), by: nil)
        let report = LaunchReport(state: world.state, checks: [], checkedAt: world.now, journalHead: "h", journalProblem: nil)
        #expect(report.alarmNotes.map(\.summary) == [
            "alarm rule/red/api acknowledged: on it (Olga)", "alarm am/Disk silenced until it recovers: known (Ana)",
            "alarm/rule/red/api to slack: NOT delivered, failed 4 times, last: HTTP 500",
        ])
        #expect(report.markdown().contains("## Alarms acknowledged and silenced, notifications sent"))
    }
}
