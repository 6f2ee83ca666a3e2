import FlightdeckCore
import Foundation
import GRDB
import Synchronization

/// The shared launch state on disk: an append-only, hash-chained journal of launch events
/// in SQLite (WAL), which every Flightdeck process on the plan opens at once. The launch
/// state is folded from it; nothing in it is ever updated or deleted.
///
/// Each row keeps the entry's canonical text (JSON with sorted keys: sequence number, time,
/// actor, event and the previous entry's hash) and the SHA-256 of that text. A second table
/// keeps every (sequence number, hash) again, so cutting entries off the end shows.
public final class LaunchJournal: Sendable {
    public enum JournalError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case unreadable(seq: Int, reason: String)
        /// The directory holds the journal of another launch.
        case otherLaunch(path: String, launch: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "cannot open the launch journal \(path): \(reason)"
            case .otherLaunch(let path, let launch):
                "\(path) is the journal of the launch \(launch), not this plan's; give this plan a state_dir of its own"
            case .unreadable(let seq, let reason): "journal entry \(seq) cannot be read (\(reason)); run `flightdeck audit verify`"
            }
        }
    }

    public static let fileName = "launch.sqlite"
    static let genesis = String(repeating: "0", count: 64)

    public let path: String
    private let database: DatabasePool
    private let folded: Mutex<LaunchState>

    public init(directory: String, plan: LaunchPlan) throws {
        path = "\(directory)/\(Self.fileName)"
        do {
            try Self.makeSharedDirectory(directory)
            var configuration = Configuration()
            // Several processes write; each waits its turn rather than failing.
            configuration.busyMode = .timeout(10)
            database = try DatabasePool(path: path, configuration: configuration)
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, hash TEXT NOT NULL);
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
            }
        } catch {
            throw JournalError.cannotOpen(path: path, reason: "\(error)")
        }
        // One journal, one launch: a second plan pointed at the same directory is refused.
        let identity = "\(plan.name) (\(plan.zone))"
        let owner: String
        do {
            owner = try database.write { db -> String in
                if let row = try Row.fetchOne(db, sql: "SELECT name, zone FROM launch") {
                    return "\(row["name"] as String) (\(row["zone"] as String))"
                }
                try db.execute(sql: "INSERT INTO launch (name, zone, created) VALUES (?, ?, ?)",
                               arguments: [plan.name, plan.zone.description, LaunchRecord.timestamp(Date())])
                return identity
            }
        } catch {
            throw JournalError.cannotOpen(path: path, reason: "\(error)")
        }
        guard owner == identity else { throw JournalError.otherLaunch(path: path, launch: owner) }
        folded = Mutex(LaunchState(plan: plan))
    }

    /// The state directory is shared by the team's logins: group-writable, and setgid so the
    /// files in it keep the directory's group.
    private static func makeSharedDirectory(_ directory: String) throws {
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o2775)
    }

    // MARK: Reading

    /// The launch state with every entry written so far, by this process or any other.
    public func state() throws -> LaunchState {
        try database.read { db in try catchUp(db) }
    }

    /// The state, if entries were added since `seq`; nil when nothing changed. Cheap enough
    /// to call several times a second.
    public func changes(since seq: Int) throws -> LaunchState? {
        let last = try database.read { db in try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0 }
        return last == seq ? nil : try state()
    }

    private func catchUp(_ db: Database) throws -> LaunchState {
        let known = folded.withLock { $0.lastSeq }
        let rows = try Row.fetchAll(db, sql: "SELECT seq, record FROM events WHERE seq > ? ORDER BY seq", arguments: [known])
        let records = try rows.map { row -> LaunchRecord in
            let seq: Int = row["seq"]
            return try Self.decode(row["record"] as String, seq: seq)
        }
        return folded.withLock { state in
            for record in records where record.seq > state.lastSeq { state.apply(record) }
            return state
        }
    }

    // MARK: Appending

    /// Appends what `decide` makes of the current state, if the workflow allows all of it,
    /// in one write transaction: another process appending at the same moment is judged
    /// before or after, never alongside. Returns the entries written, or why not.
    @discardableResult
    public func append(by actor: LaunchActor, at now: Date = Date(), checks: [String: CheckStatus],
                       _ decide: (LaunchState) -> [LaunchEvent]) throws -> Result<[LaunchRecord], LaunchRefusal> {
        try database.writeWithoutTransaction { db in
            var outcome: Result<[LaunchRecord], LaunchRefusal> = .success([])
            try db.inTransaction(.immediate) {
                var state = try catchUp(db)
                var previous = try String.fetchOne(db, sql: "SELECT hash FROM events ORDER BY seq DESC LIMIT 1") ?? Self.genesis
                var written: [LaunchRecord] = []
                for event in decide(state) {
                    if let refusal = state.refusal(for: event, by: actor, at: now, checks: checks) {
                        outcome = .failure(refusal)
                        return .rollback
                    }
                    let record = LaunchRecord(seq: state.lastSeq + 1, at: now, actor: actor, event: event)
                    let text = try Self.encode(record, previous: previous)
                    let hash = Crypto.sha256Hex(Array(text.utf8))
                    try db.execute(sql: "INSERT INTO events (seq, record, hash) VALUES (?, ?, ?)", arguments: [record.seq, text, hash])
                    try db.execute(sql: "INSERT INTO heads (seq, hash) VALUES (?, ?)", arguments: [record.seq, hash])
                    state.apply(record)
                    written.append(record)
                    previous = hash
                }
                outcome = .success(written)
                return .commit
            }
            return outcome
        }
    }

    /// Appends one event; see `append(by:at:checks:_:)`. A vote's evidence is made here:
    /// the blockers as they stand the moment it is written.
    @discardableResult
    public func append(_ event: LaunchEvent, by actor: LaunchActor, at now: Date = Date(),
                       checks: [String: CheckStatus]) throws -> Result<LaunchRecord, LaunchRefusal> {
        try append(by: actor, at: now, checks: checks) { state in
            [event.withEvidence(Crypto.evidence(state.blockers(checks: checks)))]
        }.map { $0[0] }
    }

    /// The actor acting as `approver` once their PIN checks out. A wrong PIN is journalled,
    /// so five in a row lock the approver out in every process; a locked-out approver's PIN
    /// is not even tried.
    public func sign(as approver: Approver, pin: String, actor: LaunchActor) throws -> Result<LaunchActor, LaunchRefusal> {
        guard let hash = approver.pinHash else {
            return .failure(LaunchRefusal("\(approver.name) has no PIN in the plan; they sign by their login"))
        }
        if let until = try state().lockedUntil(approver.name, at: Date()) {
            return .failure(LaunchRefusal("\(approver.name) is locked out after \(LaunchState.pinAttempts) wrong PINs until \(LaunchRecord.timestamp(until))"))
        }
        guard Crypto.pinMatches(pin, hash) else {
            _ = try append(.pinRejected(approver: approver.name), by: actor.acting(as: nil, pinUsed: false), checks: [:])
            let failures = try state().pinFailures[approver.name]?.count ?? 0
            return .failure(LaunchRefusal("wrong PIN for \(approver.name) (\(failures) of \(LaunchState.pinAttempts) before a lockout)"))
        }
        return .success(actor.acting(as: approver.name, pinUsed: true))
    }

    /// Appends whatever the clock and the checks have made due (stale votes, built-in holds).
    /// Several processes may see the same thing at once; only the first writes it.
    @discardableResult
    public func appendDue(by actor: LaunchActor, at now: Date = Date(), checks: [String: CheckStatus]) throws -> [LaunchRecord] {
        let automatic = actor.acting(as: nil, pinUsed: false)
        var written: [LaunchRecord] = []
        // One at a time: each can change what is due next (a stale vote's hold means the
        // built-in hold due at the same moment no longer starts one).
        for _ in 0..<16 {
            let result = try append(by: automatic, at: now, checks: checks) { state in Array(state.dueEvents(at: now, checks: checks).prefix(1)) }
            guard case .success(let records) = result, !records.isEmpty else { break }
            written += records
        }
        return written
    }

    // MARK: Canonical text

    struct StoredRecord: Codable {
        var seq: Int
        var at: String
        var actor: LaunchActor
        var event: LaunchEvent
        var prev: String
    }

    static let encoder = makeEncoder()
    static let decoder = makeDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(LaunchRecord.timestamp(date))
        }
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = LaunchRecord.parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }

    static func encode(_ record: LaunchRecord, previous: String) throws -> String {
        let stored = StoredRecord(seq: record.seq, at: LaunchRecord.timestamp(record.at), actor: record.actor, event: record.event, prev: previous)
        return String(decoding: try encoder.encode(stored), as: UTF8.self)
    }

    static func decodeStored(_ text: String) throws -> StoredRecord {
        try decoder.decode(StoredRecord.self, from: Data(text.utf8))
    }

    static func decode(_ text: String, seq: Int) throws -> LaunchRecord {
        do {
            let stored = try decodeStored(text)
            guard let at = LaunchRecord.parseTimestamp(stored.at) else { throw JournalError.unreadable(seq: seq, reason: "bad time \(stored.at)") }
            return LaunchRecord(seq: stored.seq, at: at, actor: stored.actor, event: stored.event)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError.unreadable(seq: seq, reason: "not a journal entry")
        }
    }

    // MARK: Verifying

    public struct Verification: Sendable, Equatable {
        /// Entries that checked out, in order.
        public var entries: Int
        /// The hash of the last good entry: quote it to pin the journal down.
        public var head: String
        /// The first bad sequence number, and what is wrong with it.
        public var firstBad: Int?
        public var problem: String?

        public var passed: Bool { firstBad == nil }
    }

    /// Recomputes the chain from the first entry: each entry's hash over its own text, its
    /// place in the sequence, its link to the one before, and the hashes kept apart in
    /// `heads`. Names the first sequence number that does not hold.
    public func verify() throws -> Verification {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT seq, record, hash FROM events ORDER BY seq")
            let heads = Dictionary(try Row.fetchAll(db, sql: "SELECT seq, hash FROM heads").map { ($0["seq"] as Int, $0["hash"] as String) },
                                   uniquingKeysWith: { first, _ in first })
            var expected = 1
            var previous = Self.genesis
            func bad(_ seq: Int, _ problem: String) -> Verification {
                Verification(entries: expected - 1, head: previous, firstBad: seq, problem: problem)
            }
            for row in rows {
                let seq: Int = row["seq"]
                let text: String = row["record"]
                let hash: String = row["hash"]
                if seq != expected { return bad(expected, "entry \(expected) is missing: deleted") }
                if Crypto.sha256Hex(Array(text.utf8)) != hash { return bad(seq, "entry \(seq) does not match its hash: edited after it was written") }
                guard let stored = try? Self.decodeStored(text) else { return bad(seq, "entry \(seq) is not a journal entry") }
                if stored.seq != seq { return bad(seq, "entry \(seq) holds entry \(stored.seq): reordered") }
                if stored.prev != previous { return bad(seq, "entry \(seq) does not follow entry \(seq - 1): the chain is broken") }
                if let kept = heads[seq], kept != hash { return bad(seq, "entry \(seq) is not the entry first written there: replaced") }
                if heads[seq] == nil { return bad(seq, "entry \(seq) was never recorded as written: inserted") }
                previous = hash
                expected += 1
            }
            if let last = heads.keys.max(), last >= expected {
                return bad(expected, "entries \(expected) to \(last) are missing: truncated")
            }
            return Verification(entries: expected - 1, head: previous, firstBad: nil, problem: nil)
        }
    }
}
