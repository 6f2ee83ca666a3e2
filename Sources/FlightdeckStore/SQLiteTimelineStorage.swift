import FlightdeckCore
import Foundation
import GRDB

/// The timeline in an SQLite file of its own beside the journal's: the sessions and agents
/// of one host. One file, one clock.
final class SQLiteTimelineStorage: TimelineStorage {
    static let fileName = "timeline.sqlite"

    let location: String
    private let directory: String
    private let database: DatabasePool

    init(directory: String) throws {
        self.directory = directory
        location = "\(directory)/\(Self.fileName)"
        do {
            try StateDirectory.prepare(directory)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabasePool(path: location, configuration: configuration)
            // AUTOINCREMENT: an id is never used twice, even once pruning has emptied the
            // table, so a reader that asks for what came after the last id it saw misses nothing.
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS timeline (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                        subject TEXT NOT NULL, vantage TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL, reason TEXT NOT NULL,
                        check_id TEXT NOT NULL);
                    CREATE INDEX IF NOT EXISTS timeline_track ON timeline (kind, subject, vantage, id);
                    CREATE INDEX IF NOT EXISTS timeline_at ON timeline (at);
                    CREATE TABLE IF NOT EXISTS watchers (instance TEXT PRIMARY KEY, host TEXT NOT NULL, vantage TEXT NOT NULL,
                        started_at REAL NOT NULL, seen_at REAL NOT NULL);
                    """)
            }
        } catch let error as StateDirectory.UnsafeDirectory {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: error.message)
        } catch {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    /// In one write transaction, which SQLite runs one at a time: no other writer comes
    /// between a change's look at the newest kept and its insert.
    func record(_ rows: [TimelineRow], by writer: TimelineWriter, watching: Double) throws -> Int {
        let now = Date().timeIntervalSince1970
        do {
            return try database.write { db in
                try db.execute(sql: """
                    INSERT INTO watchers (instance, host, vantage, started_at, seen_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at
                    """, arguments: [writer.instance, writer.host, writer.vantage ?? "", now - watching, now])
                var newest: [String: String] = [:]
                var written = 0
                for row in rows {
                    let track = "\(row.kind)/\(row.subject)/\(row.vantage)"
                    let kept = try newest[track] ?? String.fetchOne(db, sql: """
                        SELECT state FROM timeline WHERE kind = ? AND subject = ? AND vantage = ? ORDER BY id DESC LIMIT 1
                        """, arguments: [row.kind, row.subject, row.vantage])
                    newest[track] = row.state
                    guard kept != row.state else { continue }
                    try db.execute(sql: """
                        INSERT INTO timeline (at, kind, subject, vantage, state, severity, reason, check_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [now - row.age, row.kind, row.subject, row.vantage, row.state, row.severity, row.reason, row.check])
                    written += 1
                }
                return written
            }
        } catch {
            throw LaunchJournal.JournalError.cannotWrite(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    func changes(after id: Int, limit: Int) throws -> [TimelineRow] {
        let now = Date().timeIntervalSince1970
        return try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT id, at, kind, subject, vantage, state, severity, reason, check_id FROM timeline WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [id, limit]).compactMap { row in
                guard let id: Int = Self.value(row, "id"), let at: Double = Self.value(row, "at"), let kind: String = Self.value(row, "kind"),
                      let subject: String = Self.value(row, "subject"), let vantage: String = Self.value(row, "vantage"),
                      let state: String = Self.value(row, "state"), let severity: String = Self.value(row, "severity"),
                      let reason: String = Self.value(row, "reason"), let check: String = Self.value(row, "check_id") else { return nil }
                return TimelineRow(id: id, age: now - at, kind: kind, subject: subject, vantage: vantage, state: state, severity: severity,
                                   reason: reason, check: check)
            }
        }
    }

    func watchers(seenWithin seconds: Double?) throws -> [StoredWatcher] {
        let now = Date().timeIntervalSince1970
        return try reading { db in
            try Row.fetchAll(db, sql: "SELECT instance, host, vantage, started_at, seen_at FROM watchers WHERE seen_at >= ?",
                             arguments: [seconds.map { now - $0 } ?? 0]).compactMap { row in
                guard let instance: String = Self.value(row, "instance"), let host: String = Self.value(row, "host"),
                      let vantage: String = Self.value(row, "vantage"), let started: Double = Self.value(row, "started_at"),
                      let seen: Double = Self.value(row, "seen_at") else { return nil }
                return StoredWatcher(instance: instance, host: host, vantage: vantage, age: now - seen, watched: seen - started)
            }
        }
    }

    func prune(olderThan age: Duration) throws {
        let cutoff = Date().timeIntervalSince1970 - age.timeInterval
        do {
            try database.write { db in
                try db.execute(sql: "DELETE FROM timeline WHERE at < ?", arguments: [cutoff])
                try db.execute(sql: "DELETE FROM watchers WHERE seen_at < ?", arguments: [cutoff])
            }
        } catch {
            throw LaunchJournal.JournalError.cannotWrite(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    private func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    /// A column as the type it should hold; nil for anything else (nothing read is trusted).
    private static func value<T: DatabaseValueConvertible>(_ row: Row, _ column: String) -> T? {
        T.fromDatabaseValue(row[column])
    }
}
