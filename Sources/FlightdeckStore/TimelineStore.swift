import FlightdeckCore
import Foundation

/// The launch's timeline in its shared state: each change of a check's status and each
/// alarm firing and resolving, written once by whichever process saw it first, and each
/// writer's watch (when it ran), so time nobody watched is known as such.
///
/// Beside the journal, not in it: the timeline is a record of what was seen, not of what was
/// decided, and it is pruned after `retention`. In PostgreSQL, tables in the launch's schema
/// (times on the database's clock); in SQLite, a file of its own in the state directory.
public final class TimelineStore: Sendable {
    public static let retention = Duration.seconds(7 * 24 * 3600)
    public static let fileName = SQLiteTimelineStorage.fileName
    /// How much of what another host wrote is kept of each text.
    static let limits = (subject: 200, reason: 500, host: 120)

    private let beside: LaunchJournal.Beside<any TimelineStorage>
    private let checkIDs: Set<String>
    /// Where it is, for messages: a URL without its password, or the SQLite file.
    public let location: String

    public init(journal: LaunchJournal) {
        beside = LaunchJournal.Beside(journal) { try $0.timelineStorage() }
        checkIDs = Set(journal.plan.checks.map(\.id))
        location = (journal.storage as? SQLiteJournalStorage).map { "\($0.directory)/\(Self.fileName)" } ?? journal.path
    }

    /// The storage, opened on first use (and again after a failure to open it).
    var storage: any TimelineStorage {
        get throws { try beside.storage }
    }

    /// Writes each change the newest one kept for its subject does not already say, and beats
    /// the writer's watch, in one transaction. Returns how many were written.
    @discardableResult
    public func record(_ changes: [TimelineChange], by writer: TimelineWriter, now: Date = Date()) throws -> Int {
        let rows = changes.map { change in
            TimelineRow(id: 0, age: max(0, now.timeIntervalSince(change.at)), kind: change.kind.rawValue, subject: change.subject,
                        vantage: change.vantage ?? "", state: change.state, severity: Self.severity(of: change)?.rawValue ?? "",
                        reason: String(change.reason.prefix(Self.limits.reason)), check: Self.alarmCheck(of: change) ?? "")
        }
        return try storage.record(rows, by: writer, watching: max(0, now.timeIntervalSince(writer.started)))
    }

    /// The changes kept after `id`, oldest first (at most `limit`), and the writers that beat
    /// at or after `watchedSince` (all of them when nil). What another host wrote is checked
    /// as remote text: a check the plan does not have, a state that is no state, is left out.
    public func read(after id: Int, limit: Int = 5000, watchedSince: Date? = nil) throws -> TimelineReading {
        let storage = try storage
        let rows = try storage.changes(after: id, limit: limit)
        let watches = try storage.watchers(seenWithin: watchedSince.map { max(0, Date().timeIntervalSince($0)) })
        return TimelineReading(changes: rows.compactMap(change), watches: watches.compactMap(watch),
                               lastID: max(id, rows.map(\.id).max() ?? id))
    }

    /// Everything kept, oldest first, read a page at a time.
    public func readAll() throws -> TimelineReading {
        let storage = try storage
        var changes: [TimelineChange] = []
        var lastID = 0
        while true {
            let rows = try storage.changes(after: lastID, limit: 5000)
            guard let last = rows.map(\.id).max() else { break }
            changes += rows.compactMap(change)
            lastID = last
        }
        return TimelineReading(changes: changes, watches: try storage.watchers(seenWithin: nil).compactMap(watch), lastID: lastID)
    }

