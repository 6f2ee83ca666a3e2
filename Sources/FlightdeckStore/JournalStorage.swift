import FlightdeckCore
import Foundation

/// Where a launch journal's rows live: an SQLite file beside the plan (the default) or a
/// PostgreSQL database several hosts share. Both keep the same three tables (`events`,
/// `heads`, `launch`), refuse every UPDATE and DELETE, and run one append at a time; the
/// chain, its checks and the canonical text are the journal's, the same on both.
protocol JournalStorage: Sendable {
    /// Where it is, for messages: a path, or a URL without its password.
    var location: String { get }

    /// The launch this journal belongs to, as "name (zone)"; recorded as `launch` first if
    /// it belongs to none yet (the tables are made first if there are none).
    func claim(_ launch: String, name: String, zone: String, created: String) throws -> String

    /// Whether a storage that cannot be reached when the journal is opened may be reached
    /// later (a database server), rather than failing the open (a file).
    var reconnects: Bool { get }

    /// The highest sequence number written, 0 for none.
    func lastSeq() throws -> Int

    /// Reads with one consistent view of the journal.
    func read<T>(_ body: (any JournalReading) throws -> T) throws -> T

    /// One append transaction: no other append runs between its reads and its inserts. It
    /// commits when `body` succeeds and rolls back when it refuses or throws; a failure to
    /// commit is thrown as `JournalError.cannotWrite`, and nothing of it was recorded.
    func append<T>(_ body: (any JournalAppending) throws -> Result<T, LaunchRefusal>) throws -> Result<T, LaunchRefusal>

    /// Blocks until another process may have appended (or an agent published), or `timeout`
    /// has passed: at once if the storage cannot tell (the caller then looks on a timer).
    func waitForAppend(timeout: Duration)

    /// Whether `waitForAppend` is told of appends (rather than returning at once).
    var notifiesAppends: Bool { get }

    /// Where probe agents' heartbeats and outcomes are kept beside this journal.
    func vantageStorage() throws -> any VantageStorage

    /// Where the launch's timeline is kept beside this journal.
    func timelineStorage() throws -> any TimelineStorage
}

protocol JournalReading {
    /// The entries after `seq`, in order, as stored.
    func entries(after seq: Int) throws -> [StoredEntry]
    /// The hash stored with entry `seq`, if there is one and it is text.
    func hash(at seq: Int) throws -> String?
    /// The (sequence number, hash) pairs kept apart from the entries, after `seq`; the first
    /// of any two for one number.
    func heads(after seq: Int) throws -> [Int: String]
}

protocol JournalAppending: JournalReading {
    func insert(seq: Int, record: String, hash: String, signature: String?) throws
}

/// One row of `events` as storage gave it back: nothing in it is trusted yet.
struct StoredEntry {
    enum Column: Equatable {
        case null
        case text(String)
        /// Something that is not text (a blob, bytes that are not UTF-8).
        case other

        var text: String? {
            if case .text(let text) = self { return text }
            return nil
        }
    }

    var seq: Int?
    var record: Column
    var hash: Column
    var signature: Column
}
