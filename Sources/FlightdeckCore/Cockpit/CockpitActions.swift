import Foundation

/// Something a person may do to the launch from the cockpit, as the actions menu offers it.
public struct LaunchAction: Sendable, Equatable {
    public var label: String
    /// The event to append; a reason asked for is filled in before it is sent.
    public var event: LaunchEvent
    public var needsReason: Bool
    /// The reason given, once it has been.
    public var reason: String?

    public init(_ label: String, _ event: LaunchEvent, needsReason: Bool = false) {
        self.label = label
        self.event = event
        self.needsReason = needsReason
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

    /// The event as the rules are asked about it before the reason is typed: with a reason,
    /// so that only what does not depend on the words decides.
    var eventToJudge: LaunchEvent {
        needsReason ? event(reason: "the reason to be given") : event
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

/// An approver who could sign an action: by their login, or on a shared terminal with
/// their PIN.
struct Signer: Equatable {
    var approver: Approver
    var byLogin: Bool
}

extension CockpitState {
    /// Everything that could be done to a row of this kind, whoever asks and whenever. Which
    /// of these a person may do now is not decided here but by the workflow's rules
    /// (`LaunchState.refusal`), asked about each.
    func candidateActions(pane: Pane, row: RowID?, launch: LaunchState) -> [MenuOption] {
        switch pane {
        case .checklist:
            guard case .checklistItem(let id)? = row else { return [] }
            var actions = [LaunchAction("Mark \(id) done", .checklistMarked(item: id, mark: .done, note: nil)),
                           LaunchAction("Mark \(id) failed…", .checklistMarked(item: id, mark: .failed, note: nil), needsReason: true),
                           LaunchAction("Waive \(id)…", .checklistMarked(item: id, mark: .waived, note: nil), needsReason: true)]
            if launch.marks[id] != nil { actions.append(LaunchAction("Reset \(id) to pending", .checklistMarked(item: id, mark: .pending, note: nil))) }
            return actions.map(MenuOption.action)
        case .poll:
            var actions: [MenuOption] = [.action(LaunchAction("Open the go/no-go poll", .pollOpened))]
            let evidence = VoteEvidence(items: launch.blockers(checks: checkStatuses), digest: "")
            if case .role(let role)? = row {
                let title = role == plan.poll.director ? "\(role) (final GO)" : role
                actions.append(.action(LaunchAction("Vote GO for \(title)", .voteCast(role: role, choice: .go, reason: nil, evidence: evidence))))
                actions.append(.action(LaunchAction("Vote NO-GO for \(role)…", .voteCast(role: role, choice: .noGo, reason: nil, evidence: evidence),
                                                    needsReason: true)))
            }
            if case .override(let seq)? = row {
                actions.append(.action(LaunchAction("Approve override #\(seq) (second approver)", .overrideApproved(request: seq))))
            }
            actions += [LaunchAction("Start the countdown", .countdownStarted), LaunchAction("LAUNCH", .launched),
                        LaunchAction("Resume…", .resumed(reason: ""), needsReason: true),
                        LaunchAction("Call a hold…", .holdStarted(kind: .manual, reason: ""), needsReason: true)].map(MenuOption.action)
            let unmet = launch.unmetBlockers(checks: checkStatuses)
            actions.append(.submenu(label: "Override a red blocker (break-glass)…", options: unmet.map {
                LaunchAction("Waive \($0.id) (\($0.status == .fail ? "red" : "inconclusive"))…", .overrideRequested(waive: [$0.id], reason: ""), needsReason: true)
            }))
            actions.append(.action(LaunchAction("Scrub the launch…", .scrubbed(reason: ""), needsReason: true)))
            return actions
        case .alarms:
            guard case .alarm(let id)? = row, let entry = alarms.entries.first(where: { $0.alarm.id == id }) else { return [] }
            var actions: [LaunchAction] = []
            if entry.acknowledgement == nil {
                actions.append(LaunchAction("Acknowledge \(id)…", .alarmAcknowledged(alarm: id, reason: ""), needsReason: true))
            }
            if entry.resolvedAt == nil {
                actions.append(LaunchAction("Silence \(id) until it recovers…", .alarmSilenced(alarm: id, until: nil, reason: ""), needsReason: true))
                actions.append(LaunchAction("Silence \(id) for an hour…", .alarmSilenced(alarm: id, until: now.addingTimeInterval(3600), reason: ""),
                                            needsReason: true))
            }
            return actions.map(MenuOption.action)
        case .health:
            guard case .check(let id)? = row, plan.commandChecks.contains(where: { $0.id == id }) else { return [] }
            return [.action(LaunchAction("Run \(id) again now", .rerunRequested(check: id)))]
        case .dns, .certificates, .timeline:
            return []
        }
    }

    /// Who runs this cockpit; without an identity, a login no approver has.
    private var person: LaunchActor {
        identity ?? LaunchActor(login: "nobody", effectiveUser: "nobody", pid: 0, host: "")
    }

    /// The approvers who may sign `event` now, as far as this cockpit can ask them: the ones
    /// this login belongs to, and the ones with a PIN. The journal judges again on append.
    func signers(of event: LaunchEvent, launch: LaunchState) -> [Signer] {
        let checks = checkStatuses
        return plan.approvers.compactMap { approver in
            let byLogin = approver.users.contains(person.login)
            guard byLogin || approver.pinHash != nil else { return nil }
            let actor = person.acting(as: approver.name, pinUsed: !byLogin)
            return launch.refusal(for: event, by: actor, at: now, checks: checks) == nil ? Signer(approver: approver, byLogin: byLogin) : nil
        }
    }

    /// Why nobody this cockpit can sign for may do `event` now: what the rules say to the
    /// person's own approver, or else to the first who has a PIN.
    func refusal(of event: LaunchEvent, launch: LaunchState) -> LaunchRefusal? {
        let own = plan.approvers.first { $0.users.contains(person.login) }
        guard let approver = own ?? plan.approvers.first(where: { $0.pinHash != nil }) else {
            return LaunchRefusal("\(person.login) is not an approver in this plan, and no approver has a PIN")
        }
        return launch.refusal(for: event, by: person.acting(as: approver.name, pinUsed: own == nil), at: now, checks: checkStatuses)
    }

    /// The actions menu for a row: the candidates the rules accept from someone who can sign
    /// here; with none, why the first of them is refused.
    func menu(pane: Pane, row: RowID?, launch: LaunchState) -> (options: [MenuOption], refusal: LaunchRefusal?) {
        let candidates = candidateActions(pane: pane, row: row, launch: launch)
        func allowed(_ action: LaunchAction) -> Bool { !signers(of: action.eventToJudge, launch: launch).isEmpty }
        let options = candidates.compactMap { option -> MenuOption? in
            switch option {
            case .action(let action):
                return allowed(action) ? option : nil
            case .submenu(let label, let actions):
                let kept = actions.filter(allowed)
                return kept.isEmpty ? nil : .submenu(label: label, options: kept)
            }
        }
        guard options.isEmpty, let first = candidates.first else { return (options, nil) }
        let event: LaunchEvent? = switch first {
        case .action(let action): action.eventToJudge
        case .submenu(_, let actions): actions.first?.eventToJudge
        }
        return (options, event.flatMap { refusal(of: $0, launch: launch) })
    }
}
