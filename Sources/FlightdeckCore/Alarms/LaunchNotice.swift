import Foundation

/// News for the notification targets: a new critical alarm (and, for those who track its
/// incident, its acknowledgement and recovery), or a poll decision.
public struct LaunchNotice: Sendable, Equatable {
    /// The same in every process: `decision/SEQ` for a journal entry, `alarm/ID` for an
    /// alarm, `alarm-acknowledged/SEQ/ID` and `alarm-resolved/SEQ/ID` for what became of the
    /// occurrence whose first notice was entry SEQ.
    public var key: String
    public var event: NotificationTarget.Event
    /// One line: `NO-GO from security (Priya Raman): pen test finding open`.
    public var text: String
    public var alarmID: String?
    /// What to do about it, when the plan says.
    public var runbook: Runbook?
    /// The alarm's occurrence: the journal entry of the claim that first told of it (an
    /// incident's dedup key is made of it).
    public var occurrence: Int?
    /// The checks' verdict and the launch clock when it went out, for messages that show them.
    public var verdict: String?
    public var clock: String?
    /// The journal's head when the notice went out: an anchor kept outside the state
    /// directory (`audit verify --anchor SEQ:HASH`).
    public var journalHead: JournalHead?

    public init(key: String, event: NotificationTarget.Event, text: String, alarmID: String? = nil, runbook: Runbook? = nil,
                occurrence: Int? = nil) {
        self.key = key
        self.event = event
        self.text = text
        self.alarmID = alarmID
        self.runbook = runbook
        self.occurrence = occurrence
    }

    /// The line as it goes out, with the launch it is about, its runbook and the journal head.
    public func message(plan: LaunchPlan) -> String {
        "[Flightdeck] \(plan.name): \(text)" + (runbook.map { " — runbook: \($0.line)" } ?? "")
            + (journalHead.map { " (journal head \($0.seq):\($0.hash))" } ?? "")
    }

    /// Poll decisions journalled after `since`: NO-GO votes, holds, the final GO, scrubs.
    public static func decisions(in launch: LaunchState, after since: Date) -> [LaunchNotice] {
        launch.history.filter { $0.at > since }.compactMap { record in
            let who = record.actor.approver ?? record.actor.login
            let key = "decision/\(record.seq)"
            switch record.event {
            case .voteCast(let role, .noGo, let reason, _):
                return LaunchNotice(key: key, event: .noGo, text: "NO-GO from \(role) (\(who)): \(reason ?? "") — the launch is on hold")
            case .voteCast(let role, .go, _, _) where role == launch.plan.poll.director:
                return LaunchNotice(key: key, event: .go, text: "GO: the final GO, given by \(who)")
            case .holdStarted(let kind, let reason):
                if case .builtIn(let name, _) = kind { return LaunchNotice(key: key, event: .hold, text: "HOLD: built-in hold \(name) (\(reason))") }
                return LaunchNotice(key: key, event: .hold, text: "HOLD: \(reason)\(record.actor.approver.map { " (\($0))" } ?? "")")
            case .scrubbed(let reason):
                return LaunchNotice(key: key, event: .scrub, text: "SCRUBBED by \(who): \(reason)")
            default:
                return nil
            }
        }
    }

    /// What became of the alarm occurrences told of and not yet resolved: acknowledged in
    /// Flightdeck, or recovered. Only what this process saw: an alarm it never saw firing is
    /// not resolved by it.
    public static func followUps(on board: AlarmBoard, launch: LaunchState, plan: LaunchPlan) -> [LaunchNotice] {
        launch.alarmOccurrences.sorted { $0.value < $1.value }.compactMap { id, seq in
            guard let entry = board.entries.first(where: { $0.alarm.id == id }) else { return nil }
            switch entry.state {
            case .resolved:
                return LaunchNotice(key: "alarm-resolved/\(seq)/\(id)", event: .alarmResolved, text: "RESOLVED: \(entry.alarm.reason)",
                                    alarmID: id, runbook: plan.runbook(for: entry.alarm), occurrence: seq)
            case .acknowledged:
                let by = entry.acknowledgement.map { " by \($0.by): \($0.reason)" } ?? ""
                return LaunchNotice(key: "alarm-acknowledged/\(seq)/\(id)", event: .alarmAcknowledged, text: "ACKNOWLEDGED\(by) — \(entry.alarm.reason)",
                                    alarmID: id, runbook: plan.runbook(for: entry.alarm), occurrence: seq)
            case .firing, .silenced:
                return nil
            }
        }
    }

    /// Critical alarms firing now that nobody has acknowledged or silenced, each with its runbook.
    public static func alarms(on board: AlarmBoard, plan: LaunchPlan) -> [LaunchNotice] {
        board.entries.filter { $0.state == .firing && $0.alarm.severity == .critical }.map {
            LaunchNotice(key: "alarm/\($0.alarm.id)", event: .criticalAlarm, text: "CRITICAL alarm: \($0.alarm.reason)", alarmID: $0.alarm.id,
                         runbook: plan.runbook(for: $0.alarm))
        }
    }
}

/// The last entry of a journal by number and hash, as an anchor quotes it.
public struct JournalHead: Sendable, Equatable {
    public var seq: Int
    public var hash: String

    public init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}
