import Foundation

/// The record of a launch decision, for `flightdeck report`: the decision, every vote with
/// the evidence it was cast on, overrides (flagged as break-glass), holds, the checklist,
/// every check as it stood when the report was made, and the day's timeline.
public struct LaunchReport: Sendable, Encodable {
    public struct Vote: Sendable, Encodable {
        public var seq: Int
        public var role: String
        public var approver: String
        public var actor: String
        public var choice: String
        public var reason: String?
        public var at: String
        public var current: Bool
        /// How the voter proved who they are: `key` (an SSH signature), `PIN` or `login`.
        public var attestation: String
        /// The earlier vote for the role this one replaced.
        public var supersedes: Int?
        public var evidenceDigest: String
        public var evidence: [EvidenceItem]
    }

    public struct Override: Sendable, Encodable {
        public var seq: Int
        public var breakGlass = true
        public var waived: [String]
        public var reason: String
        public var requestedBy: String
        public var approvedBy: String?
        public var at: String
    }

    /// One journal entry, as a line of the report.
    public struct JournalLine: Sendable, Encodable {
        public var seq: Int
        public var summary: String
        public var at: String
    }

    public struct Item: Sendable, Encodable {
        public var id: String
        public var phase: String
        public var title: String
        public var severity: String
        public var mode: String
        public var state: String
        public var detail: String
    }

    public struct Check: Sendable, Encodable {
        public var id: String
        public var kind: String
        public var severity: String
        public var status: String
        public var detail: String
    }

    public var plan: String
    public var zone: String
    public var t0: String
    public var state: String
    public var decision: String
    public var finalGo: Vote?
    public var votes: [Vote]
    public var overrides: [Override]
    public var holds: [JournalLine]
    /// Alarm acknowledgements and silences, and notification deliveries, as journalled.
    public var alarmNotes: [JournalLine]
    public var checklist: [Item]
    public var checksAt: String
    public var checks: [Check]
    public var journalEntries: Int
    public var journalHead: String
    public var journalVerified: Bool
    public var journalProblem: String?
    /// How long each check was red, each alarm's wait for someone, every entry; nil when the
    /// timeline could not be read.
    public var timeline: TimelineReview.Document?

    public init(state: LaunchState, checks: [CheckReport], checkedAt: Date, journalHead: String, journalProblem: String?,
                timeline: TimelineReview.Document? = nil) {
        let plan = state.plan
        let statuses = checks.statusesByID
        self.plan = plan.name
        zone = plan.zone.description
        t0 = LaunchRecord.timestamp(plan.t0)
        self.state = state.phaseName
        // Every vote ever cast, so a vote that was replaced or went stale still shows.
        var votes: [Vote] = []
        var standing: [String: Int] = [:]
        for record in state.history {
            guard case .voteCast(let role, let choice, let reason, let evidence) = record.event else { continue }
            votes.append(Vote(seq: record.seq, role: role, approver: record.actor.approver ?? record.actor.login,
                              actor: record.actor.summary, choice: choice.rawValue, reason: reason,
                              at: LaunchRecord.timestamp(record.at), current: state.votes[role]?.seq == record.seq && state.votes[role]?.staleBecause == nil,
                              attestation: record.attestation, supersedes: standing[role],
                              evidenceDigest: evidence.digest, evidence: evidence.items))
            standing[role] = record.seq
        }
        self.votes = votes
        finalGo = votes.last { $0.role == plan.poll.director && $0.choice == VoteChoice.go.rawValue }
        switch state.phase {
        case .launched: decision = "LAUNCHED after a final GO"
        case .scrubbed: decision = "SCRUBBED"
        case .go, .countdown: decision = "GO"
        case .hold: decision = "\(state.phaseName): \(state.hold?.reason ?? "")"
        case .pollOpen, .readiness: decision = "no decision yet"
        }
        overrides = state.overrides.map {
            Override(seq: $0.seq, waived: $0.waive, reason: $0.reason, requestedBy: $0.requestedBy, approvedBy: $0.approvedBy,
                     at: LaunchRecord.timestamp($0.at))
        }
        holds = state.history.compactMap { record in
            switch record.event {
            case .holdStarted, .resumed, .scrubbed, .voteStale:
                return JournalLine(seq: record.seq, summary: record.event.summary, at: LaunchRecord.timestamp(record.at))
            case .voteCast(_, .noGo, _, _):
                return JournalLine(seq: record.seq, summary: record.event.summary, at: LaunchRecord.timestamp(record.at))
            default:
                return nil
            }
        }
        alarmNotes = state.history.compactMap { record in
            switch record.event {
            case .alarmAcknowledged, .alarmSilenced, .notificationSent:
                let who = record.actor.approver.map { " (\($0))" } ?? ""
                return JournalLine(seq: record.seq, summary: record.event.summary + who, at: LaunchRecord.timestamp(record.at))
            default:
                return nil
            }
        }
        checklist = plan.checklist.map { item in
            let itemState = state.checklistItem(item, checks: statuses)
            return Item(id: item.id, phase: item.phase, title: item.title, severity: item.severity.rawValue, mode: item.mode.rawValue,
                        state: itemState.mark.rawValue, detail: itemState.why)
        }
        checksAt = LaunchRecord.timestamp(checkedAt)
        self.checks = checks.map {
            Check(id: $0.check.id, kind: $0.check.kind.rawValue, severity: $0.check.severity.rawValue, status: $0.status.rawValue, detail: $0.detail)
        }
        journalEntries = state.lastSeq
        self.journalHead = journalHead
        journalVerified = journalProblem == nil
        self.journalProblem = journalProblem
        self.timeline = timeline
    }

