@testable import FlightdeckCore
import Foundation
import Testing

/// The cockpit's whole update, without a view, a loop or a terminal: keys go in, the state
/// and the effects come out.
@Suite("Cockpit reducer: keys on rows, the cursor, and the effects it returns")
struct CockpitReducerTests {
    private static let keymap = try! Keymap.load(text: String(contentsOfFile: examplePath("../Keymaps/default.yaml"), encoding: .utf8),
                                                file: "default.yaml").get()

    /// The workflow plan's cockpit for `login`, the shared state read, on `pane`.
    private func cockpit(_ world: WorkflowWorld, login: String, pane: KeyAction = .pane6, readOnly: Bool = false) -> CockpitState {
        var state = CockpitState(plan: world.plan, now: world.now, keymap: Self.keymap, identity: world.actor(nil).renamed(login),
                                 readOnly: readOnly)
        state.reduce(.launch(world.state))
        state.reduce(.action(pane))
        return state
    }

    private func menuLabels(_ state: CockpitState) -> [String] {
        if case .menu(_, let options, _)? = state.prompt { options.map(\.label) } else { [] }
    }

    /// Enough results in a row for the check to settle on `status` (past its thresholds).
    private func settle(_ state: inout CockpitState, _ id: String, _ status: CheckStatus, from second: Int) {
        for poll in 0..<5 {
            state.reduce(.outcome(ProbeOutcome(checkID: id, finishedAt: .seconds(second + poll), status: status, detail: "\(status)", latency: nil)))
        }
        #expect(state.checkStatuses[id] == status)
    }

    @Test("`a` on the poll pane, by key: the menu for the selected role, from the keymap, with no view involved")
    func actKeyOnPoll() throws {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Olga")
        var state = cockpit(world, login: "olga")
        #expect(state.rows(.poll)[1].text == "next: ops votes: select its row, press a", "the pane says what comes next")
        state.reduce(.action(.down))
        state.reduce(.action(.down))
        #expect(state.selectedRowID == .role("ops"))
        let act = try #require(Self.keymap.bindings.first { $0.action == .act }?.keys.first)
        #expect(state.reduce(.key(act)).isEmpty, "opening a menu changes nothing outside the state")
        #expect(menuLabels(state).first == "Vote GO for ops")
        // Keys now answer the menu, not the keymap: `a` again does not reopen it, `q` does not quit.
        state.reduce(.key(.character("q")))
        #expect(!state.quitting)
    }

    @Test("act on each kind of row: a checklist item, a role, an override, an alarm; a check row has no actions")
    func actOnEveryRowKind() throws {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Olga")
        world.act(.overrideRequested(waive: ["api"], reason: "staging only"), by: "Olga")
        var state = cockpit(world, login: "ana", pane: .pane1)
        state.act(on: .checklistItem("legal"))
        #expect(menuLabels(state).isEmpty, "legal belongs to ops; Ana votes for app and nobody here has a PIN")
        #expect(state.message?.text == "nothing can be done to this row now: legal belongs to ops; Ana votes for app")

        state = cockpit(world, login: "olga", pane: .pane1)
        state.act(on: .checklistItem("legal"))
        #expect(menuLabels(state) == ["Mark legal done", "Mark legal failed…", "Waive legal…"])

        state = cockpit(world, login: "ana")
        state.act(on: .override(2))
        #expect(menuLabels(state).contains("Approve override #2 (second approver)"))
        state = cockpit(world, login: "olga")
        state.act(on: .override(2))
        #expect(!menuLabels(state).contains("Approve override #2 (second approver)"), "the one who asked cannot be the second approver")

        state = cockpit(world, login: "olga", pane: .pane5)
        state.reduce(.externalAlarms(source: "am", alarms: [Alarm(id: "am/Disk", severity: .warning, source: "am", since: .seconds(0),
                                                                  reason: "disk 91% full")]))
        state.act(on: .alarm("am/Disk"))
        #expect(menuLabels(state) == ["Acknowledge am/Disk…", "Silence am/Disk until it recovers…", "Silence am/Disk for an hour…"])

        state = cockpit(world, login: "olga", pane: .pane2)
        #expect(state.selectedRowID == .check("api"))
        state.reduce(.action(.act))
        #expect(state.prompt == nil)
        #expect(state.message?.text == "actions are in the checklist, alarms and go/no-go panes")
    }

