import FlightdeckCore
import Foundation
import GRDB

/// The journal in an SQLite file (WAL) in the plan's state directory, which every process
/// on one host opens at once.
final class SQLiteJournalStorage: JournalStorage {
    typealias JournalError = LaunchJournal.JournalError

    static let fileName = "launch.sqlite"

    let path: String
    let directory: String
    private let database: any DatabaseWriter

    var location: String { path }

    init(directory: String) throws {
        self.directory = directory
        path = "\(directory)/\(Self.fileName)"
        try StateDirectory.prepare(directory)
        do {
            let path = path
            database = try SQLiteStateFile.opening { try Self.open(path) }
        } catch {
            // A full disk leaves the journal readable: read-only commands go on from the
            // main file (with nothing to write, nothing was left in the write-ahead log).
            guard StateDirectory.diskIsFull(directory), FileManager.default.fileExists(atPath: path) else {
                throw JournalError.cannotOpen(path: path, reason: StateDirectory.explain(error, directory: directory))
            }
            var configuration = Configuration()
            configuration.readonly = true
            do {
                database = try DatabaseQueue(path: "file:\(path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path)?immutable=1",
                                             configuration: configuration)
            } catch {
                throw JournalError.cannotOpen(path: path, reason: StateDirectory.explain(error, directory: directory))
            }
        }
    }

    /// The journal's database, its tables made if they are not there yet. Made ones are only
    /// read here.
    private static func open(_ path: String) throws -> DatabaseQueue {
        let database = try DatabaseQueue(path: path, configuration: SQLiteStateFile.configuration)
        let made = try database.read { db in
            try db.tableExists("events") && db.tableExists("heads") && db.tableExists("launch")
                && db.columns(in: "events").contains { $0.name == "signature" }
        }
        guard !made else { return database }
        try database.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, hash TEXT NOT NULL, signature TEXT);
                CREATE TABLE IF NOT EXISTS heads (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL);
                CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
                    BEGIN SELECT RAISE(ABORT, 'the launch journal is append-only'); END;
                CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
                    BEGIN SELECT RAISE(ABORT, 'the launch journal is append-only'); END;
                CREATE TRIGGER IF NOT EXISTS heads_append_only_update BEFORE UPDATE ON heads
                    BEGIN SELECT RAISE(ABORT, 'the launch journal is append-only'); END;
                CREATE TRIGGER IF NOT EXISTS heads_append_only_delete BEFORE DELETE ON heads
                    BEGIN SELECT RAISE(ABORT, 'the launch journal is append-only'); END;
                CREATE TABLE IF NOT EXISTS launch (name TEXT NOT NULL, zone TEXT NOT NULL, created TEXT NOT NULL);
                """)
            // Journals from before key signatures gain the column (adding one is not an UPDATE).
            if try !db.columns(in: "events").contains(where: { $0.name == "signature" }) {
                try db.execute(sql: "ALTER TABLE events ADD COLUMN signature TEXT")
            }
        }
        return database
    }

    func claim(_ launch: String, name: String, zone: String, created: String) throws -> String {
        func owner(_ row: Row) -> String { "\(Self.column(row, "name").text ?? "?") (\(Self.column(row, "zone").text ?? "?"))" }
        do {
            if let read = try database.read({ db in try Row.fetchOne(db, sql: "SELECT name, zone FROM launch") }) { return owner(read) }
            return try database.write { db -> String in
                if let row = try Row.fetchOne(db, sql: "SELECT name, zone FROM launch") { return owner(row) }
                try db.execute(sql: "INSERT INTO launch (name, zone, created) VALUES (?, ?, ?)", arguments: [name, zone, created])
                return launch
            }
        } catch {
            throw JournalError.cannotOpen(path: path, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    func lastSeq() throws -> Int {
        try database.read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM events")) ?? 0 }
    }

    func read<T>(_ body: (any JournalReading) throws -> T) throws -> T {
        try database.read { db in try body(Connection(db: db)) }
    }

    /// One immediate write transaction: SQLite lets one writer in at a time.
    func append<T>(_ body: (any JournalAppending) throws -> Result<T, LaunchRefusal>) throws -> Result<T, LaunchRefusal> {
        do {
            return try database.writeWithoutTransaction { db in
                var outcome: Result<T, LaunchRefusal>!
                try db.inTransaction(.immediate) {
                    outcome = try body(Connection(db: db))
                    if case .failure = outcome { return .rollback }
                    return .commit
                }
                return outcome
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError.cannotWrite(path: path, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    /// The file is opened at once, or not at all.
    var reconnects: Bool { false }

    func vantageStorage() throws -> any VantageStorage {
        try SQLiteVantageStorage(directory: directory)
    }

    func timelineStorage() throws -> any TimelineStorage {
        try SQLiteTimelineStorage(directory: directory)
    }

    /// SQLite tells no one of a commit: readers look on a timer.
    func waitForAppend(timeout: Duration) {}
    var notifiesAppends: Bool { false }

    /// Moves the journal's files aside (`launch.sqlite.broken-TIME`), so the next open
    /// starts a new one; returns where they went.
    func setAside(at now: Date) throws -> String {
        try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let aside = "\(path).broken-\(LaunchRecord.timestamp(now).replacingOccurrences(of: ":", with: ""))"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            guard rename(path + suffix, aside + suffix) == 0 else {
                throw JournalError.cannotWrite(path: path, reason: "cannot move \(path + suffix) aside: \(String(cString: strerror(errno)))")
            }
        }
        return aside
    }

    /// A column as what it holds: what is on disk is never trusted to be what was written.
    private static func column(_ row: Row, _ name: String) -> StoredEntry.Column {
        let value: DatabaseValue = row[name]
        switch value.storage {
        case .null: return .null
        case .string(let text): return .text(text)
        default: return .other
        }
    }

    /// The statements are prepared once per connection and kept (GRDB's statement cache):
    /// parsing the SQL again cost more than running it.
    private struct Connection: JournalAppending {
        let db: Database

        func entries(after seq: Int) throws -> [StoredEntry] {
            try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, record, hash, signature FROM events WHERE seq > ? ORDER BY seq"), arguments: [seq]).map { row in
                let value: DatabaseValue = row["seq"]
                var number: Int?
                if case .int64(let stored) = value.storage { number = Int(exactly: stored) }
                return StoredEntry(seq: number, record: column(row, "record"), hash: column(row, "hash"), signature: column(row, "signature"))
            }
        }

        func hash(at seq: Int) throws -> String? {
            try Row.fetchOne(db.cachedStatement(sql: "SELECT hash FROM events WHERE seq = ?"), arguments: [seq]).flatMap { column($0, "hash").text }
        }

        func heads(after seq: Int) throws -> [Int: String] {
            var heads: [Int: String] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, hash FROM heads WHERE seq > ?"), arguments: [seq]) {
                let value: DatabaseValue = row["seq"]
                guard case .int64(let stored) = value.storage, let number = Int(exactly: stored) else { continue }
                if heads[number] == nil { heads[number] = column(row, "hash").text ?? "" }
            }
            return heads
        }

        func insert(seq: Int, record: String, hash: String, signature: String?) throws {
            try db.cachedStatement(sql: "INSERT INTO events (seq, record, hash, signature) VALUES (?, ?, ?, ?)").execute(arguments: [seq, record, hash, signature])
            try db.cachedStatement(sql: "INSERT INTO heads (seq, hash) VALUES (?, ?)").execute(arguments: [seq, hash])
        }
    }
}
