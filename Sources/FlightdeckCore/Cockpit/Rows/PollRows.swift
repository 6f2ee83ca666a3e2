import Foundation

/// The go/no-go pane: the launch phase, each role's vote, overrides, holds and the journal.
extension PaneRows {
    /// The poll: where the launch stands, each role in poll order with its vote, the final
    /// GO, overrides, built-in holds, and the newest journal entries.
    func poll(_ state: CockpitState) -> [PaneRow] {
        guard state.plan.hasPoll else {
            return [PaneRow([("The plan has no go/no-go poll: its checks alone give the verdict.", .muted)])]
        }
        guard let launch = state.launch else {
            return [PaneRow([("The shared launch state is not available: \(state.launchProblem ?? "opening it")", .statusFail)], status: .fail)]
        }
        var rows: [PaneRow] = []
        // The T-minus is on the launch bar, always: a second clock here would only cost bytes.
        var headline = launch.phaseName
        if let next = launch.nextRole, launch.phase == .pollOpen { headline += " · next to vote: \(next)" }
        if let hold = launch.hold {
            headline += launch.holdExpired(at: state.now) ? " · HOLD EXPIRED: resume or scrub" : " · hold: \(hold.reason)"
            if let expiry = hold.expiresAt, !launch.holdExpired(at: state.now) {
                headline += " (decision in \(LaunchState.clock(expiry.timeIntervalSince(state.now)).dropFirst(2)))"
            }
        }
        rows.append(PaneRow([(headline, launch.hold != nil ? .statusFail : .title)]))
        if let next = Self.nextStep(launch, state: state) { rows.append(PaneRow([("next: \(next)", .muted)])) }
        let now = launch.blockerStatuses(checks: state.checkStatuses)
        for role in launch.requiredRoles + [state.plan.poll.director] {
            let title = state.plan.roles.first { $0.id == role }?.title ?? role
            let label = role == state.plan.poll.director ? "\(title) (final GO)" : title
            guard let vote = launch.votes[role] else {
                let people = state.plan.approvers.filter { $0.role == role }.map(\.name).joined(separator: ", ")
                rows.append(PaneRow([status(.unknown), (" \(label.padded(to: 28)) ", .text), ("no vote · \(people)", .muted)],
                                    status: .unknown, id: .role(role), detail: { ["\(label): no vote yet", "approvers: \(people)"] }))
                continue
            }
            let voteStatus: CheckStatus = vote.staleBecause != nil ? .warn : (vote.choice == .go ? .pass : .fail)
            var text = "\(vote.choice.rawValue.padded(to: 6)) \(vote.approver) \(timeOfDay(vote.at))"
            if let stale = vote.staleBecause { text += " · STALE: \(stale.joined(separator: ", ")) turned red, vote again" }
            if let earlier = vote.supersedes { text += " · supersedes #\(earlier)" }
            if let reason = vote.reason { text += " · \(reason)" }
            let evidence = vote.evidence.items.map { item in
                let seen = item.vantages.map { " · from " + $0.map { "\($0.vantage) \($0.status.rawValue)" }.joined(separator: ", ") } ?? ""
                return "  \(item.id): \(item.status.rawValue) (now \((now[item.id] ?? .unknown).rawValue))\(seen)"
            }
            rows.append(PaneRow([status(voteStatus), (" \(label.padded(to: 28)) ", .text), (text, voteStatus == .pass ? .text : .status(voteStatus))],
                                status: voteStatus == .warn ? .fail : voteStatus, id: .role(role),
                                detail: { ["\(label): \(vote.choice.rawValue) by \(vote.approver) at \(LaunchRecord.timestamp(vote.at)) (entry \(vote.seq)"
                                           + "\(vote.supersedes.map { ", superseding #\($0)" } ?? ""))",
                                           vote.reason.map { "reason: \($0)" } ?? "no reason given",
                                           vote.staleBecause.map { "STALE: \($0.joined(separator: ", ")) turned red since" } ?? "current",
                                           "evidence \(vote.evidence.digest), the blockers as the voter saw them:"] + evidence }))
        }
        for override in launch.overrides {
            let approved = override.approvedBy.map { "approved by \($0)" } ?? "awaiting a second approver"
            rows.append(PaneRow([status(override.approvedBy == nil ? .unknown : .warn),
                                 (" BREAK-GLASS #\(override.seq) waive \(override.waive.joined(separator: ", ")): \(override.reason) · asked by \(override.requestedBy), \(approved)", .statusWarn)],
                                id: .override(override.seq)))
        }
        for window in state.plan.windows {
            let opened = launch.openWindows[window.id].flatMap { seq in launch.history.first { $0.seq == seq } }
            let expects = (window.checks + window.sources).joined(separator: ", ")
            rows.append(PaneRow([(" window \(window.title)\(opened.map { " OPEN since \(timeOfDay($0.at))" } ?? " closed") · expects \(expects) red", opened == nil ? .muted : .statusWarn)]))
        }
        for hold in state.plan.holds {
            let taken = launch.builtInHoldsTaken.contains(hold.name)
            rows.append(PaneRow([(" built-in hold \(hold.name) at T-\(PlanDuration.format(hold.beforeT0)) for \(PlanDuration.format(hold.duration))\(taken ? " · taken" : "")", .muted)]))
        }
        if !launch.history.isEmpty {
            rows.append(PaneRow([("Journal (newest first)", .title)]))
            for record in launch.history.suffix(8).reversed() {
                rows.append(PaneRow([(" #\(record.seq) \(timeOfDay(record.at)) \(record.actor.approver ?? record.actor.login) · \(record.event.summary)", .muted)],
                                    detail: { ["#\(record.seq) at \(LaunchRecord.timestamp(record.at))", "by \(record.actor.summary), pid \(record.actor.pid)",
                                               record.actor.sshConnection.map { "SSH \($0)" } ?? "not over SSH", record.event.summary] }))
            }
        }
        return rows
    }

    /// What the room does next, and how, in a few words.
    static func nextStep(_ launch: LaunchState, state: CockpitState) -> String? {
        let key = state.keymap?.bindings.first { $0.action == .act }?.keys.first?.description ?? "a"
        func title(_ role: String) -> String { state.plan.roles.first { $0.id == role }?.title ?? role }
        let director = title(state.plan.poll.director)
        switch launch.phase {
        case .readiness: return "open the poll (press \(key))"
        case .pollOpen: return "\(title(launch.nextRole ?? state.plan.poll.director)) votes: select its row, press \(key)"
        case .go: return "\(director) starts the countdown (press \(key))"
        case .countdown: return "LAUNCH at T-0 (press \(key))"
        case .hold: return "\(director) resumes or scrubs (press \(key))"
        case .launched, .scrubbed: return nil
        }
    }
}
