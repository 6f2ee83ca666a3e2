@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Cockpit prompts: from a key to a signed request")
struct CockpitPromptTests {
    /// The workflow test plan with a PIN for the director, on the go/no-go pane, poll open.
    private func cockpit(login: String, readOnly: Bool = false) throws -> CockpitState {
        var world = try WorkflowWorld()
        world.act(.pollOpened, by: "Olga")
        var plan = world.plan
        let hash = try PINHash.parse("pbkdf2-sha256$100000$\(Data(repeating: 1, count: 16).base64EncodedString())$\(Data(repeating: 2, count: 32).base64EncodedString())").get()
        for index in plan.approvers.indices where plan.approvers[index].role == "director" { plan.approvers[index].pinHash = hash }
        var state = CockpitState(plan: plan, now: world.now, identity: world.actor(nil).renamed(login), readOnly: readOnly)
        state.reduce(.launch(LaunchState(plan: plan, records: world.state.history)))
        state.reduce(.action(.pane6))
        return state
    }

    private func type(_ text: String, into state: inout CockpitState) {
        for character in text { state.reduce(.key(.character(character))) }
    }

    /// What the reducer asked to be signed and appended.
    private func submitted(_ effects: [CockpitEffect]) -> [LaunchRequest] {
        effects.compactMap { if case .launch(.submit(let request, _, _)) = $0 { request } else { nil } }
    }

    @Test("an approver by login: pick the action, confirm with y, and the request carries their name")
    func byLogin() throws {
        var state = try cockpit(login: "olga")
        state.act(on: .role("ops"))
        guard case .menu(_, let options, _)? = state.prompt else { Issue.record("no menu: \(String(describing: state.prompt))"); return }
        #expect(options.map(\.label) == ["Vote GO for ops", "Vote NO-GO for ops…", "Call a hold…",
                                         "Override a red blocker (break-glass)…", "Scrub the launch…"])
        guard case .submenu(_, let waivers) = options[3], case .action(let voteGo) = options[0] else { Issue.record("menu: \(options)"); return }
        #expect(waivers.map(\.label) == ["Waive api (inconclusive)…", "Waive web (inconclusive)…",
                                         "Waive checklist:api-proven (inconclusive)…", "Waive checklist:legal (inconclusive)…"])
        state.reduce(.key(.enter))
        #expect(state.prompt == .confirm(voteGo, approver: "Olga"))
        let requests = submitted(state.reduce(.key(.character("y"))))
        #expect(state.prompt == nil)
        #expect(requests.map(\.approver) == ["Olga"])
        #expect(requests.first?.pin == nil)
        #expect(requests.first?.event == voteGo.event)
    }

    @Test("a NO-GO asks for the reason before anything else, and any key but y cancels")
    func reasonThenCancel() throws {
        var state = try cockpit(login: "olga")
        state.act(on: .role("ops"))
        state.reduce(.key(.character("2")))
        type("DB lagx", into: &state)
        state.reduce(.key(.backspace))
        guard case .reason(_, let text)? = state.prompt else { Issue.record("no reason prompt"); return }
        #expect(text == "DB lag")
        state.reduce(.key(.enter))
        guard case .confirm(let action, "Olga")? = state.prompt else { Issue.record("no confirmation: \(String(describing: state.prompt))"); return }
        #expect(action.event == .voteCast(role: "ops", choice: .noGo, reason: "DB lag", evidence: VoteEvidence(items: state.launch!.blockers(checks: state.checkStatuses), digest: "")))
        #expect(submitted(state.reduce(.key(.character("n")))).isEmpty)
        #expect(state.prompt == nil)
        #expect(state.message?.text == "cancelled")
    }

    @Test("on a shared terminal the approver types a PIN: digits only, never more than 12, enter needs 4")
    func pin() throws {
        var state = try cockpit(login: "warroom")
        state.act(on: .role("director"))
        guard case .menu(_, let options, _)? = state.prompt else { Issue.record("no menu"); return }
        #expect(options.first?.label == "Vote NO-GO for director…", "the final GO waits for ops and app, so it is not offered")
        state.reduce(.key(.character("1")))
        type("weather", into: &state)
        state.reduce(.key(.enter))
        #expect(state.prompt.map { if case .approver(_, let names, _) = $0 { names } else { [] } } == ["Dana", "Dirk"])
        state.reduce(.key(.down))
        state.reduce(.key(.enter))
        type("12a", into: &state)
        state.reduce(.key(.enter))
        guard case .pin(_, "Dirk", let entered)? = state.prompt else { Issue.record("no PIN prompt: \(String(describing: state.prompt))"); return }
        #expect(entered == "12", "letters are not PIN digits, and enter waits for four")
        type("34567890123456", into: &state)
        let requests = submitted(state.reduce(.key(.enter)))
        #expect(requests.first?.pin == "123456789012")
        #expect(requests.first?.approver == "Dirk")
    }

    @Test("read-only observers, and everyone while the shared state is unreachable, get no menu; esc leaves any prompt")
    func readOnlyAndEscape() throws {
        var observer = try cockpit(login: "olga", readOnly: true)
        observer.act(on: .role("ops"))
        #expect(observer.prompt == nil)
        #expect(observer.message?.text == "read-only: observers cannot vote, mark or hold")

        var cutOff = try cockpit(login: "olga")
        cutOff.reduce(.launchUnavailable("cannot connect: connection refused"))
        cutOff.act(on: .role("ops"))
        #expect(cutOff.prompt == nil, "what shows of the launch may be behind: nothing is offered to sign")
        #expect(cutOff.message?.text == "nothing can be recorded now: the shared launch state is not available: cannot connect: connection refused")

        var state = try cockpit(login: "olga")
        state.act(on: .role("ops"))
        state.reduce(.key(.escape))
        #expect(state.prompt == nil)
        state.reduce(.action(.pane1))
        state.act(on: .checklistItem("api-proven"))
        guard case .menu(_, let options, _)? = state.prompt else { Issue.record("no menu"); return }
        #expect(!options.contains { $0.label.hasPrefix("Mark api-proven done") }, "a linked item is proved by its checks")
    }
}

extension CockpitState {
    /// Moves the selection to the row about `id`, as a person would with the arrow keys, and
    /// presses the actions key there.
    mutating func act(on id: RowID) {
        for _ in 0..<200 where selectedRow > 0 { reduce(.action(.up)) }
        for _ in 0..<200 where selectedRowID != id { reduce(.action(.down)) }
        #expect(selectedRowID == id, "no row \(id) in \(focus)")
        reduce(.action(.act))
    }
}

extension LaunchActor {
    func renamed(_ login: String) -> LaunchActor {
        var actor = self
        actor.login = login
        return actor
    }
}