    @Test("A command's row in health offers a rerun to anyone who can sign; the journal records who asked")
    func rerunFromHealth() throws {
        var world = try WorkflowWorld(extra: "commands:\n  - { id: api-suite, run: [\"true\"] }")
        var state = cockpit(world, login: "ana", pane: .pane2)
        state.act(on: .check("api-suite"))
        #expect(menuLabels(state) == ["Run api-suite again now"])
        state.reduce(.key(.escape))
        state.act(on: .check("api"))
        #expect(state.prompt == nil)
        #expect(state.message?.text == "nothing can be done to this row now")
        state = cockpit(world, login: "ana", pane: .pane3)
        state.reduce(.action(.act))
        #expect(state.message?.text == "actions are in the checklist, alarms and go/no-go panes, and on a command's row in health")
        world.act(.rerunRequested(check: "api-suite"), by: "Ana")
        #expect(world.state.history.last?.event.summary == "asked for api-suite to run again now")
        #expect(world.state.history.last?.actor.approver == "Ana")
        #expect(world.state.refusal(for: .rerunRequested(check: "api"), by: world.actor("Ana"), at: world.now, checks: world.checks)?.message
            == "the plan has no command check api")
    }

    @Test("`a` on a heading opens the actions of the first row that has any, and selects it")
    func actOnHeading() throws {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Olga")
        var state = cockpit(world, login: "ana")
        #expect(state.selectedRowID == nil, "the headline")
        state.reduce(.action(.act))
        #expect(state.selectedRowID == .role("ops"), "ops is the first row Ana can act on (a NO-GO, a hold)")
        #expect(menuLabels(state).first == "Vote NO-GO for ops…" || menuLabels(state).contains("Call a hold…"))
        state = cockpit(world, login: "olga", pane: .pane1)
        state.reduce(.action(.act))
        #expect(state.selectedRowID == .checklistItem("legal"), "the phase heading is skipped for the first item Olga owns")
    }

    @Test("the menu is what the rules accept: nothing the journal would refuse is offered, and an empty menu says why")
    func menuFromRules() throws {
        var world = try WorkflowWorld()
        var state = cockpit(world, login: "ana")
        state.act(on: .role("app"))
        #expect(menuLabels(state) == ["Open the go/no-go poll", "Call a hold…", "Override a red blocker (break-glass)…"],
                "in readiness there is no vote, and Ana is not the director: no countdown, launch, resume or scrub")

        world.act(.pollOpened, by: "Olga")
        state = cockpit(world, login: "ana")
        state.act(on: .role("app"))
        #expect(!menuLabels(state).contains("Vote GO for app"), "ops votes first")
        #expect(menuLabels(state).contains("Vote NO-GO for app…"), "a NO-GO may come at any time the poll is open")

        world.act(.scrubbed(reason: "weather"), by: "Dana")
        state = cockpit(world, login: "dana")
        state.act(on: .role("director"))
        #expect(state.prompt == nil)
        #expect(state.message?.text == "nothing can be done to this row now: the launch is SCRUBBED; nothing more can change it")
    }

    @Test("the cursor: moving stops at the ends, the list scrolls only to keep the selection on screen")
    func scrolling() throws {
        var world = try WorkflowWorld()
        world.signOffEverything()
        var state = cockpit(world, login: "olga")
        state.reduce(.resize(width: 80, height: 9))
        #expect(state.layout.paneRows(.poll) == 4)
        let count = state.rows(.poll).count
        #expect(count > 6)
        for _ in 0..<5 { state.reduce(.action(.down)) }
        #expect(state.cursor(.poll) == ListCursor(selected: 5, offset: 2))
        state.reduce(.action(.up))
        #expect(state.cursor(.poll) == ListCursor(selected: 4, offset: 2), "moving up inside the window does not scroll")
        for _ in 0..<(count + 3) { state.reduce(.action(.down)) }
        #expect(state.cursor(.poll) == ListCursor(selected: count - 1, offset: count - 4))
        state.reduce(.resize(width: 80, height: 24))
        #expect(state.cursor(.poll).offset == max(0, count - state.layout.paneRows(.poll)), "a taller screen shows more, not blank rows")
    }

    @Test("rows that shrink under the selection: the next key acts on a row that exists")
    func clampingAfterRowsShrink() throws {
        let world = try WorkflowWorld()
        var state = cockpit(world, login: "olga", pane: .pane2)
        settle(&state, "api", .fail, from: 1)
        settle(&state, "web", .fail, from: 1)
        state.reduce(.action(.redOnly))
        state.reduce(.action(.down))
        #expect(state.selectedRowID == .check("web"))
        settle(&state, "web", .pass, from: 10)
        #expect(state.rows(.health).map(\.id) == [.check("api")])
        #expect(state.selectedRowID == .check("api"), "the selection past the end stands for the last row")
        state.reduce(.action(.down))
        #expect(state.cursor(.health) == ListCursor(selected: 0, offset: 0))
        // A filter that matches nothing leaves no row selected, and acting on nothing is harmless.
        state.reduce(.action(.filter))
        for character in "zzz" { state.reduce(.key(.character(character))) }
        #expect(state.rows(.health).isEmpty && state.selectedRowID == nil)
    }

    @Test("effects: a confirmation submits, quit quits, a new critical alarm alerts once, the clock makes due work")
    func effects() throws {
        var world = try WorkflowWorld(extra: "notifications:\n  - { id: hook, kind: webhook, url: \"http://127.0.0.1:9/hook\" }")
        world.act(.pollOpened, by: "Olga")
        var state = cockpit(world, login: "olga")
        state.act(on: .role("ops"))
        state.reduce(.key(.enter))
        let confirmed = state.reduce(.key(.character("y")))
        guard case .launch(.submit(let request, let checks, _))? = confirmed.first, confirmed.count == 1 else {
            Issue.record("no submit: \(confirmed)")
            return
        }
        #expect(request.approver == "Olga" && request.pin == nil)
        #expect(checks == state.checkStatuses)

        let critical = CockpitEvent.externalAlarms(source: "am", alarms: [
            Alarm(id: "am/Down", severity: .critical, source: "am", since: .seconds(0), reason: "checkout down"),
        ])
        let alerted = state.reduce(critical)
        #expect(alerted.contains { if case .alert = $0 { true } else { false } })
        #expect(!state.reduce(critical).contains { if case .alert = $0 { true } else { false } }, "once per new critical alarm")

        // Ops voted GO on green blockers; api turning red makes the vote stale: due work.
        world.act(world.vote("ops", .go), by: "Olga")
        world.checks["api"] = .fail
        state.reduce(.launch(world.state))
        settle(&state, "api", .fail, from: 20)
        settle(&state, "web", .pass, from: 20)
        let ticked = state.reduce(.tick(world.now.addingTimeInterval(1)))
        #expect(ticked.contains { if case .launch(.appendDue) = $0 { true } else { false } })
        let notices = ticked.compactMap { if case .launch(.notify(let notices)) = $0 { notices } else { nil } }.flatMap { $0 }
        #expect(notices.map(\.key).sorted() == ["alarm/am/Down", "alarm/rule/red/api"], "critical alarms are news; a GO from ops is not")

        var observer = cockpit(world, login: "olga", readOnly: true)
        observer.reduce(critical)
        #expect(observer.reduce(.tick(world.now.addingTimeInterval(1))).allSatisfy { if case .launch = $0 { false } else { true } },
                "an observer never writes or notifies")
        #expect(state.reduce(.action(.quit)).contains { if case .quit = $0 { true } else { false } })
    }

    @Test("a wrong PIN asks for it again, keeping the action; a locked-out approver is not asked again")
    func wrongPinAsksAgain() throws {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Olga")
        var plan = world.plan
        let hash = try PINHash.parse("pbkdf2-sha256$100000$\(Data(repeating: 1, count: 16).base64EncodedString())$\(Data(repeating: 2, count: 32).base64EncodedString())").get()
        for index in plan.approvers.indices where plan.approvers[index].name == "Dana" { plan.approvers[index].pinHash = hash }
        var state = CockpitState(plan: plan, now: world.now, keymap: Self.keymap, identity: world.actor(nil).renamed("warroom"))
        state.reduce(.launch(LaunchState(plan: plan, records: world.state.history)))
        state.reduce(.action(.pane6))
        state.act(on: .role("director"))
        state.reduce(.key(.character("1")))
        for character in "wind" { state.reduce(.key(.character(character))) }
        state.reduce(.key(.enter))
        for character in "1111" { state.reduce(.key(.character(character))) }
        let effects = state.reduce(.key(.enter))
        guard case .launch(.submit(let request, _, _))? = effects.first else { Issue.record("no submit"); return }
        #expect(state.prompt == nil)
        state.reduce(.pinRejected(request, why: "wrong PIN for Dana (1 of 5 tries before a lockout)"))
        #expect(state.prompt == .pin(request.action, approver: "Dana", entered: ""), "asked again, for the same action")
        #expect(state.message?.text == "wrong PIN for Dana (1 of 5 tries before a lockout)")

        state.reduce(.key(.escape))
        var locked = world
        for _ in 0..<LaunchState.pinAttempts { locked.act(.pinTried(approver: "Dana"), by: nil) }
        state.reduce(.launch(LaunchState(plan: plan, records: locked.state.history)))
        state.reduce(.pinRejected(request, why: "Dana is locked out"))
        #expect(state.prompt == nil, "locked out: nothing more to type")
    }
}
