import Foundation

/// What the cockpit asks a person, one step at a time: pick an action, give a reason, say
/// who you are (PIN on a shared terminal), confirm. Esc leaves at any step.
public enum CockpitPrompt: Sendable, Equatable {
    case menu(title: String, options: [MenuOption], selected: Int)
    case reason(LaunchAction, text: String)
    case approver(LaunchAction, names: [String], selected: Int)
    case pin(LaunchAction, approver: String, entered: String)
    case confirm(LaunchAction, approver: String)
}

/// An action signed and ready for the journal; the cockpit checks the PIN and appends it off
/// its loop, judged against the checks as they stand.
public struct LaunchRequest: Sendable, Equatable {
    public var action: LaunchAction
    public var approver: String
    public var pin: String?

    public var event: LaunchEvent { action.event }
}

/// The cockpit's side of the go/no-go workflow: from a key on a row to a signed request.
extension CockpitState {
    public static let pinLength = 4...12

    mutating func openActions(row: RowID?) {
        guard !readOnly else {
            message = ("read-only: observers cannot vote, mark or hold", now)
            return
        }
        guard let launch, launchProblem == nil else {
            // What it means first: a narrow terminal cuts the line's end.
            message = ("nothing can be recorded now: the shared launch state is not available\(launchProblem.map { ": \($0)" } ?? "")", now)
            return
        }
        guard hasActions(focus) else {
            message = ("actions are in the checklist, alarms and go/no-go panes\(plan.commandChecks.isEmpty ? "" : ", and on a command's row in health")", now)
            return
        }
        let (options, refusal) = menu(pane: focus, row: row, launch: launch)
        guard !options.isEmpty else {
            message = ("nothing can be done to this row now\(refusal.map { ": \($0)" } ?? "")", now)
            return
        }
        prompt = .menu(title: "Actions", options: options, selected: 0)
    }

    /// A PIN that did not sign: the prompt asks again (the try is journalled and counts
    /// towards the lockout), unless the approver is now locked out.
    mutating func pinRejected(_ request: LaunchRequest, why: String) {
        message = (why, now)
        guard prompt == nil, launch?.lockedUntil(request.approver, at: now) == nil else { return }
        prompt = .pin(request.action, approver: request.approver, entered: "")
    }

    /// Answers the open prompt with a key; a finished one asks for its request to be submitted.
    mutating func answerPrompt(_ key: Key) -> [CockpitEffect] {
        guard let current = prompt else { return [] }
        if key == .escape {
            prompt = nil
            message = ("cancelled", now)
            return []
        }
        switch current {
        case .menu(let title, let options, let selected):
            switch key {
            case .up: prompt = .menu(title: title, options: options, selected: max(0, selected - 1))
            case .down: prompt = .menu(title: title, options: options, selected: min(options.count - 1, selected + 1))
            case .enter: choose(options[selected])
            case .character(let character):
                if let digit = character.wholeNumberValue, (1...options.count).contains(digit) { choose(options[digit - 1]) }
            default: break
            }
        case .reason(let action, let text):
            switch key {
            case .enter:
                var filled = action
                filled.reason = text.trimmingCharacters(in: .whitespaces)
                filled.event = action.event(reason: filled.reason ?? "")
                filled.needsReason = false
                sign(filled)
            case .backspace: prompt = .reason(action, text: String(text.dropLast()))
            case .character(let character) where text.count < 200 && !character.isNewline:
                prompt = .reason(action, text: text + String(character))
            default: break
            }
        case .approver(let action, let names, let selected):
            switch key {
            case .up: prompt = .approver(action, names: names, selected: max(0, selected - 1))
            case .down: prompt = .approver(action, names: names, selected: min(names.count - 1, selected + 1))
            case .enter: prompt = .pin(action, approver: names[selected], entered: "")
            default: break
            }
        case .pin(let action, let approver, let entered):
            switch key {
            case .enter:
                guard Self.pinLength.contains(entered.count) else { return [] }
                prompt = nil
                message = ("checking \(approver)'s PIN…", now)
                return [.launch(.submit(LaunchRequest(action: action, approver: approver, pin: entered), checks: checkStatuses,
                                        vantages: board.vantageEvidence))]
            case .backspace: prompt = .pin(action, approver: approver, entered: String(entered.dropLast()))
            case .character(let character) where character.isASCII && character.isNumber && entered.count < Self.pinLength.upperBound:
                prompt = .pin(action, approver: approver, entered: entered + String(character))
            default: break
            }
        case .confirm(let action, let approver):
            prompt = nil
            if key == .character("y") || key == .character("Y") {
                message = ("recording: \(action.label)…", now)
                return [.launch(.submit(LaunchRequest(action: action, approver: approver, pin: nil), checks: checkStatuses,
                                        vantages: board.vantageEvidence))]
            } else {
                message = ("cancelled", now)
            }
        }
        return []
    }

    /// After the action (and its reason): who signs. A login that belongs to an approver
    /// who may do it signs by confirming; otherwise an approver picks their name and types
    /// their PIN.
    private mutating func choose(_ option: MenuOption) {
        switch option {
        case .submenu(let label, let options):
            prompt = .menu(title: label, options: options.map(MenuOption.action), selected: 0)
        case .action(let action) where action.needsReason:
            prompt = .reason(action, text: "")
        case .action(let action):
            sign(action)
        }
    }

    private mutating func sign(_ action: LaunchAction) {
        let eligible = launch.map { signers(of: action.event, launch: $0) } ?? []
        if let own = eligible.first(where: \.byLogin) {
            prompt = .confirm(action, approver: own.approver.name)
            return
        }
        let withPIN = eligible.map(\.approver.name)
        guard !withPIN.isEmpty else {
            prompt = nil
            let why = launch.flatMap { refusal(of: action.event, launch: $0) }
            message = ("\(identity?.login ?? "this login") may not do that\(why.map { ": \($0)" } ?? ""), and no approver who may has a PIN", now)
            return
        }
        prompt = withPIN.count == 1 ? .pin(action, approver: withPIN[0], entered: "") : .approver(action, names: withPIN, selected: 0)
    }
}
