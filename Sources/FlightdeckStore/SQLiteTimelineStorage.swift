import FlightdeckCore
import Foundation
import GRDB

/// The timeline in an SQLite file of its own beside the journal's: the sessions and agents
/// of one host. One file, one clock.
final class SQLiteTimelineStorage: TimelineStorage {
    static let fileName = "timeline.sqlite"

    private let file: SQLiteStateFile
    var location: String { file.location }

    init(directory: String) throws {
        // AUTOINCREMENT: an id is never used twice, even once pruning has emptied the table,
        // so a reader that asks for what came after the last id it saw misses nothing.
        file = try SQLiteStateFile(directory: directory, fileName: Self.fileName, schema: """
            CREATE TABLE IF NOT EXISTS timeline (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL,
                subject TEXT NOT NULL, vantage TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL, reason TEXT NOT NULL,
                check_id TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS timeline_track ON timeline (kind, subject, vantage, id);
            CREATE INDEX IF NOT EXISTS timeline_at ON timeline (at);
            CREATE TABLE IF NOT EXISTS watchers (instance TEXT PRIMARY KEY, host TEXT NOT NULL, vantage TEXT NOT NULL,
                started_at REAL NOT NULL, seen_at REAL NOT NULL);
            """)
    }

    /// In one write transaction, which SQLite runs one at a time: no other writer comes
    /// between a change's look at the newest kept and its insert.
    func record(_ rows: [TimelineRow], by writer: TimelineWriter, watching: Double) throws -> Int {
        let now = Date().timeIntervalSince1970
        return try file.writing { db in
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
    }

    func changes(after id: Int, limit: Int) throws -> [TimelineRow] {
        let now = Date().timeIntervalSince1970
        return try file.reading { db in
            try Row.fetchAll(db, sql: """
                SELECT id, at, kind, subject, vantage, state, severity, reason, check_id FROM timeline WHERE id > ? ORDER BY id LIMIT ?
                """, arguments: [id, limit]).compactMap { row in
                guard let id: Int = row.checked("id"), let at: Double = row.checked("at"), let kind: String = row.checked("kind"),
                      let subject: String = row.checked("subject"), let vantage: String = row.checked("vantage"),
                      let state: String = row.checked("state"), let severity: String = row.checked("severity"),
                      let reason: String = row.checked("reason"), let check: String = row.checked("check_id") else { return nil }
                return TimelineRow(id: id, age: now - at, kind: kind, subject: subject, vantage: vantage, state: state, severity: severity,
                                   reason: reason, check: check)
            }
        }
    }

    func watchers(seenWithin seconds: Double?) throws -> [StoredWatcher] {
        let now = Date().timeIntervalSince1970
        return try file.reading { db in
            try Row.fetchAll(db, sql: "SELECT instance, host, vantage, started_at, seen_at FROM watchers WHERE seen_at >= ?",
                             arguments: [seconds.map { now - $0 } ?? 0]).compactMap { row in
                guard let instance: String = row.checked("instance"), let host: String = row.checked("host"),
                      let vantage: String = row.checked("vantage"), let started: Double = row.checked("started_at"),
                      let seen: Double = row.checked("seen_at") else { return nil }
                return StoredWatcher(instance: instance, host: host, vantage: vantage, age: now - seen, watched: seen - started)
            }
        }
    }

    func prune(olderThan age: Duration) throws {
        let cutoff = Date().timeIntervalSince1970 - age.timeInterval
        try file.writing { db in
            try db.execute(sql: "DELETE FROM timeline WHERE at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM watchers WHERE seen_at < ?", arguments: [cutoff])
        }
    }
}
