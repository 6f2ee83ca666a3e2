import Foundation

/// The go/no-go workflow: the state of one launch folded from its journal, and the rules for
/// what may be appended next. Pure: the store calls `refusal` and `apply` inside one write
/// transaction, so two people acting at once are judged one after the other.
public struct LaunchState: Sendable {
    public enum Phase: String, Sendable, Equatable, Codable {
        case readiness, pollOpen = "poll-open", go, countdown, hold, scrubbed, launched
    }

    public struct ActiveHold: Sendable, Equatable {
        public var kind: HoldKind
        public var reason: String
        /// When the launch clock stopped: for a built-in hold, the moment the clock reached
        /// its time, which may be before anyone noticed.
        public var since: Date
        /// When the hold was journalled: a built-in hold's time to decide counts from here,
        /// so a plan opened after its time does not find the hold already run out.
        public var recordedAt: Date
        public var seq: Int
        /// Where a resume goes back to, if the poll still stands.
        public var resumeTo: Phase

        /// A built-in hold's deadline: past it the hold demands resume or scrub.
        public var expiresAt: Date? {
            if case .builtIn(_, let seconds) = kind { return recordedAt.addingTimeInterval(TimeInterval(seconds)) }
            return nil
        }
    }

    public struct RoleVote: Sendable, Equatable {
        public var role: String
        public var approver: String
        public var choice: VoteChoice
        public var reason: String?
        public var evidence: VoteEvidence
        public var at: Date
        public var seq: Int
        /// The blockers that turned red under this vote; non-nil means it no longer counts.
        public var staleBecause: [String]?
        /// The entry of the role's vote this one replaced.
        public var supersedes: Int?

        public var isCurrentGo: Bool { choice == .go && staleBecause == nil }
    }

    public struct Override: Sendable, Equatable {
        public var seq: Int
        public var requestedBy: String
        public var waive: [String]
        public var reason: String
        public var at: Date
        public var approvedBy: String?
        public var approvedAt: Date?
    }

    public struct Mark: Sendable, Equatable {
        public var mark: ChecklistMark
        public var note: String?
        public var by: String
        public var at: Date
    }

    /// Who acknowledged or silenced an alarm, why, and when.
    public struct AlarmMark: Sendable, Equatable {
        public var by: String
        public var reason: String
        public var at: Date
        /// For a silence: until when; nil means until the alarm recovers.
        public var until: Date?
    }

    public struct Delivery: Sendable, Equatable {
        public var target: String
        public var delivered: Bool
        public var outcome: String
        public var at: Date
    }

    public let plan: LaunchPlan
    public private(set) var phase: Phase = .readiness
    public private(set) var hold: ActiveHold?
    public private(set) var votes: [String: RoleVote] = [:]
    public private(set) var marks: [String: Mark] = [:]
    public private(set) var overrides: [Override] = []
    public private(set) var pollOpenedBy: String?
    /// The sequence number of the final GO, while it stands.
    public private(set) var finalGo: Int?
    /// The newest acknowledgement and silence of each alarm, by alarm id.
    public private(set) var alarmAcks: [String: AlarmMark] = [:]
    public private(set) var alarmSilences: [String: AlarmMark] = [:]
    public private(set) var builtInHoldsTaken: Set<String> = []
    /// Seconds the clock stood still in holds that have ended.
    public private(set) var heldSeconds: TimeInterval = 0
    public private(set) var pinFailures: [String: [Date]] = [:]
    /// When each notification key was last claimed, and what became of its deliveries.
    public private(set) var notificationClaims: [String: Date] = [:]
    /// The alarm occurrences told of and not yet resolved: alarm id to the entry of the
    /// claim that first told of it.
    public private(set) var alarmOccurrences: [String: Int] = [:]
    /// The expected-noise windows standing: id to the entry that opened it.
    public private(set) var openWindows: [String: Int] = [:]
    /// Notices held back, as `OPENED/KEY`: once per opening of a window.
    public private(set) var suppressedNotices: Set<String> = []
    public private(set) var deliveries: [String: [Delivery]] = [:]
    public private(set) var lastSeq = 0
    /// Where the journal stops holding together, if it does: nothing at or after that entry
    /// is folded, and nothing more may be recorded.
    public private(set) var journalBreak: ChainBreak?
    public private(set) var history = LaunchHistory()

