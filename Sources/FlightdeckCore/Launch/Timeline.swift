import Foundation

/// A change the launch's timeline keeps: a check's status, or an alarm beginning or ending.
/// The process that sees it first writes it; the others find it already there. The journal's
/// entries (votes, holds, acknowledgements, windows) join these when the timeline is read.
public struct TimelineChange: Sendable, Equatable {
    public enum What: Sendable, Equatable {
        /// A check's status: as the launch sees it (vantage nil: the sessions' view, combined
        /// with the agents' where they see the check too), or at one agent's vantage.
        case check(id: String, vantage: String?, status: CheckStatus)
        /// An alarm began (`firing`) or ended (`resolved`); acknowledgements and silences are
        /// the journal's.
        case alarm(id: String, state: AlarmBoard.State, severity: AlarmSeverity, check: String?)
    }

    public var at: Date
    public var what: What
    /// One line on why, as the cockpit showed it then.
    public var reason: String

    public init(at: Date, what: What, reason: String) {
        self.at = at
        self.what = what
        self.reason = reason
    }

    public enum Kind: String, Sendable, CaseIterable {
        case check, alarm
    }

    public var kind: Kind {
        if case .check = what { return .check }
        return .alarm
    }

    /// The check's or the alarm's id.
    public var subject: String {
        switch what {
        case .check(let id, _, _), .alarm(let id, _, _, _): id
        }
    }

    public var vantage: String? {
        if case .check(_, let vantage, _) = what { return vantage }
        return nil
    }

    /// The status word: a check's `pass`, `fail`...; an alarm's `firing` or `resolved`.
    public var state: String {
        switch what {
        case .check(_, _, let status): status.rawValue
        case .alarm(_, let state, _, _): state.rawValue
        }
    }

    /// What a change is deduplicated on: a change is written only when the newest one kept
    /// for the same subject says something else.
    public var track: String {
        "\(kind.rawValue)/\(subject)/\(vantage ?? "")"
    }

    /// The check the change is about, if any: the check itself, or the alarm's.
    public var checkID: String? {
        switch what {
        case .check(let id, _, _): id
        case .alarm(_, _, _, let check): check
        }
    }
}

/// One writer of the timeline and how long it watched: a session (writing the launch's view)
/// or an agent (writing its vantage's). Time nobody watched is time the record knows nothing of.
public struct TimelineWatch: Sendable, Equatable {
    /// How often a writer says it is still watching.
    public static let beat = Duration.seconds(15)
    /// A writer counts as watching this long after its last beat.
    public static let slack: TimeInterval = 45

    /// This run of the writer (host, pid and a random part).
    public var instance: String
    public var host: String
    /// nil for a session; the agent's vantage name.
    public var vantage: String?
    public var from: Date
    /// Its last beat.
    public var to: Date

    public init(instance: String, host: String, vantage: String?, from: Date, to: Date) {
        self.instance = instance
        self.host = host
        self.vantage = vantage
        self.from = from
        self.to = to
    }
}

/// What a read of the timeline brought: the changes after the last id read, and the writers
/// that beat since the last read.
public struct TimelineReading: Sendable, Equatable {
    public var changes: [TimelineChange]
    public var watches: [TimelineWatch]
    /// The highest id read: the next read asks for what comes after it.
    public var lastID: Int

    public init(changes: [TimelineChange], watches: [TimelineWatch], lastID: Int) {
        self.changes = changes
        self.watches = watches
        self.lastID = lastID
    }
}

/// Spans of time, kept merged and sorted: when the record was watched.
struct Coverage: Sendable {
    /// Gaps shorter than this are not listed.
    static let shortest: TimeInterval = 1

    private(set) var spans: [(from: Date, to: Date)] = []

    init(_ watches: some Sequence<TimelineWatch>) {
        let sorted = watches.map { (from: $0.from, to: $0.to.addingTimeInterval(TimelineWatch.slack)) }.sorted { $0.from < $1.from }
        for span in sorted {
            if let last = spans.last, span.from <= last.to {
                spans[spans.count - 1].to = max(last.to, span.to)
            } else {
                spans.append(span)
            }
        }
    }

    /// The stretches of `from...to` nobody watched, oldest first.
    func gaps(from: Date, to: Date) -> [(from: Date, to: Date)] {
        guard from < to else { return [] }
        var gaps: [(from: Date, to: Date)] = []
        var cursor = from
        for span in spans where span.to > cursor {
            if span.from >= to { break }
            if span.from > cursor { gaps.append((cursor, span.from)) }
            cursor = max(cursor, span.to)
            if cursor >= to { break }
        }
        if cursor < to { gaps.append((cursor, to)) }
        return gaps
    }

    func isWatched(at date: Date) -> Bool {
        spans.contains { $0.from <= date && date <= $0.to }
    }
}

/// Turns what a live view shows into timeline changes: each check's status as the launch
/// sees it (after its thresholds, combined over the vantages), and each alarm firing and
/// resolving. It remembers what it said, so it says each change once; the store writes it
/// only when nobody said it before.
public struct TimelineRecorder: Sendable {
    private var checks: [String: CheckStatus] = [:]
    /// The alarms this process saw firing, by id, with when each began.
    private var firing: [String: Date] = [:]