    private func change(_ row: TimelineRow) -> TimelineChange? {
        guard row.age.isFinite else { return nil }
        let at = Date().addingTimeInterval(-row.age)
        let reason = RemoteText.sanitize(row.reason, limit: Self.limits.reason)
        switch row.kind {
        case TimelineChange.Kind.check.rawValue:
            guard checkIDs.contains(row.subject), let status = CheckStatus(rawValue: row.state),
                  row.vantage.isEmpty || LaunchPlan.isValidID(row.vantage) else { return nil }
            return TimelineChange(at: at, what: .check(id: row.subject, vantage: row.vantage.isEmpty ? nil : row.vantage, status: status), reason: reason)
        case TimelineChange.Kind.alarm.rawValue:
            guard let state = AlarmBoard.State(rawValue: row.state), let severity = AlarmSeverity(rawValue: row.severity),
                  row.check.isEmpty || checkIDs.contains(row.check) else { return nil }
            return TimelineChange(at: at, what: .alarm(id: RemoteText.sanitize(row.subject, limit: Self.limits.subject), state: state,
                                                       severity: severity, check: row.check.isEmpty ? nil : row.check), reason: reason)
        default:
            return nil
        }
    }

    private func watch(_ watcher: StoredWatcher) -> TimelineWatch? {
        guard watcher.vantage.isEmpty || LaunchPlan.isValidID(watcher.vantage), watcher.age.isFinite, watcher.watched.isFinite,
              watcher.watched >= 0 else { return nil }
        let to = Date().addingTimeInterval(-watcher.age)
        return TimelineWatch(instance: RemoteText.sanitize(watcher.instance, limit: Self.limits.host * 2),
                             host: RemoteText.sanitize(watcher.host, limit: Self.limits.host),
                             vantage: watcher.vantage.isEmpty ? nil : watcher.vantage, from: to.addingTimeInterval(-watcher.watched), to: to)
    }

    /// Forgets changes and watches older than `retention`.
    public func prune() throws {
        try storage.prune(olderThan: Self.retention)
    }

    private static func severity(of change: TimelineChange) -> AlarmSeverity? {
        if case .alarm(_, _, let severity, _) = change.what { return severity }
        return nil
    }

    private static func alarmCheck(of change: TimelineChange) -> String? {
        if case .alarm(_, _, _, let check) = change.what { return check }
        return nil
    }
}

/// Who writes the timeline: one run of a session (the launch's view) or of an agent (its
/// vantage's view).
public struct TimelineWriter: Sendable, Equatable {
    public var instance: String
    public var host: String
    /// nil for a session; the agent's vantage name.
    public var vantage: String?
    /// When it began to watch: its watch runs from here, before anything it saw.
    public var started: Date

    public init(instance: String, host: String, vantage: String?, started: Date = Date()) {
        self.instance = instance
        self.host = host
        self.vantage = vantage
        self.started = started
    }

    /// This process, under `vantage`, watching from now.
    public static func this(vantage: String?) -> TimelineWriter {
        let host = ProcessInfo.processInfo.hostName
        return TimelineWriter(instance: "\(host):\(getpid()):\(UInt32.random(in: 0...UInt32.max))", host: host, vantage: vantage)
    }
}

/// Where the timeline is kept: PostgreSQL (`PostgresJournalStorage`) or an SQLite file
/// beside the journal's (`SQLiteTimelineStorage`).
protocol TimelineStorage: Sendable {
    /// - Parameter watching: seconds since the writer began to watch, for its first beat.
    func record(_ rows: [TimelineRow], by writer: TimelineWriter, watching: Double) throws -> Int
    /// The changes after `id`, oldest first, at most `limit`.
    func changes(after id: Int, limit: Int) throws -> [TimelineRow]
    /// The writers that beat in the last `seconds` (all of them when nil).
    func watchers(seenWithin seconds: Double?) throws -> [StoredWatcher]
    func prune(olderThan age: Duration) throws
}

/// One change as it is written and read back. Times travel as ages (seconds before the
/// storage's now), so every host's changes land on the storage's one clock.
struct TimelineRow: Encodable {
    var id: Int
    var age: Double
    var kind: String
    var subject: String
    /// Empty for none.
    var vantage: String
    var state: String
    var severity: String
    var reason: String
    var check: String

    enum CodingKeys: String, CodingKey {
        case age, kind, subject, vantage, state, severity, reason, check = "check_id"
    }
}

/// A writer's watch as storage gave it back: nothing in it is trusted yet.
struct StoredWatcher {
    var instance: String
    var host: String
    var vantage: String
    /// Seconds since its last beat, on the storage's clock.
    var age: Double
    /// Seconds from its first beat to its last.
    var watched: Double
}