    public static let pinAttempts = 5
    public static let pinLockout: TimeInterval = 300

    public init(plan: LaunchPlan) {
        self.plan = plan
    }

    public init(plan: LaunchPlan, records: some Sequence<LaunchRecord>) {
        self.init(plan: plan)
        records.forEach { apply($0) }
    }

    /// Roles that vote before the director's final GO, in poll order.
    public var requiredRoles: [String] { plan.poll.order.filter { $0 != plan.poll.director } }

    /// READINESS, POLL OPEN, GO, COUNTDOWN, HOLD, NO-GO, SCRUBBED, LAUNCHED.
    public var phaseName: String {
        if phase == .hold, case .noGo? = hold?.kind { return "NO-GO" }
        switch phase {
        case .readiness: return "READINESS"
        case .pollOpen: return "POLL OPEN"
        case .go: return "GO"
        case .countdown: return "COUNTDOWN"
        case .hold: return "HOLD"
        case .scrubbed: return "SCRUBBED"
        case .launched: return "LAUNCHED"
        }
    }

    public var isFinished: Bool { phase == .scrubbed || phase == .launched }

    // MARK: The clock

    /// Seconds to T-0 on the launch clock, which stops during every hold: negative after T-0.
    public func tMinus(at now: Date) -> TimeInterval {
        var held = heldSeconds
        if let hold { held += max(0, now.timeIntervalSince(hold.since)) }
        return plan.t0.timeIntervalSince(now) + held
    }

    public func holdExpired(at now: Date) -> Bool {
        guard phase == .hold, let expiry = hold?.expiresAt else { return false }
        return now >= expiry
    }

    // MARK: Blockers

    /// Every blocker (blocker checks, then blocker checklist items) with its status now.
    public func blockers(checks: [String: CheckStatus]) -> [EvidenceItem] {
        plan.checks.filter { $0.severity == .blocker }.map { EvidenceItem(id: $0.id, status: checks[$0.id] ?? .unknown) }
            + plan.checklist.filter { $0.severity == .blocker }.map {
                EvidenceItem(id: "checklist:\($0.id)", status: checklistItem($0, checks: checks).status)
            }
    }

    /// Each blocker's status now, by id.
    public func blockerStatuses(checks: [String: CheckStatus]) -> [String: CheckStatus] {
        Dictionary(blockers(checks: checks).map { ($0.id, $0.status) }, uniquingKeysWith: { first, _ in first })
    }

    /// Blocker ids an approved override waives.
    public var waived: Set<String> {
        Set(overrides.filter { $0.approvedBy != nil }.flatMap(\.waive))
    }

    /// Blockers that stand in the way of a GO: red, or with no result (inconclusive), and not waived.
    public func unmetBlockers(checks: [String: CheckStatus]) -> [EvidenceItem] {
        let waived = waived
        return blockers(checks: checks).filter { ($0.status == .fail || $0.status == .unknown) && !waived.contains($0.id) }
    }

    public struct ChecklistItemState: Sendable, Equatable {
        public var mark: ChecklistMark
        public var status: CheckStatus
        /// Why, in a few words: `proved by api-health`, `un-ticked: api-health failed`.
        public var why: String
        public var manual: Mark?
    }

