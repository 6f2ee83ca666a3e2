import Foundation
import GRDB

/// A database file of its own in the state directory, beside the journal's: made with its
/// schema when first opened, and its failures told as the journal's are (the file, and why,
/// with the fix where there is one).
struct SQLiteStateFile: Sendable {
    let location: String
    private let directory: String
    private let database: DatabaseQueue

    /// - Parameter schema: statements safe to run again on a file that has them.
    init(directory: String, fileName: String, schema: String) throws {
        self.directory = directory
        location = "\(directory)/\(fileName)"
        do {
            try StateDirectory.prepare(directory)
            let location = location
            database = try Self.opening { () throws -> DatabaseQueue in
                let database = try DatabaseQueue(path: location, configuration: Self.configuration)
                try database.write { try $0.execute(sql: schema) }
                return database
            }
        } catch let error as StateDirectory.UnsafeDirectory {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: error.message)
        } catch {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    /// Several processes write; each waits its turn rather than failing. In WAL mode, so
    /// readers in other processes never wait for a writer. One connection per file (a queue,
    /// not a pool of readers): a process reads and writes these a few times a second, and
    /// each further connection keeps its own page cache and parsed schema in every session.
    static var configuration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.journalMode = .wal
        return configuration
    }

    /// Opens a state file, again while another process holds it busy: SQLite waits out a
    /// busy writer, but not every lock taken while a file is made (several processes starting
    /// on a new state directory at once), and those fail at once with "database is locked".
    static func opening<T>(within seconds: Double = 10, _ open: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                return try open()
            } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) && Date() < deadline {
                usleep(20_000)
            }
        }
    }

    /// One write transaction; SQLite runs them one at a time.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch {
            throw LaunchJournal.JournalError.cannotWrite(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }

    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw LaunchJournal.JournalError.cannotOpen(path: location, reason: StateDirectory.explain(error, directory: directory))
        }
    }
}

extension Row {
    /// A column as the type it should hold; nil for anything else (nothing read is trusted,
    /// and GRDB's own subscript stops the process on a value of another type).
    func checked<T: DatabaseValueConvertible>(_ column: String) -> T? {
        T.fromDatabaseValue(self[column])
    }
}
