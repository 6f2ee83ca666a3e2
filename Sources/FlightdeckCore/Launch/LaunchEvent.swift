import Foundation

/// Who did something, as the machine saw it. Every journal entry carries one.
public struct LaunchActor: Sendable, Equatable, Codable {
    /// The person's login: the name of the audit login uid where the kernel keeps one (it
    /// survives `su` and `sudo`), otherwise the effective user's.
    public var login: String
    public var effectiveUser: String
    public var loginUID: UInt32?
    /// `SSH_CONNECTION` of the session: client address and port, server address and port.
    public var sshConnection: String?
    public var tty: String?
    public var pid: Int32
    public var host: String
    /// The approver acting, by name; nil for automatic events and observers.
    public var approver: String?
    /// Whether the approver proved who they are with their PIN (on a shared terminal)
    /// rather than by their login.
    public var pinUsed: Bool

    public init(login: String, effectiveUser: String, loginUID: UInt32? = nil, sshConnection: String? = nil,
                tty: String? = nil, pid: Int32, host: String, approver: String? = nil, pinUsed: Bool = false) {
        self.login = login
        self.effectiveUser = effectiveUser
        self.loginUID = loginUID
        self.sshConnection = sshConnection
        self.tty = tty
        self.pid = pid
        self.host = host
        self.approver = approver
        self.pinUsed = pinUsed
    }

    public func acting(as approver: String?, pinUsed: Bool) -> LaunchActor {
        var actor = self
        actor.approver = approver
        actor.pinUsed = pinUsed
        return actor
    }

    /// `dana (Dana Whitfield, PIN) on bastion tty pts/3`, for the journal and the report.
    public var summary: String {
        var text = login
        if let approver { text += " (\(approver)\(pinUsed ? ", PIN" : ""))" }
        text += " on \(host)"
        if let tty { text += " \(tty)" }
        if let sshConnection, let client = sshConnection.split(separator: " ").first { text += " from \(client)" }
        return text
    }
}

public enum VoteChoice: String, Sendable, Equatable, Codable, CaseIterable {
    case go = "GO"
    case noGo = "NO-GO"
}

/// What a checklist item has been marked by a person. Items linked to checks are proven by
/// them instead and cannot be marked done by hand.
public enum ChecklistMark: String, Sendable, Equatable, Codable, CaseIterable {
    case pending, done, failed, waived
}

/// One blocker as a voter saw it when they voted.
public struct EvidenceItem: Sendable, Equatable, Codable {
    /// A check id, or `checklist:ITEM` for a checklist item.
    public var id: String
    public var status: CheckStatus
    /// For a check seen from several vantages: what each saw, which its status rests on.
    /// Absent otherwise (and in entries written before vantages), so those read as they were.
    public var vantages: [EvidenceVantage]?

    public init(id: String, status: CheckStatus, vantages: [EvidenceVantage]? = nil) {
        self.id = id
        self.status = status
        self.vantages = vantages
    }

    /// The blocker and its status, without the vantages behind it: what the workflow judges.
    public var judged: EvidenceItem { EvidenceItem(id: id, status: status) }
}

/// One vantage's status of a blocker a vote rested on.
public struct EvidenceVantage: Sendable, Equatable, Codable {
    public var vantage: String
    public var status: CheckStatus

    public init(vantage: String, status: CheckStatus) {
        self.vantage = vantage
        self.status = status
    }
}

/// The blockers' states a vote was cast on, with their digest (SHA-256 of the canonical
/// lines, made where OpenSSL is at hand) so two votes can be seen to rest on the same facts.
public struct VoteEvidence: Sendable, Equatable, Codable {
    public var items: [EvidenceItem]
    public var digest: String

    public init(items: [EvidenceItem], digest: String) {
        self.items = items
        self.digest = digest
    }

    /// The text the digest is taken over: one `id=status` line per blocker, sorted, with
    /// ` vantage=status,...` after it for a blocker seen from several vantages.
    public static func canonicalText(_ items: [EvidenceItem]) -> String {
        items.map { item in
            let vantages = item.vantages.map { " " + $0.map { "\($0.vantage)=\($0.status.rawValue)" }.joined(separator: ",") } ?? ""
            return "\(item.id)=\(item.status.rawValue)\(vantages)\n"
        }.sorted().joined()
    }

    /// The items with each check's vantages (by check id) beside it.
    public static func items(_ items: [EvidenceItem], vantages: [String: [EvidenceVantage]]) -> [EvidenceItem] {
        guard !vantages.isEmpty else { return items }
        return items.map { EvidenceItem(id: $0.id, status: $0.status, vantages: vantages[$0.id]) }
    }
}

