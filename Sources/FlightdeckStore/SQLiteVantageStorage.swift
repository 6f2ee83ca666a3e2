import FlightdeckCore
import Foundation
import GRDB

/// Agents' heartbeats and outcomes in an SQLite file of their own beside the journal's, for
/// agents on the same host as the sessions (each in a network of its own: a namespace, a
/// VPN). One file, one clock: ages are the host's.
final class SQLiteVantageStorage: VantageStorage {
    static let fileName = "vantages.sqlite"

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
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS agents (vantage TEXT PRIMARY KEY, instance TEXT NOT NULL, host TEXT NOT NULL,
                        every_ms INTEGER NOT NULL, beat_at REAL NOT NULL);
                    CREATE TABLE IF NOT EXISTS results (vantage TEXT NOT NULL, check_id TEXT NOT NULL, version INTEGER NOT NULL,
                        status TEXT NOT NULL, outcome TEXT NOT NULL, published_at REAL NOT NULL, PRIMARY KEY (vantage, check_id));
                    CREATE INDEX IF NOT EXISTS results_version ON results (version);
                    """)
            }
        } catch let error as StateDirectory.UnsafeDirectory {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: error.message)
        } catch {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    private func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
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

    func publish(_ publication: VantagePublication, rows: [VantageRow], staleAfter: Int) throws -> VantagePublication.Outcome {
        let now = Date().timeIntervalSince1970
        let every = Int(publication.every.timeInterval * 1000)
        return try writing { db in
            let holder = try Row.fetchOne(db, sql: "SELECT instance, host, every_ms, beat_at FROM agents WHERE vantage = ?",
                                          arguments: [publication.vantage])
            if let holder, let instance: String = Self.value(holder, "instance"), instance != publication.instance,
               let beatAt: Double = Self.value(holder, "beat_at"), let holderEvery: Int = Self.value(holder, "every_ms"),
               now - beatAt <= Double(holderEvery * staleAfter) / 1000 {
                return .held(host: Self.value(holder, "host") ?? "?", instance: instance, age: .seconds(max(0, now - beatAt)))
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
        try writing { db in
            try db.execute(sql: "DELETE FROM agents WHERE vantage = ? AND instance = ?", arguments: [vantage, instance])
            if db.changesCount > 0 { try db.execute(sql: "DELETE FROM results WHERE vantage = ?", arguments: [vantage]) }
        }
    }

    func readVantages(since version: Int) throws -> StoredVantages {
        let now = Date().timeIntervalSince1970
        return try reading { db in
            let agents = try Row.fetchAll(db, sql: "SELECT vantage, host, every_ms, beat_at FROM agents").compactMap { row -> StoredVantages.Agent? in
                guard let vantage: String = Self.value(row, "vantage"), let host: String = Self.value(row, "host"),
                      let every: Int = Self.value(row, "every_ms"), let beatAt: Double = Self.value(row, "beat_at") else { return nil }
                return StoredVantages.Agent(vantage: vantage, host: host, everyMilliseconds: every, age: now - beatAt)
            }
            var newest = version
            let results = try Row.fetchAll(db, sql: "SELECT vantage, check_id, version, outcome, published_at FROM results WHERE version > ? ORDER BY version",
                                           arguments: [version]).compactMap { row -> StoredVantages.Result? in
                guard let vantage: String = Self.value(row, "vantage"), let check: String = Self.value(row, "check_id"),
                      let rowVersion: Int = Self.value(row, "version"), let outcome: String = Self.value(row, "outcome"),
                      let publishedAt: Double = Self.value(row, "published_at") else { return nil }
                newest = max(newest, rowVersion)
                return StoredVantages.Result(vantage: vantage, check: check, outcome: outcome, age: now - publishedAt)
            }
            return StoredVantages(agents: agents, results: results, version: newest)
        }
    }

    /// A column as the type it should hold; nil for anything else (nothing read is trusted).
    private static func value<T: DatabaseValueConvertible>(_ row: Row, _ column: String) -> T? {
        T.fromDatabaseValue(row[column])
    }
}