    public init() {}

    /// The changes since the last call. A check still waiting for its first result says
    /// nothing: a session that starts knows nothing yet, which is not a change.
    public mutating func changes(board: CheckBoard, alarms: AlarmBoard, now: Date) -> [TimelineChange] {
        var changes: [TimelineChange] = []
        for report in board.reports {
            let id = report.check.id
            guard checks[id] != report.status, report.status != .unknown || checks[id] != nil else { continue }
            checks[id] = report.status
            changes.append(TimelineChange(at: now, what: .check(id: id, vantage: nil, status: report.status), reason: report.detail))
        }
        for entry in alarms.entries {
            let alarm = entry.alarm
            if entry.resolvedAt == nil {
                guard firing[alarm.id] == nil else { continue }
                firing[alarm.id] = entry.since
                changes.append(TimelineChange(at: entry.since, what: .alarm(id: alarm.id, state: .firing, severity: alarm.severity, check: alarm.checkID),
                                              reason: alarm.reason))
            } else if let resolved = entry.resolvedAt, let fired = firing.removeValue(forKey: alarm.id) {
                // The board's clock can step back by microseconds between two updates; an
                // alarm that fires and clears within one still reads in that order.
                changes.append(TimelineChange(at: max(resolved, fired), what: .alarm(id: alarm.id, state: .resolved, severity: alarm.severity, check: alarm.checkID),
                                              reason: alarm.reason))
            }
        }
        return changes
    }
}

/// The record as a live view keeps it: bounded however long the day. The newest changes for
/// the Timeline pane, the launch's view of each check for "red since" and the row's history,
/// and who watched when.
public struct TimelineRecord: Sendable {
    /// The changes the Timeline pane lists, at most.
    public static let capacity = 2000
    /// The launch's view of one check, its newest changes at most.
    static let perCheck = 64

    /// The newest changes, in time order.
    public private(set) var recent: [TimelineChange] = []
    private var byCheck: [String: [TimelineChange]] = [:]
    private var watches: [String: TimelineWatch] = [:]
    private(set) var coverage = Coverage([])
    /// The highest id read, for the next read.
    public private(set) var lastID = 0
    /// Whether anything was read yet: before then nothing is known, not "nothing happened".
    public private(set) var isRead = false

    public init() {}

    public mutating func apply(_ reading: TimelineReading) {
        isRead = true
        lastID = max(lastID, reading.lastID)
        for change in reading.changes {
            // Nearly always at the end: only an alarm's firing is placed back when it began.
            let index = recent.lastIndex { $0.at <= change.at }.map { $0 + 1 } ?? 0
            recent.insert(change, at: index)
            if case .check(let id, nil, _) = change.what {
                byCheck[id, default: []].append(change)
                if byCheck[id]!.count > Self.perCheck { byCheck[id]!.removeFirst(byCheck[id]!.count - Self.perCheck) }
            }
        }
        if recent.count > Self.capacity { recent.removeFirst(recent.count - Self.capacity) }
        guard !reading.watches.isEmpty else { return }
        for watch in reading.watches { watches[watch.instance] = watch }
        coverage = Coverage(watches.values.filter { $0.vantage == nil })
    }

    /// The launch's view of a check, its newest changes, oldest first.
    public func changes(of check: String) -> [TimelineChange] {
        byCheck[check] ?? []
    }

    /// Since when a check has been red, as the record shows it: the newest change, when it
    /// is to red. If nobody watched for a while since, only the time after the last such gap
    /// is known to be red: that is `since`, and `firstSeen` the change itself.
    public func redSince(_ check: String, now: Date) -> RedSince? {
        guard let last = byCheck[check]?.last, case .check(_, _, .fail) = last.what else { return nil }
        let gaps = coverage.gaps(from: last.at, to: now)
        // Nothing watches now: what the record says is not known to hold.
        if let gap = gaps.last, gap.to >= now { return nil }
        return RedSince(since: gaps.last?.to ?? last.at, firstSeen: last.at)
    }

    /// The stretches of `from...to` no session watched (a second or longer), oldest first.
    public func unwatched(from: Date, to: Date) -> [(from: Date, to: Date)] {
        coverage.gaps(from: from, to: to).filter { $0.to.timeIntervalSince($0.from) >= Coverage.shortest }
    }

    /// A check's status at a moment, as the launch saw it; nil when nothing was known then.
    public func status(of check: String, at date: Date) -> CheckStatus? {
        guard coverage.isWatched(at: date), let change = byCheck[check]?.last(where: { $0.at <= date }),
              case .check(_, _, let status) = change.what else { return nil }
        return status
    }

    public struct RedSince: Sendable, Equatable {
        /// Known red, continuously watched, from here on.
        public var since: Date
        /// When it turned red, as the record has it: earlier than `since` when nobody
        /// watched in between.
        public var firstSeen: Date
        public var watchedThroughout: Bool { since == firstSeen }
    }
}