/// Why the clock stopped.
public enum HoldKind: Sendable, Equatable, Codable {
    /// Someone called a hold.
    case manual
    /// A built-in hold at a T-minus time the plan names; it demands a decision at expiry.
    case builtIn(name: String, seconds: Int)
    /// A role voted NO-GO.
    case noGo(role: String)
    /// A vote went stale during the countdown (or after the final GO).
    case staleVote(role: String)
}

/// Everything that can happen to a launch. The journal is a list of these; the launch state
/// is folded from it.
public enum LaunchEvent: Sendable, Equatable, Codable {
    case checklistMarked(item: String, mark: ChecklistMark, note: String?)
    case pollOpened
    case voteCast(role: String, choice: VoteChoice, reason: String?, evidence: VoteEvidence)
    /// A blocker the role's vote relied on turned red; the role must vote again.
    case voteStale(role: String, blockers: [String])
    case holdStarted(kind: HoldKind, reason: String)
    case resumed(reason: String)
    /// Break-glass, first half: an approver asks to waive red or inconclusive blockers.
    case overrideRequested(waive: [String], reason: String)
    /// Second half: a different approver agrees. `request` is the request's sequence number.
    case overrideApproved(request: Int)
    case countdownStarted
    case launched
    case scrubbed(reason: String)
    case alarmAcknowledged(alarm: String, reason: String)
    case alarmSilenced(alarm: String, until: Date?, reason: String)
    /// Someone asked for a command check (a test suite) to run again now, not at its interval.
    case rerunRequested(check: String)
    /// Someone tried an approver's PIN. It is written before the PIN is checked, so every
    /// try counts whatever becomes of it: five without a `pinAccepted` lock the approver out.
    case pinTried(approver: String)
    /// The PIN tried last was the approver's.
    case pinAccepted(approver: String)
    /// A wrong PIN, as journals written before `pinTried` recorded it: read, never written.
    case pinRejected(approver: String)
    /// One process takes on telling the notification targets about `key`, so that several
    /// cockpits on the plan send it once.
    case notificationClaimed(key: String)
    /// What became of one delivery.
    case notificationSent(key: String, target: String, delivered: Bool, outcome: String)
    /// The first entry of a journal started because the one before broke: where it broke,
    /// its last good head, and why the director restarted it.
    case journalRestarted(brokenAt: Int, problem: String, lastGoodHead: String, reason: String)
    /// An expected-noise window of the plan opened: its checks and sources are expected red.
    case windowOpened(window: String)
    case windowClosed(window: String)
    /// A notice held back because its alarm was expected in an open window.
    case notificationSuppressed(key: String, window: String)

    /// A vote with the evidence replaced; any other event as it is.
    public func withEvidence(_ evidence: VoteEvidence) -> LaunchEvent {
        guard case .voteCast(let role, let choice, let reason, _) = self else { return self }
        return .voteCast(role: role, choice: choice, reason: reason, evidence: evidence)
    }

    /// A short name for listings: `vote`, `hold`, `checklist`.
    public var name: String {
        switch self {
        case .checklistMarked: "checklist"
        case .pollOpened: "poll-opened"
        case .voteCast: "vote"
        case .voteStale: "vote-stale"
        case .holdStarted: "hold"
        case .resumed: "resume"
        case .overrideRequested: "override-requested"
        case .overrideApproved: "override-approved"
        case .countdownStarted: "countdown"
        case .launched: "launched"
        case .scrubbed: "scrubbed"
        case .alarmAcknowledged: "alarm-ack"
        case .alarmSilenced: "alarm-silence"
        case .rerunRequested: "rerun"
        case .pinTried: "pin-tried"
        case .pinAccepted: "pin-accepted"
        case .pinRejected: "pin-rejected"
        case .notificationClaimed: "notification-claimed"
        case .notificationSent: "notification-sent"
        case .journalRestarted: "journal-restarted"
        case .windowOpened: "window-opened"
        case .windowClosed: "window-closed"
        case .notificationSuppressed: "notification-suppressed"
        }
    }