    public func json() throws -> String {
        try Self.json(self)
    }

    /// A document as Flightdeck prints JSON: snake_case keys (as `check --json` too), sorted,
    /// times as the journal writes them. Throws for a value JSON cannot say (a number that is
    /// not finite), rather than print something else.
    public static func json(_ document: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(LaunchRecord.timestamp(date))
        }
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    public func markdown() -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var lines = ["# Launch report: \(plan)", "",
                     "- Zone: \(zone)", "- T-0: \(t0)", "- State: **\(state)**", "- Decision: \(decision)"]
        if let finalGo { lines.append("- Final GO: \(finalGo.approver) at \(finalGo.at) (entry \(finalGo.seq), evidence \(finalGo.evidenceDigest.prefix(16)))") }
        lines.append("- Journal: \(journalEntries) entries, head `\(journalHead)`, "
                     + (journalVerified ? "verified" : "**FAILED VERIFICATION: \(journalProblem ?? "")**"))
        lines += ["", "## Votes", ""]
        if votes.isEmpty { lines.append("No votes were cast.") } else {
            lines += ["| # | Role | Vote | Who | Signed by | When | Reason | Evidence | Counts |", "|---|---|---|---|---|---|---|---|---|"]
            for vote in votes {
                let red = vote.evidence.filter { $0.status != .pass && $0.status != .warn }.map { "\($0.id) \($0.status.rawValue)" }
                let items = vote.evidence.filter { $0.id.hasPrefix("checklist:") }.count
                let counted = "\(vote.evidence.count - items) checks, \(items) checklist items"
                let vantages = Set(vote.evidence.flatMap { $0.vantages?.map(\.vantage) ?? [] }).sorted()
                let evidence = "`\(vote.evidenceDigest.prefix(16))` " + (red.isEmpty ? "all \(vote.evidence.count) blockers green (\(counted))" : red.joined(separator: ", "))
                    + (vantages.isEmpty ? "" : ", seen from \(vantages.joined(separator: ", "))")
                let counts = vote.current ? "yes" : "no"
                let supersedes = vote.supersedes.map { " (supersedes #\($0))" } ?? ""
                lines.append("| \(vote.seq) | \(cell(vote.role)) | \(vote.choice)\(supersedes) | \(cell(vote.actor)) | \(vote.attestation) | \(vote.at) "
                             + "| \(cell(vote.reason ?? "")) | \(cell(evidence)) | \(counts) |")
            }
        }
        lines += ["", "## Overrides (break-glass)", ""]
        if overrides.isEmpty { lines.append("None.") } else {
            for override in overrides {
                lines.append("- **BREAK-GLASS** #\(override.seq) at \(override.at): waived \(override.waived.joined(separator: ", ")); "
                             + "asked by \(override.requestedBy), approved by \(override.approvedBy ?? "nobody yet (not in force)"); reason: \(override.reason)")
            }
        }
        lines += ["", "## Holds and stops", ""]
        lines += holds.isEmpty ? ["None."] : holds.map { "- #\($0.seq) \($0.at): \($0.summary)" }
        lines += ["", "## Alarms acknowledged and silenced, notifications sent", ""]
        lines += alarmNotes.isEmpty ? ["None."] : alarmNotes.map { "- #\($0.seq) \($0.at): \($0.summary)" }
        lines += ["", "## Checklist", "", "| Item | Phase | Severity | Mode | State | Detail |", "|---|---|---|---|---|---|"]
        for item in checklist {
            lines.append("| \(cell(item.title)) (`\(item.id)`) | \(cell(item.phase)) | \(item.severity) | \(item.mode) | \(item.state) | \(cell(item.detail)) |")
        }
        lines += ["", "## Checks at \(checksAt)", "", "| Check | Kind | Severity | Status | Detail |", "|---|---|---|---|---|"]
        for check in checks {
            lines.append("| `\(check.id)` | \(check.kind) | \(check.severity) | \(check.status.uppercased()) | \(cell(check.detail)) |")
        }
        lines += [""] + (timeline?.markdown() ?? ["## Timeline", "", "The timeline could not be read."])
        // Reasons, notes and check details are text from people and targets: inert in a terminal.
        return lines.map { RemoteText.sanitize($0, limit: Int.max) }.joined(separator: "\n") + "\n"
    }
}