    /// An item's state: marked by hand, or proven by its linked checks (and un-ticked when
    /// they regress). A failed or waived mark stands over the checks.
    public func checklistItem(_ item: ChecklistItem, checks: [String: CheckStatus]) -> ChecklistItemState {
        let manual = marks[item.id]
        switch manual?.mark {
        case .failed?: return ChecklistItemState(mark: .failed, status: .fail, why: "failed: \(manual?.note ?? "marked failed")", manual: manual)
        case .waived?: return ChecklistItemState(mark: .waived, status: .pass, why: "waived: \(manual?.note ?? "")", manual: manual)
        default: break
        }
        guard !item.checks.isEmpty else {
            return manual?.mark == .done
                ? ChecklistItemState(mark: .done, status: .pass, why: "done by \(manual!.by)", manual: manual)
                : ChecklistItemState(mark: .pending, status: .unknown, why: "pending", manual: manual)
        }
        let statuses = item.checks.map { ($0, checks[$0] ?? .unknown) }
        let failed = statuses.filter { $0.1 == .fail }.map(\.0)
        if !failed.isEmpty {
            return ChecklistItemState(mark: .failed, status: .fail, why: "un-ticked: \(failed.joined(separator: ", ")) failing", manual: manual)
        }
        let waiting = statuses.filter { $0.1 == .unknown }.map(\.0)
        if !waiting.isEmpty {
            return ChecklistItemState(mark: .pending, status: .unknown, why: "waiting for \(waiting.joined(separator: ", "))", manual: manual)
        }
        return ChecklistItemState(mark: .done, status: .pass, why: "proved by \(item.checks.joined(separator: ", "))", manual: manual)
    }

    // MARK: The poll

    /// Every required role holds a current GO.
    public var rolesAllGo: Bool { requiredRoles.allSatisfy { votes[$0]?.isCurrentGo == true } }

    /// The role whose turn it is to vote: the first in poll order without a current GO.
    public var nextRole: String? {
        requiredRoles.first { votes[$0]?.isCurrentGo != true } ?? (votes[plan.poll.director]?.isCurrentGo == true ? nil : plan.poll.director)
    }

    /// When the approver may try their PIN again, if they are locked out now.
    public func lockedUntil(_ approver: String, at now: Date) -> Date? {
        let failures = pinFailures[approver] ?? []
        guard failures.count >= Self.pinAttempts, let last = failures.last else { return nil }
        let until = last.addingTimeInterval(Self.pinLockout)
        return now < until ? until : nil
    }

    // MARK: Folding