    /// One line for people, as the journal and the poll pane show it.
    public var summary: String {
        switch self {
        case .checklistMarked(let item, let mark, let note):
            "\(item) marked \(mark.rawValue)\(note.map { ": \($0)" } ?? "")"
        case .pollOpened:
            "opened the go/no-go poll"
        case .voteCast(let role, let choice, let reason, let evidence):
            "\(role) \(choice.rawValue)\(reason.map { ": \($0)" } ?? "") (evidence \(evidence.digest.prefix(12)))"
        case .voteStale(let role, let blockers):
            "\(role)'s vote went stale: \(blockers.joined(separator: ", ")) turned red"
        case .holdStarted(let kind, let reason):
            switch kind {
            case .manual: "hold: \(reason)"
            case .builtIn(let name, _): "built-in hold \(name): \(reason)"
            case .noGo(let role): "hold for \(role)'s NO-GO: \(reason)"
            case .staleVote(let role): "automatic hold, \(role)'s vote went stale: \(reason)"
            }
        case .resumed(let reason):
            "resumed: \(reason)"
        case .overrideRequested(let waive, let reason):
            "override requested, waiving \(waive.joined(separator: ", ")): \(reason)"
        case .overrideApproved(let request):
            "override #\(request) approved"
        case .countdownStarted:
            "countdown started"
        case .launched:
            "LAUNCHED"
        case .scrubbed(let reason):
            "SCRUBBED: \(reason)"
        case .alarmAcknowledged(let alarm, let reason):
            "alarm \(alarm) acknowledged: \(reason)"
        case .alarmSilenced(let alarm, let until, let reason):
            "alarm \(alarm) silenced \(until.map { "until \(LaunchRecord.timestamp($0))" } ?? "until it recovers"): \(reason)"
        case .rerunRequested(let check):
            "asked for \(check) to run again now"
        case .pinTried(let approver):
            "PIN tried for \(approver)"
        case .pinAccepted(let approver):
            "PIN accepted for \(approver)"
        case .pinRejected(let approver):
            "wrong PIN for \(approver)"
        case .notificationClaimed(let key):
            "notifying about \(key)"
        case .notificationSent(let key, let target, let delivered, let outcome):
            "\(key) to \(target): \(delivered ? "delivered" : "NOT delivered"), \(outcome)"
        case .journalRestarted(let brokenAt, let problem, let lastGoodHead, let reason):
            "journal restarted: the one before broke at entry \(brokenAt) (\(problem)), last good head \(lastGoodHead.prefix(16))…: \(reason)"
        case .windowOpened(let window):
            "expected-noise window \(window) opened"
        case .windowClosed(let window):
            "expected-noise window \(window) closed"
        case .notificationSuppressed(let key, let window):
            "held back \(key): expected in window \(window)"
        }
    }
}

/// An approver's SSH signature over a journal entry (`ssh-keygen -Y sign -n flightdeck`),
/// made with a key the plan lists for them: proof of who decided that a login or a PIN
/// cannot give, since anyone who can write the state directory can write those.
public struct KeySignature: Sendable, Equatable, Codable {
    /// The public key, `ssh-ed25519 AAAA...`, as the plan lists it.
    public var key: String
    /// The armored `-----BEGIN SSH SIGNATURE-----` block.
    public var signature: String

    public init(key: String, signature: String) {
        self.key = key
        self.signature = signature
    }

    /// The namespace every Flightdeck signature is made in, so a signature made for
    /// anything else (a git commit, a file) is never accepted as a vote.
    public static let namespace = "flightdeck"
}

/// One entry of the journal: its place in the chain, when, who, and what.
public struct LaunchRecord: Sendable, Equatable {
    public var seq: Int
    public var at: Date
    public var actor: LaunchActor
    public var event: LaunchEvent
    /// The approver's key signature, where they signed with one.
    public var signature: KeySignature?

    public init(seq: Int, at: Date, actor: LaunchActor, event: LaunchEvent, signature: KeySignature? = nil) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.event = event
        self.signature = signature
    }

    /// How the entry proves who made it: `key`, `PIN` or `login`.
    public var attestation: String {
        if signature != nil { return "key" }
        return actor.pinUsed ? "PIN" : "login"
    }

    /// UTC with milliseconds, `2026-12-01T13:59:02.125Z`: how the journal writes times. To
    /// the nearest millisecond: the formatter cuts off what is below one, and a time read
    /// back from its own text is often a hair under it in binary, so handed over as it is
    /// it would print a millisecond early. Half a millisecond over is cut to the right one.
    public static func timestamp(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        return Date(timeIntervalSince1970: (milliseconds + 0.5) / 1000).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parseTimestamp(_ text: String) -> Date? {
        canonicalTimestamp(text) ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
    }

    private static let daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// `timestamp`'s own form read by hand, for the years a launch happens in (2020 to
    /// 2100, where this arithmetic gives the formatter's very Date): reading a journal reads
    /// one for every entry, and the formatter's parse cost more than the rest of the entry.
    /// nil for anything else, which the formatter then reads.
    static func canonicalTimestamp(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
                  bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "."),
                  bytes[23] == UInt8(ascii: "Z") else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    guard bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else { return nil }
                    value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
                  let minute = number(14..<16), let second = number(17..<19), let millisecond = number(20..<23),
                  (2020...2100).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            guard (1...(month == 2 && leap ? 29 : Self.daysInMonth[month - 1])).contains(day) else { return nil }
            // Days since 1970-01-01 from the civil date (March-based years, so February ends one).
            let shifted = month <= 2 ? year - 1 : year
            let era = shifted / 400
            let yearOfEra = shifted - era * 400
            let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let days = era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
            let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
            return Date(timeIntervalSinceReferenceDate: Double(seconds - 978_307_200) + Double(millisecond * 1_000_000) / 1_000_000_000)
        }
    }
}
