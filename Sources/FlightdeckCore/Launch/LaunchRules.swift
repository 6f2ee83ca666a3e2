import Foundation

/// Why an action was not recorded, in one line a tired person understands.
public struct LaunchRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension LaunchState {
    /// Whether `event` may be appended now, by `actor`, with the checks as they stand; nil
    /// when it may. Every rule of the go/no-go workflow is here.
    public func refusal(for event: LaunchEvent, by actor: LaunchActor, at now: Date, checks: [String: CheckStatus]) -> LaunchRefusal? {
        if let journalBreak {
            return LaunchRefusal("\(journalBreak); nothing more is recorded in it. The director exports it (`flightdeck audit show`) and starts a new journal (`flightdeck audit restart`)")
        }
        switch event {
        case .voteStale, .holdStarted(kind: .builtIn, _), .windowOpened, .windowClosed:
            // Automatic events are due or not; nobody's authority is involved.
            return dueEvents(at: now, checks: checks).contains(event) ? nil : LaunchRefusal("\(event.name) is not due")
        case .notificationSuppressed(let key, let window):
            guard openWindows[window] != nil else { return LaunchRefusal("the window \(window) is not open") }
            return isSuppressed(key, in: window) ? LaunchRefusal("\(key) is already held back in \(window)") : nil
        case .pinTried(let name):
            guard plan.approvers.contains(where: { $0.name == name }) else { return LaunchRefusal("no approver is named \(name)") }
            // Locked out, a try is not even recorded: the answer is the same whatever the PIN.
            return lockedUntil(name, at: now).map {
                LaunchRefusal("\(name) is locked out after \(Self.pinAttempts) PIN tries until \(LaunchRecord.timestamp($0))")
            }
        case .pinAccepted(let name):
            return plan.approvers.contains { $0.name == name } ? nil : LaunchRefusal("no approver is named \(name)")
        case .pinRejected:
            return LaunchRefusal("a PIN try is recorded before it is checked, as pin-tried")
        case .notificationClaimed(let key):
            return isNews(key, at: now) ? nil : LaunchRefusal("\(key) is already being notified")
        case .notificationSent(let key, _, _, _):
            return notificationClaims[key] == nil ? LaunchRefusal("nobody claimed \(key)") : nil
        default:
            break
        }
        guard plan.hasPoll else {
            return LaunchRefusal("this plan has no go/no-go poll, only checks (add roles, approvers and a poll to run one)")
        }
        if isFinished, !event.isAboutAlarms {
            return LaunchRefusal("the launch is \(phaseName); nothing more can change it")
        }
        let approver: Approver
        switch self.approver(actor, at: now) {
        case .success(let found): approver = found
        case .failure(let refusal): return refusal
        }
        switch event {
        case .checklistMarked(let itemID, let mark, let note):
            guard let item = plan.checklist.first(where: { $0.id == itemID }) else { return LaunchRefusal("the checklist has no item \(itemID)") }
            guard approver.role == item.owner || approver.role == plan.poll.director else {
                return LaunchRefusal("\(item.id) belongs to \(item.owner); \(approver.name) votes for \(approver.role)")
            }
            if mark == .done, !item.checks.isEmpty {
                return LaunchRefusal("\(item.id) is proved by its checks (\(item.checks.joined(separator: ", "))), not by hand")
            }
            if mark == .waived, note.isBlank { return LaunchRefusal("waiving \(item.id) needs a reason") }
            return nil

        case .pollOpened:
            if phase == .hold { return LaunchRefusal("the launch is on hold; it resumes first") }
            return phase == .readiness ? nil : LaunchRefusal("the poll is already open (\(phaseName))")

        case .voteCast(let role, let choice, let reason, let evidence):
            guard plan.poll.order.contains(role) || role == plan.poll.director else { return LaunchRefusal("\(role) does not vote in this poll") }
            guard approver.role == role else { return LaunchRefusal("\(approver.name) votes for \(approver.role), not \(role)") }
            if let other = votes.values.first(where: { $0.approver == approver.name && $0.role != role }) {
                return LaunchRefusal("\(approver.name) already voted for \(other.role): one person, one vote")
            }
            if let standing = votes[role], standing.approver == approver.name, standing.choice == choice, standing.staleBecause == nil {
                return LaunchRefusal("\(approver.name) already voted \(choice.rawValue) for \(role) (#\(standing.seq)); a vote stands until it goes stale or is changed")
            }
            guard evidence.items.map(\.judged) == blockers(checks: checks) else {
                return LaunchRefusal("the vote's evidence is not the blockers' state now; look again and vote")
            }
            if choice == .noGo {
                guard !reason.isBlank else { return LaunchRefusal("a NO-GO needs a reason") }
                return [.pollOpen, .go, .countdown, .hold].contains(phase) ? nil : LaunchRefusal("there is no poll to vote NO-GO in (\(phaseName))")
            }
            guard phase == .pollOpen else {
                return LaunchRefusal(phase == .readiness ? "the poll is not open yet" : "votes are taken while the poll is open, not in \(phaseName)")
            }
            if role == plan.poll.director {
                if let waiting = requiredRoles.first(where: { votes[$0]?.isCurrentGo != true }) {
                    return LaunchRefusal("the final GO waits for \(waiting): \(voteWord(waiting))")
                }
                let unmet = unmetBlockers(checks: checks)
                if !unmet.isEmpty {
                    return LaunchRefusal("blockers stand: " + unmet.map { "\($0.id) \($0.status == .fail ? "red" : "inconclusive")" }.joined(separator: ", "))
                }
                if !plan.poll.allowSelfApproval, pollOpenedBy == approver.name {
                    return LaunchRefusal("\(approver.name) opened the poll and so cannot give the final GO")
                }
                return nil
            }
            if let earlier = requiredRoles.prefix(while: { $0 != role }).first(where: { votes[$0]?.isCurrentGo != true }) {
                return LaunchRefusal("\(earlier) votes first (poll order: \(requiredRoles.joined(separator: ", ")))")
            }
            return nil

        case .holdStarted(let kind, let reason):
            guard kind == .manual else { return LaunchRefusal("only manual holds are called by hand") }
            guard !reason.isBlank else { return LaunchRefusal("a hold needs a reason") }
            return phase == .hold ? LaunchRefusal("the launch is already on hold") : nil

        case .resumed(let reason):
            guard phase == .hold else { return LaunchRefusal("there is no hold to resume from") }
            guard approver.role == plan.poll.director else { return LaunchRefusal("only the \(plan.poll.director) resumes") }
            return reason.isBlank ? LaunchRefusal("resuming needs a reason") : nil

        case .overrideRequested(let waive, let reason):
            guard !reason.isBlank else { return LaunchRefusal("an override needs a reason") }
            guard !waive.isEmpty else { return LaunchRefusal("an override names the blockers it waives") }
            let known = Set(blockers(checks: checks).map(\.id))
            if let unknown = waive.first(where: { !known.contains($0) }) { return LaunchRefusal("\(unknown) is not a blocker") }
            return nil

        case .overrideApproved(let request):
            guard let override = overrides.first(where: { $0.seq == request }) else { return LaunchRefusal("there is no override request #\(request)") }
            guard override.approvedBy == nil else { return LaunchRefusal("override #\(request) is already approved by \(override.approvedBy!)") }
            return override.requestedBy == approver.name
                ? LaunchRefusal("an override needs a second, different approver; \(approver.name) asked for it") : nil

        case .countdownStarted:
            guard approver.role == plan.poll.director else { return LaunchRefusal("only the \(plan.poll.director) starts the countdown") }
            return phase == .go ? nil : LaunchRefusal("the countdown starts after the final GO, not in \(phaseName)")

        case .launched:
            guard approver.role == plan.poll.director else { return LaunchRefusal("only the \(plan.poll.director) launches") }
            guard phase == .countdown else { return LaunchRefusal("launch comes at the end of the countdown, not in \(phaseName)") }
            let remaining = tMinus(at: now)
            return remaining > 0 ? LaunchRefusal("\(Self.clock(remaining)) remains on the clock") : nil

        case .journalRestarted(_, _, _, let reason):
            guard lastSeq == 0 else { return LaunchRefusal("a journal is restarted only as its first entry") }
            guard approver.role == plan.poll.director else { return LaunchRefusal("only the \(plan.poll.director) restarts the journal") }
            return reason.isBlank ? LaunchRefusal("restarting the journal needs a reason") : nil

        case .scrubbed(let reason):
            guard approver.role == plan.poll.director else { return LaunchRefusal("only the \(plan.poll.director) scrubs") }
            return reason.isBlank ? LaunchRefusal("a scrub needs a reason") : nil

        case .alarmAcknowledged(_, let reason), .alarmSilenced(_, _, let reason):
            return reason.isBlank ? LaunchRefusal("acknowledging or silencing an alarm needs a reason") : nil

        case .rerunRequested(let check):
            // Any approver may ask, in any phase: fresh evidence never hurts the launch.
            return plan.commandChecks.contains { $0.id == check } ? nil : LaunchRefusal("the plan has no command check \(check)")

        case .voteStale, .pinTried, .pinAccepted, .pinRejected, .notificationClaimed, .notificationSent, .windowOpened, .windowClosed,
             .notificationSuppressed:
            return nil
        }
    }

