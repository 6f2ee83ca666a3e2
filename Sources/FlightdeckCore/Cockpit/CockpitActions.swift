import Foundation

/// Something a person may do to the launch from the cockpit, as the actions menu offers it.
public struct LaunchAction: Sendable, Equatable {
    public var label: String
    /// The event to append; a reason asked for is filled in before it is sent.
    public var event: LaunchEvent
    public var needsReason: Bool
    /// The reason given, once it has been.
    public var reason: String?
    /// Approvers of these roles may do it; nil means any approver.
    public var roles: [String]?

    public init(_ label: String, _ event: LaunchEvent, needsReason: Bool = false, roles: [String]? = nil) {
        self.label = label
        self.event = event
        self.needsReason = needsReason
        self.roles = roles
    }


    /// The event with the reason a person typed.
    public func event(reason: String) -> LaunchEvent {
        switch event {
        case .checklistMarked(let item, let mark, _): .checklistMarked(item: item, mark: mark, note: reason.isEmpty ? nil : reason)
        case .voteCast(let role, let choice, _, let evidence): .voteCast(role: role, choice: choice, reason: reason.isEmpty ? nil : reason, evidence: evidence)
        case .holdStarted(let kind, _): .holdStarted(kind: kind, reason: reason)
        case .resumed: .resumed(reason: reason)
        case .overrideRequested(let waive, _): .overrideRequested(waive: waive, reason: reason)
        case .scrubbed: .scrubbed(reason: reason)
        case .alarmAcknowledged(let alarm, _): .alarmAcknowledged(alarm: alarm, reason: reason)
        case .alarmSilenced(let alarm, let until, _): .alarmSilenced(alarm: alarm, until: until, reason: reason)
        default: event
        }
    }
}

/// One line of an actions menu: an action, or a further menu of them (which blocker to
/// override).
public enum MenuOption: Sendable, Equatable {
    case action(LaunchAction)
    case submenu(label: String, options: [LaunchAction])

    public var label: String {
        switch self {
        case .action(let action): action.label
        case .submenu(let label, _): label
        }
    }
}

/// What the cockpit asks a person, one step at a time: pick an action, give a reason, say
/// who you are (PIN on a shared terminal), confirm. Esc leaves at any step.
public enum CockpitPrompt: Sendable, Equatable {
    case menu(title: String, options: [MenuOption], selected: Int)
    case reason(LaunchAction, text: String)
    case approver(LaunchAction, names: [String], selected: Int)
    case pin(LaunchAction, approver: String, entered: String)
    case confirm(LaunchAction, approver: String)
}

/// An action signed and ready for the journal; the cockpit loop checks the PIN, fills in a
/// vote's evidence from the checks as they stand, and appends it.
public struct LaunchRequest: Sendable, Equatable {
    public var event: LaunchEvent
    public var label: String
    public var approver: String
    public var pin: String?
}

extension LaunchState {
    /// What may be done from a row of the checklist or poll pane, given where the launch
    /// stands. The journal judges again when the action is sent.
    public func actions(pane: Pane, row: RowID?, checks: [String: CheckStatus]) -> [MenuOption] {
        guard !isFinished else { return [] }
        let director = plan.poll.director
        switch pane {
        case .checklist:
            guard case .checklistItem(let id)? = row, let item = plan.checklist.first(where: { $0.id == id }) else { return [] }
            let owners = [item.owner, director]
            var actions: [LaunchAction] = []
            if item.checks.isEmpty { actions.append(LaunchAction("Mark \(id) done", .checklistMarked(item: id, mark: .done, note: nil), roles: owners)) }
            actions.append(LaunchAction("Mark \(id) failed…", .checklistMarked(item: id, mark: .failed, note: nil), needsReason: true, roles: owners))
            actions.append(LaunchAction("Waive \(id)…", .checklistMarked(item: id, mark: .waived, note: nil), needsReason: true, roles: owners))
            if marks[id] != nil { actions.append(LaunchAction("Reset \(id) to pending", .checklistMarked(item: id, mark: .pending, note: nil), roles: owners)) }
            return actions.map(MenuOption.action)
        case .poll:
            var actions: [MenuOption] = []
            func add(_ action: LaunchAction) { actions.append(.action(action)) }
            if phase == .readiness { add(LaunchAction("Open the go/no-go poll", .pollOpened)) }
            let evidence = VoteEvidence(items: blockers(checks: checks), digest: "")
            if case .role(let role)? = row {
                let title = role == director ? "\(role) (final GO)" : role
                if phase == .pollOpen { add(LaunchAction("Vote GO for \(title)", .voteCast(role: role, choice: .go, reason: nil, evidence: evidence), roles: [role])) }
                if [.pollOpen, .go, .countdown, .hold].contains(phase) {
                    add(LaunchAction("Vote NO-GO for \(role)…", .voteCast(role: role, choice: .noGo, reason: nil, evidence: evidence), needsReason: true, roles: [role]))
                }
            }
            if case .override(let seq)? = row, overrides.contains(where: { $0.seq == seq && $0.approvedBy == nil }) {
                add(LaunchAction("Approve override #\(seq) (second approver)", .overrideApproved(request: seq)))
            }
            if phase == .go { add(LaunchAction("Start the countdown", .countdownStarted, roles: [director])) }
            if phase == .countdown { add(LaunchAction("LAUNCH", .launched, roles: [director])) }
            if phase == .hold {
                add(LaunchAction("Resume…", .resumed(reason: ""), needsReason: true, roles: [director]))
            } else {
                add(LaunchAction("Call a hold…", .holdStarted(kind: .manual, reason: ""), needsReason: true))
            }
            let unmet = unmetBlockers(checks: checks)
            if !unmet.isEmpty {
                actions.append(.submenu(label: "Override a red blocker (break-glass)…", options: unmet.map {
                    LaunchAction("Waive \($0.id) (\($0.status == .fail ? "red" : "inconclusive"))…", .overrideRequested(waive: [$0.id], reason: ""), needsReason: true)
                }))
            }
            add(LaunchAction("Scrub the launch…", .scrubbed(reason: ""), needsReason: true, roles: [director]))
            return actions
        default:
            return []
        }
    }
}