    /// Folds one journal entry into the state. Entries were judged by `refusal` when they
    /// were written; this trusts their order and tolerates what it does not expect.
    public mutating func apply(_ record: LaunchRecord) {
        lastSeq = record.seq
        history.append(record)
        let who = record.actor.approver ?? record.actor.login
        if record.actor.pinUsed, let approver = record.actor.approver { pinFailures[approver] = nil }
        switch record.event {
        case .checklistMarked(let item, let mark, let note):
            marks[item] = Mark(mark: mark, note: note, by: who, at: record.at)
        case .pollOpened:
            phase = .pollOpen
            pollOpenedBy = record.actor.approver
        case .voteCast(let role, let choice, let reason, let evidence):
            votes[role] = RoleVote(role: role, approver: who, choice: choice, reason: reason, evidence: evidence, at: record.at, seq: record.seq,
                                   supersedes: votes[role]?.seq)
            if choice == .noGo {
                if role == plan.poll.director { finalGo = nil }
                startHold(kind: .noGo(role: role), reason: reason ?? "", record: record)
            } else if role == plan.poll.director, phase == .pollOpen {
                phase = .go
                finalGo = record.seq
            }
        case .voteStale(let role, let blockers):
            guard votes[role] != nil, votes[role]?.staleBecause == nil else { break }
            votes[role]?.staleBecause = blockers
            if phase == .go || phase == .countdown {
                startHold(kind: .staleVote(role: role), reason: "\(blockers.joined(separator: ", ")) turned red", record: record)
            }
        case .holdStarted(let kind, let reason):
            var since = record.at
            if case .builtIn(let name, _) = kind {
                builtInHoldsTaken.insert(name)
                // The clock stops at the hold's T-minus time, not when a process noticed.
                if let hold = plan.holds.first(where: { $0.name == name }) {
                    since = record.at.addingTimeInterval(min(0, tMinus(at: record.at) - hold.beforeT0.timeInterval))
                }
            }
            startHold(kind: kind, reason: reason, record: record, since: since)
        case .resumed:
            guard let ended = hold else { break }
            heldSeconds += max(0, record.at.timeIntervalSince(ended.since))
            hold = nil
            switch ended.resumeTo {
            case .go, .countdown:
                let pollStands = rolesAllGo && votes[plan.poll.director]?.isCurrentGo == true
                if pollStands {
                    phase = ended.resumeTo
                } else {
                    // The poll no longer stands: it is taken again, final GO included.
                    phase = .pollOpen
                    finalGo = nil
                    votes[plan.poll.director] = nil
                }
            default:
                phase = ended.resumeTo
            }
        case .overrideRequested(let waive, let reason):
            overrides.append(Override(seq: record.seq, requestedBy: who, waive: waive, reason: reason, at: record.at))
        case .overrideApproved(let request):
            if let index = overrides.firstIndex(where: { $0.seq == request }), overrides[index].approvedBy == nil {
                overrides[index].approvedBy = who
                overrides[index].approvedAt = record.at
            }
        case .countdownStarted:
            phase = .countdown
        case .launched:
            phase = .launched
        case .scrubbed:
            if let ended = hold { heldSeconds += max(0, record.at.timeIntervalSince(ended.since)) }
            hold = nil
            phase = .scrubbed
        case .alarmAcknowledged(let alarm, let reason):
            alarmAcks[alarm] = AlarmMark(by: who, reason: reason, at: record.at)
        case .alarmSilenced(let alarm, let until, let reason):
            alarmSilences[alarm] = AlarmMark(by: who, reason: reason, at: record.at, until: until)
        case .pinTried(let approver), .pinRejected(let approver):
            pinFailures[approver, default: []].append(record.at)
        case .pinAccepted(let approver):
            pinFailures[approver] = nil
        case .notificationClaimed(let key):
            notificationClaims[key] = record.at
            if let alarm = key.dropPrefix("alarm/"), alarmOccurrences[alarm] == nil {
                alarmOccurrences[alarm] = record.seq
            } else if let rest = key.dropPrefix("alarm-resolved/"), let slash = rest.firstIndex(of: "/"),
                      let seq = Int(rest[..<slash]), alarmOccurrences[String(rest[rest.index(after: slash)...])] == seq {
                alarmOccurrences[String(rest[rest.index(after: slash)...])] = nil
            }
        case .notificationSent(let key, let target, let delivered, let outcome):
            deliveries[key, default: []].append(Delivery(target: target, delivered: delivered, outcome: outcome, at: record.at))
        case .windowOpened(let window):
            openWindows[window] = record.seq
        case .windowClosed(let window):
            openWindows[window] = nil
        case .notificationSuppressed(let key, let window):
            if let opened = openWindows[window] { suppressedNotices.insert("\(opened)/\(key)") }
        case .journalRestarted, .rerunRequested:
            break
        }
    }

    /// The journal stops holding together at `chainBreak`: folding ends, recording too.
    public mutating func markBroken(_ chainBreak: ChainBreak) {
        if journalBreak == nil { journalBreak = chainBreak }
    }

    private mutating func startHold(kind: HoldKind, reason: String, record: LaunchRecord, since: Date? = nil) {
        guard !isFinished, phase != .hold else { return }
        hold = ActiveHold(kind: kind, reason: reason, since: since ?? record.at, recordedAt: record.at, seq: record.seq, resumeTo: phase)
        phase = .hold
    }
}

/// Where and why a journal stops holding together: an entry edited, missing, inserted,
/// unreadable, or out of its chain.
public struct ChainBreak: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: Int
    public var problem: String

    public init(seq: Int, problem: String) {
        self.seq = seq
        self.problem = problem
    }

    public var description: String { "the launch journal is broken at entry \(seq): \(problem)" }
}