    /// The approver an actor acts as, checked against the plan: named in it, the login theirs
    /// unless they proved it with their PIN, and not locked out.
    public func approver(_ actor: LaunchActor, at now: Date) -> Result<Approver, LaunchRefusal> {
        guard let name = actor.approver else {
            return .failure(LaunchRefusal("\(actor.login) is not an approver in this plan"))
        }
        guard let approver = plan.approvers.first(where: { $0.name == name }) else {
            return .failure(LaunchRefusal("no approver is named \(name)"))
        }
        if actor.pinUsed {
            if let until = lockedUntil(name, at: now) {
                return .failure(LaunchRefusal("\(name) is locked out after \(Self.pinAttempts) PIN tries until \(LaunchRecord.timestamp(until))"))
            }
        } else if !approver.users.contains(actor.login) {
            return .failure(LaunchRefusal("\(actor.login) is not \(name)'s login; sign with \(name)'s PIN instead"))
        }
        return .success(approver)
    }

    /// Events the passing of time and the checks make due: a vote whose blockers turned red
    /// goes stale; the launch clock reaching a built-in hold stops.
    public func dueEvents(at now: Date, checks: [String: CheckStatus]) -> [LaunchEvent] {
        // Windows keep their rules after the launch ends: one standing then closes.
        var due = windowEvents(at: now)
        guard !isFinished else { return due }
        let current = blockerStatuses(checks: checks)
        let waived = waived
        for role in requiredRoles + [plan.poll.director] {
            guard let vote = votes[role], vote.isCurrentGo else { continue }
            let turned = vote.evidence.items
                .filter { ($0.status == .pass || $0.status == .warn) && current[$0.id] == .fail && !waived.contains($0.id) }
                .map(\.id)
            if !turned.isEmpty { due.append(.voteStale(role: role, blockers: turned)) }
        }
        if [.readiness, .pollOpen, .go, .countdown].contains(phase) {
            let remaining = tMinus(at: now)
            if let hold = plan.holds.sorted(by: { $0.beforeT0 > $1.beforeT0 })
                .first(where: { !builtInHoldsTaken.contains($0.name) && remaining <= $0.beforeT0.timeInterval }) {
                due.append(.holdStarted(kind: .builtIn(name: hold.name, seconds: Int(hold.duration.timeInterval)),
                                        reason: "the clock stops at T-\(PlanDuration.format(hold.beforeT0))"))
            }
        }
        return due
    }

