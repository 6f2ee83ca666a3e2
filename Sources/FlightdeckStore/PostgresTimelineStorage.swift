import FlightdeckCore
import Foundation

/// The timeline in the launch's PostgreSQL schema, beside its journal.
///
/// Each write is one transaction under an advisory lock of its own, so no other writer comes
/// between a change's look at the newest kept and its insert, and ids are committed in the
/// order they are taken (a reader that asks for what came after the last id it saw misses
/// nothing). Times are the database's: each change is sent as how long ago it was seen.
extension PostgresJournalStorage: TimelineStorage {
    static func timelineSchemaSQL(_ schema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(schema).timeline (id bigserial PRIMARY KEY, at timestamptz NOT NULL, kind text NOT NULL,
            subject text NOT NULL, vantage text NOT NULL, state text NOT NULL, severity text NOT NULL, reason text NOT NULL,
            check_id text NOT NULL);
        CREATE INDEX IF NOT EXISTS timeline_track ON \(schema).timeline (kind, subject, vantage, id);
        CREATE INDEX IF NOT EXISTS timeline_at ON \(schema).timeline (at);
        CREATE TABLE IF NOT EXISTS \(schema).timeline_watchers (instance text PRIMARY KEY, host text NOT NULL, vantage text NOT NULL,
            started_at timestamptz NOT NULL, seen_at timestamptz NOT NULL);
        """
    }

    /// The advisory lock timeline writes take: the journal's key with its second bit turned.
    private var timelineLockKey: Int64 { lockKey ^ 2 }

    func record(_ rows: [TimelineRow], by writer: TimelineWriter, watching: Double) throws -> Int {
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        return try using(JournalError.cannotWrite) { connection in
            try connection.transaction("BEGIN; SELECT pg_advisory_xact_lock(\(timelineLockKey))") {
                // A change is written when it says something other than the one before it: the
                // newest kept for its subject, or the one before it in this batch.
                let written = try connection.query("""
                    WITH beat AS (
                        INSERT INTO \(schema).timeline_watchers (instance, host, vantage, started_at, seen_at)
                        VALUES ($1, $2, $3, now() - make_interval(secs => $5::double precision), now())
                        ON CONFLICT (instance) DO UPDATE SET seen_at = now()
                    ), batch AS (
                        SELECT t.*, lag(t.state) OVER (PARTITION BY t.kind, t.subject, t.vantage ORDER BY t.ord) AS before
                        FROM ROWS FROM (json_to_recordset($4::json) AS (age double precision, kind text, subject text, vantage text,
                            state text, severity text, reason text, check_id text)) WITH ORDINALITY
                            AS t(age, kind, subject, vantage, state, severity, reason, check_id, ord)
                    ), wanted AS (
                        SELECT b.* FROM batch b WHERE COALESCE(b.before, (
                            SELECT k.state FROM \(schema).timeline k WHERE k.kind = b.kind AND k.subject = b.subject AND k.vantage = b.vantage
                            ORDER BY k.id DESC LIMIT 1)) IS DISTINCT FROM b.state
                    ), inserted AS (
                        INSERT INTO \(schema).timeline (at, kind, subject, vantage, state, severity, reason, check_id)
                        SELECT now() - make_interval(secs => w.age), w.kind, w.subject, w.vantage, w.state, w.severity, w.reason, w.check_id
                        FROM wanted w ORDER BY w.ord
                        RETURNING 1
                    )
                    SELECT count(*) FROM inserted
                    """, [writer.instance, writer.host, writer.vantage ?? "", json, String(watching)])
                return written.first?.first?.text.flatMap { Int($0) } ?? 0
            }
        }
    }

    func changes(after id: Int, limit: Int) throws -> [TimelineRow] {
        try using(JournalError.cannotOpen) { connection in
            try connection.query("""
                SELECT id, EXTRACT(EPOCH FROM now() - at), kind, subject, vantage, state, severity, reason, check_id
                FROM \(schema).timeline WHERE id > $1 ORDER BY id LIMIT $2
                """, [String(id), String(limit)]).compactMap { row in
                guard let id = row[0].text.flatMap({ Int($0) }), let age = row[1].text.flatMap(Double.init), let kind = row[2].text,
                      let subject = row[3].text, let vantage = row[4].text, let state = row[5].text, let severity = row[6].text,
                      let reason = row[7].text, let check = row[8].text else { return nil }
                return TimelineRow(id: id, age: age, kind: kind, subject: subject, vantage: vantage, state: state, severity: severity,
                                   reason: reason, check: check)
            }
        }
    }

    func watchers(seenWithin seconds: Double?) throws -> [StoredWatcher] {
        try using(JournalError.cannotOpen) { connection in
            try connection.query("""
                SELECT instance, host, vantage, EXTRACT(EPOCH FROM now() - seen_at), EXTRACT(EPOCH FROM seen_at - started_at)
                FROM \(schema).timeline_watchers WHERE $1::double precision IS NULL OR seen_at >= now() - make_interval(secs => $1::double precision)
                """, [seconds.map { String($0) }]).compactMap { row in
                guard let instance = row[0].text, let host = row[1].text, let vantage = row[2].text,
                      let age = row[3].text.flatMap(Double.init), let watched = row[4].text.flatMap(Double.init) else { return nil }
                return StoredWatcher(instance: instance, host: host, vantage: vantage, age: age, watched: watched)
            }
        }
    }

    func prune(olderThan age: Duration) throws {
        try using(JournalError.cannotWrite) { connection in
            try connection.execute("""
                WITH changes AS (DELETE FROM \(schema).timeline WHERE at < now() - make_interval(secs => $1::double precision))
                DELETE FROM \(schema).timeline_watchers WHERE seen_at < now() - make_interval(secs => $1::double precision)
                """, [String(age.timeInterval)])
        }
    }
}
