import Foundation

/// The cockpit's side of the go/no-go workflow: the actions menu and the prompts that lead
/// from a key to a signed request.
extension CockpitState {
    public static let pinLength = 4...12

    public mutating func takeRequests() -> [LaunchRequest] {
        defer { requests = [] }
        return requests
    }

    mutating func openActions(row: RowID?) {
        guard !readOnly else {
            message = ("read-only: observers cannot vote, mark or hold", now)
            return
        }
        guard let launch else {
            message = ("the shared launch state is not available\(launchProblem.map { ": \($0)" } ?? "")", now)
            return
        }
        let options = focus == .alarms ? alarmActions(row: row) : launch.actions(pane: focus, row: row, checks: checkStatuses)
        guard !options.isEmpty else {
            message = ([.checklist, .poll, .alarms].contains(focus) ? "nothing can be done to this row now"
                       : "actions are in the checklist, alarms and go/no-go panes", now)
            return
        }
        prompt = .menu(title: "Actions", options: options, selected: 0)
    }

    /// Acknowledge or silence the selected alarm; each needs a reason.
    private func alarmActions(row: RowID?) -> [MenuOption] {
        guard case .alarm(let id)? = row, let entry = alarms.entries.first(where: { $0.alarm.id == id }) else { return [] }
        var actions: [LaunchAction] = []
        if entry.acknowledgement == nil {
            actions.append(LaunchAction("Acknowledge \(id)…", .alarmAcknowledged(alarm: id, reason: ""), needsReason: true))
        }
        if entry.resolvedAt == nil {
            actions.append(LaunchAction("Silence \(id) until it recovers…", .alarmSilenced(alarm: id, until: nil, reason: ""), needsReason: true))
            actions.append(LaunchAction("Silence \(id) for an hour…", .alarmSilenced(alarm: id, until: now.addingTimeInterval(3600), reason: ""), needsReason: true))
        }
        return actions.map(MenuOption.action)
    }

    mutating func answerPrompt(_ key: Key) {
        guard let current = prompt else { return }
        if key == .escape {
            prompt = nil
            message = ("cancelled", now)
            return
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
                guard Self.pinLength.contains(entered.count) else { return }
                prompt = nil
                requests.append(LaunchRequest(event: action.event, label: action.label, approver: approver, pin: entered))
                message = ("checking \(approver)'s PIN…", now)
            case .backspace: prompt = .pin(action, approver: approver, entered: String(entered.dropLast()))
            case .character(let character) where character.isASCII && character.isNumber && entered.count < Self.pinLength.upperBound:
                prompt = .pin(action, approver: approver, entered: entered + String(character))
            default: break
            }
        case .confirm(let action, let approver):
            prompt = nil
            if key == .character("y") || key == .character("Y") {
                requests.append(LaunchRequest(event: action.event, label: action.label, approver: approver, pin: nil))
                message = ("recording: \(action.label)…", now)
            } else {
                message = ("cancelled", now)
            }
        }
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
        let eligible = plan.approvers.filter { action.roles?.contains($0.role) ?? true }
        if let login = identity?.login, let approver = eligible.first(where: { $0.users.contains(login) }) {
            prompt = .confirm(action, approver: approver.name)
            return
        }
        let withPIN = eligible.filter { $0.pinHash != nil }.map(\.name)
        guard !withPIN.isEmpty else {
            prompt = nil
            message = ("\(identity?.login ?? "this login") may not do that, and no approver who may has a PIN", now)
            return
        }
        prompt = withPIN.count == 1 ? .pin(action, approver: withPIN[0], entered: "") : .approver(action, names: withPIN, selected: 0)
    }
}