    public static let renotifyAfter: TimeInterval = 600

    /// Whether a notice is news: never told; or an alarm told of before whose occurrence has
    /// since resolved (it fired again), or that is still news ten minutes on. A decision, an
    /// acknowledgement or a recovery is told once.
    public func isNews(_ key: String, at now: Date) -> Bool {
        guard let claimed = notificationClaims[key] else { return true }
        guard let alarm = key.dropPrefix("alarm/") else { return false }
        return alarmOccurrences[alarm] == nil || now.timeIntervalSince(claimed) >= Self.renotifyAfter
    }

    /// What someone who just recorded `event` must not miss: a GO cast while blockers are red
    /// or not known to pass is accepted (only the final GO waits for them), but it says so.
    public func caveat(for event: LaunchEvent, checks: [String: CheckStatus]) -> String? {
        guard case .voteCast(_, .go, _, _) = event else { return nil }
        let unmet = unmetBlockers(checks: checks)
        guard !unmet.isEmpty else { return nil }
        let listed = unmet.prefix(5).map { "\($0.id) \($0.status == .fail ? "red" : "not known")" }.joined(separator: ", ")
        return "blockers not green now: \(listed)\(unmet.count > 5 ? " and \(unmet.count - 5) more" : ""); the final GO waits for them"
    }

    private func voteWord(_ role: String) -> String {
        guard let vote = votes[role] else { return "no vote yet" }
        if vote.staleBecause != nil { return "its vote went stale" }
        return vote.choice == .noGo ? "it voted NO-GO" : "it voted GO"
    }


    /// `T-00:04:10` for seconds to T-0, `T+00:01:00` after it.
    public static func clock(_ seconds: TimeInterval) -> String {
        let whole = Int(seconds.rounded(.down))
        let total = abs(whole)
        let days = total / 86_400
        let text = String(format: "%02d:%02d:%02d", total % 86_400 / 3600, total % 3600 / 60, total % 60)
        return "T\(whole >= 0 ? "-" : "+")\(days > 0 ? "\(days)d " : "")\(text)"
    }
}

extension LaunchEvent {
    var isAboutAlarms: Bool {
        switch self {
        case .alarmAcknowledged, .alarmSilenced: true
        default: false
        }
    }
}

extension Optional where Wrapped == String {
    var isBlank: Bool { self?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true }
}

extension String {
    var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}

extension PollRules {
    /// Whether only an SSH key signature may record `event` (`poll.require_signatures`).
    public func requiresKeySignature(_ event: LaunchEvent) -> Bool {
        guard !requireSignatures.isEmpty else { return false }
        switch event {
        case .voteCast(let role, _, _, _):
            return requireSignatures.contains(.all) || requireSignatures.contains(.votes)
                || (role == director && requireSignatures.contains(.finalGo))
        case .overrideRequested, .overrideApproved:
            return requireSignatures.contains(.all) || requireSignatures.contains(.overrides)
        case .voteStale, .holdStarted(kind: .builtIn, _), .pinTried, .pinAccepted, .pinRejected, .notificationClaimed, .notificationSent,
             .windowOpened, .windowClosed, .notificationSuppressed:
            return false
        default:
            return requireSignatures.contains(.all)
        }
    }
}
