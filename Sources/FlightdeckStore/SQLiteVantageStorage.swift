import FlightdeckCore
import Foundation
import GRDB

/// Agents' heartbeats and outcomes in an SQLite file of their own beside the journal's, for
/// agents on the same host as the sessions (each in a network of its own: a namespace, a
/// VPN). One file, one clock: ages are the host's.
final class SQLiteVantageStorage: VantageStorage {
    static let fileName = "vantages.sqlite"

    private let file: SQLiteStateFile
    var location: String { file.location }

    init(directory: String) throws {
        file = try SQLiteStateFile(directory: directory, fileName: Self.fileName, schema: """
            CREATE TABLE IF NOT EXISTS agents (vantage TEXT PRIMARY KEY, instance TEXT NOT NULL, host TEXT NOT NULL,
                every_ms INTEGER NOT NULL, beat_at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS results (vantage TEXT NOT NULL, check_id TEXT NOT NULL, version INTEGER NOT NULL,
                status TEXT NOT NULL, outcome TEXT NOT NULL, published_at REAL NOT NULL, PRIMARY KEY (vantage, check_id));
            CREATE INDEX IF NOT EXISTS results_version ON results (version);
            """)
    }

    func publish(_ publication: VantagePublication, rows: [VantageRow], staleAfter: Int) throws -> VantagePublication.Outcome {
        let now = Date().timeIntervalSince1970
        let every = Int(publication.every.timeInterval * 1000)
        return try file.writing { db in
            let holder = try Row.fetchOne(db, sql: "SELECT instance, host, every_ms, beat_at FROM agents WHERE vantage = ?",
                                          arguments: [publication.vantage])
            if let holder, let instance: String = holder.checked("instance"), instance != publication.instance,
               let beatAt: Double = holder.checked("beat_at"), let holderEvery: Int = holder.checked("every_ms"),
               now - beatAt <= Double(holderEvery * staleAfter) / 1000 {
                return .held(host: holder.checked("host") ?? "?", instance: instance, age: .seconds(max(0, now - beatAt)))
            }
            try db.execute(sql: "INSERT OR REPLACE INTO agents (vantage, instance, host, every_ms, beat_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [publication.vantage, publication.instance, publication.host, every, now])
            guard !rows.isEmpty else { return .published }
            let version = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM results") ?? 0) + 1
            for row in rows {
                try db.execute(sql: """
                    INSERT INTO results (vantage, check_id, version, status, outcome, published_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (vantage, check_id) DO UPDATE SET version = excluded.version, status = excluded.status,
                        outcome = excluded.outcome, published_at = excluded.published_at
                    """, arguments: [publication.vantage, row.check, version, row.status, row.outcome, now])
            }
            return .published
        }
    }

    func withdraw(vantage: String, instance: String) throws {
        try file.writing { db in
            try db.execute(sql: "DELETE FROM agents WHERE vantage = ? AND instance = ?", arguments: [vantage, instance])
            if db.changesCount > 0 { try db.execute(sql: "DELETE FROM results WHERE vantage = ?", arguments: [vantage]) }
        }
    }

    func readVantages(since version: Int) throws -> StoredVantages {
        let now = Date().timeIntervalSince1970
        return try file.reading { db in
            let agents = try Row.fetchAll(db, sql: "SELECT vantage, host, every_ms, beat_at FROM agents").compactMap { row -> StoredVantages.Agent? in
                guard let vantage: String = row.checked("vantage"), let host: String = row.checked("host"),
                      let every: Int = row.checked("every_ms"), let beatAt: Double = row.checked("beat_at") else { return nil }
                return StoredVantages.Agent(vantage: vantage, host: host, everyMilliseconds: every, age: now - beatAt)
            }
            var newest = version
            let results = try Row.fetchAll(db, sql: "SELECT vantage, check_id, version, outcome, published_at FROM results WHERE version > ? ORDER BY version",
                                           arguments: [version]).compactMap { row -> StoredVantages.Result? in
                guard let vantage: String = row.checked("vantage"), let check: String = row.checked("check_id"),
                      let rowVersion: Int = row.checked("version"), let outcome: String = row.checked("outcome"),
                      let publishedAt: Double = row.checked("published_at") else { return nil }
                newest = max(newest, rowVersion)
                return StoredVantages.Result(vantage: vantage, check: check, outcome: outcome, age: now - publishedAt)
            }
            return StoredVantages(agents: agents, results: results, version: newest)
        }
    }
}
