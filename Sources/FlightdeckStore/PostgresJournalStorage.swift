import CPostgres
import FlightdeckCore
import Foundation
import Synchronization

/// The journal in PostgreSQL, which sessions on several hosts share, through libpq.
///
/// Each launch has a schema of its own (`flightdeck_ZONE_TAG`, the tag from the launch's
/// name and zone), so one database holds several launches and a plan never reads
/// another's. A trigger refuses every UPDATE, DELETE and TRUNCATE of its tables; appends
/// take a transaction-scoped advisory lock, so they run one at a time across every host.
final class PostgresJournalStorage: JournalStorage {
    typealias JournalError = LaunchJournal.JournalError

    let location: String
    let schema: String
    let lockKey: Int64
    private let connection: Mutex<PostgresConnection>
    /// A second connection that only LISTENs, so a wait never holds up a read or an append.
    private let listener: Mutex<PostgresConnection>

    init(url: String, launch plan: LaunchPlan) throws {
        location = PostgresLocation.withoutPassword(url)
        (schema, lockKey) = Self.schema(of: plan)
        connection = Mutex(PostgresConnection(url: url))
        listener = Mutex(PostgresConnection(url: url))
    }

    /// The launch's schema (`flightdeck_ZONE_TAG`, of letters, digits and _) and the key of
    /// its advisory lock, both from the launch's name and zone.
    static func schema(of plan: LaunchPlan) -> (name: String, lockKey: Int64) {
        let digest = Crypto.sha256Hex(Array("\(plan.name)\u{0}\(plan.zone.description)".utf8))
        let zone = plan.zone.description.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }
        return ("flightdeck_\(String(zone.prefix(40)))_\(digest.prefix(8))", Int64(bitPattern: UInt64(digest.prefix(16), radix: 16) ?? 0))
    }

    /// A server that is down is waited for: the journal reaches it on its first read or write.
    var reconnects: Bool { true }

    /// The tables and the trigger that keeps them append-only; safe to run again.
    private static func schemaSQL(_ schema: String) -> String {
        """
        CREATE SCHEMA IF NOT EXISTS \(schema);
        CREATE TABLE IF NOT EXISTS \(schema).events (seq bigint PRIMARY KEY, record text NOT NULL, hash text NOT NULL, signature text);
        CREATE TABLE IF NOT EXISTS \(schema).heads (seq bigint PRIMARY KEY, hash text NOT NULL);
        CREATE TABLE IF NOT EXISTS \(schema).launch (name text NOT NULL, zone text NOT NULL, created text NOT NULL);
        CREATE OR REPLACE FUNCTION \(schema).append_only() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'the launch journal is append-only'; END $$;
        CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON \(schema).events
            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).append_only();
        CREATE OR REPLACE TRIGGER events_never_truncated BEFORE TRUNCATE ON \(schema).events
            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).append_only();
        CREATE OR REPLACE TRIGGER heads_append_only BEFORE UPDATE OR DELETE ON \(schema).heads
            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).append_only();
        CREATE OR REPLACE TRIGGER heads_never_truncated BEFORE TRUNCATE ON \(schema).heads
            FOR EACH STATEMENT EXECUTE FUNCTION \(schema).append_only();
        \(vantageSchemaSQL(schema))
        \(timelineSchemaSQL(schema))
        """
    }

    func claim(_ launch: String, name: String, zone: String, created: String) throws -> String {
        try using(JournalError.cannotOpen) { connection in
            try connection.transaction {
                try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(lockKey)])
                try connection.execute(Self.schemaSQL(schema))
                if let row = try connection.query("SELECT name, zone FROM \(schema).launch LIMIT 1").first {
                    return "\(row[0].text ?? "?") (\(row[1].text ?? "?"))"
                }
                try connection.execute("INSERT INTO \(schema).launch (name, zone, created) VALUES ($1, $2, $3)", [name, zone, created])
                return launch
            }
        }
    }

    func lastSeq() throws -> Int {
        try using(JournalError.cannotOpen) { connection in
            try connection.query("SELECT COALESCE(MAX(seq), 0) FROM \(schema).events").first.flatMap { $0[0].text.flatMap { Int($0) } } ?? 0
        }
    }

    /// In one repeatable-read transaction: every query sees the journal at one moment.
    func read<T>(_ body: (any JournalReading) throws -> T) throws -> T {
        try using(JournalError.cannotOpen) { connection in
            try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                try body(Tables(connection: connection, schema: schema))
            }
        }
    }

    func append<T>(_ body: (any JournalAppending) throws -> Result<T, LaunchRefusal>) throws -> Result<T, LaunchRefusal> {
        try using(JournalError.cannotWrite) { connection in
            var outcome: Result<T, LaunchRefusal>?
            do {
                // One round trip to begin and lock, one to notify and commit (the NOTIFY is
                // delivered to every listening session when the transaction commits). The
                // schema's name and the key are made here, of letters, digits and _.
                try connection.transaction("BEGIN; SELECT pg_advisory_xact_lock(\(lockKey))",
                                           commit: "SELECT pg_notify('\(schema)', ''); COMMIT") {
                    let decided = try body(Tables(connection: connection, schema: schema))
                    outcome = decided
                    if case .failure = decided { throw Refused() }
                }
            } catch is Refused {}
            return outcome!
        }
    }

    private struct Refused: Error {}

    var notifiesAppends: Bool { true }

    func vantageStorage() throws -> any VantageStorage { self }

    func timelineStorage() throws -> any TimelineStorage { self }

    /// Waits on the listening connection for a NOTIFY on the launch's channel. A lost
    /// connection is opened (and LISTENs) again on the next wait; meanwhile it waits out the
    /// timeout, so the caller's look on return finds what was missed.
    func waitForAppend(timeout: Duration) {
        listener.withLock { listener in
            let deadline = ContinuousClock.now + timeout
            if !listener.isOpen {
                guard (try? listener.ensureOpen()) != nil, (try? listener.execute("LISTEN \(schema)")) != nil else {
                    Thread.sleep(forTimeInterval: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
                    return
                }
            }
            _ = listener.waitForNotification(until: deadline)
        }
    }

    /// Runs `body` on the connection, opened first if it is not. A connection lost during
    /// `body` before COMMIT was sent committed nothing, so `body` is run once more on a new one; one
    /// lost during COMMIT may or may not have committed, and is an error (the next read shows
    /// which). What PostgreSQL says goes into `wrap`'s error.
    func using<T>(_ wrap: (String, String) -> JournalError, _ body: (PostgresConnection) throws -> T) throws -> T {
        try connection.withLock { connection in
            for attempt in 1...2 {
                let wasOpen = connection.isOpen
                do {
                    try connection.ensureOpen()
                    return try body(connection)
                } catch let failure as PostgresConnection.Failure {
                    // Only a connection that was open and got lost is tried again at once.
                    if attempt == 1, wasOpen, !failure.duringCommit, !connection.isOpen { continue }
                    throw wrap(location, failure.message)
                }
            }
            fatalError("unreachable: the second attempt returns or throws")
        }
    }

    private struct Tables: JournalAppending {
        let connection: PostgresConnection
        let schema: String

        func entries(after seq: Int) throws -> [StoredEntry] {
            try connection.query("SELECT seq, record, hash, signature FROM \(schema).events WHERE seq > $1 ORDER BY seq", [String(seq)]).map { row in
                StoredEntry(seq: row[0].text.flatMap { Int($0) }, record: row[1], hash: row[2], signature: row[3])
            }
        }

        func hash(at seq: Int) throws -> String? {
            try connection.query("SELECT hash FROM \(schema).events WHERE seq = $1", [String(seq)]).first?[0].text
        }

        func heads(after seq: Int) throws -> [Int: String] {
            var heads: [Int: String] = [:]
            for row in try connection.query("SELECT seq, hash FROM \(schema).heads WHERE seq > $1", [String(seq)]) {
                guard let number = row[0].text.flatMap({ Int($0) }) else { continue }
                if heads[number] == nil { heads[number] = row[1].text ?? "" }
            }
            return heads
        }

        /// Both rows in one statement, one round trip.
        func insert(seq: Int, record: String, hash: String, signature: String?) throws {
            try connection.execute("""
                WITH event AS (INSERT INTO \(schema).events (seq, record, hash, signature) VALUES ($1, $2, $3, $4))
                INSERT INTO \(schema).heads (seq, hash) VALUES ($1, $3)
                """, [String(seq), record, hash, signature])
        }
    }
}

/// One libpq connection, used by one thread at a time (its owner holds it in a Mutex).
final class PostgresConnection: @unchecked Sendable {
    struct Failure: Error {
        var message: String
        /// Sent with COMMIT: whether it committed is not known.
        var duringCommit = false
    }

    private let url: String
    private var handle: OpaquePointer?

    init(url: String) {
        self.url = url
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Connected, or connected again if the connection was lost.
    func ensureOpen() throws {
        if let handle, PQstatus(handle) == CONNECTION_OK { return }
        if let handle { PQfinish(handle) }
        // A host that does not answer is given 10 s, unless the URL says otherwise (its
        // settings come after this one, and win).
        let texts: [String] = ["connect_timeout", "dbname", "10", url]
        let copies = texts.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let keywords: [UnsafePointer<CChar>?] = [UnsafePointer(copies[0]), UnsafePointer(copies[1]), nil]
        let values: [UnsafePointer<CChar>?] = [UnsafePointer(copies[2]), UnsafePointer(copies[3]), nil]
        handle = PQconnectdbParams(keywords, values, 1)
        guard let handle, PQstatus(handle) == CONNECTION_OK else {
            let message = handle.map { Self.message(PQerrorMessage($0)) } ?? "libpq could not allocate a connection"
            throw Failure(message: "cannot connect: \(message)")
        }
        PQsetClientEncoding(handle, "UTF8")
        // Notices (CREATE ... IF NOT EXISTS says "already exists") are not for the terminal.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    /// Waits until a notification arrives or `deadline` passes; whether one arrived. Every
    /// notification waiting is taken: one wake-up serves them all.
    func waitForNotification(until deadline: ContinuousClock.Instant) -> Bool {
        guard let handle else { return false }
        while true {
            PQconsumeInput(handle)
            var notified = false
            while let notification = PQnotifies(handle) {
                PQfreemem(notification)
                notified = true
            }
            if notified { return true }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero, PQstatus(handle) == CONNECTION_OK else { return false }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 60_000))
            _ = poll(&descriptor, 1, max(milliseconds, 1))
        }
    }

    /// `body` between `begin` and `commit`; rolled back if it throws. A failure of `commit`
    /// is one whose outcome is not known.
    func transaction<T>(_ begin: String = "BEGIN", commit: String = "COMMIT", _ body: () throws -> T) throws -> T {
        try ensureOpen()
        try execute(begin)
        do {
            let value = try body()
            do {
                try execute(commit)
            } catch var failure as Failure {
                failure.duringCommit = true
                throw failure
            }
            return value
        } catch let failure as Failure where failure.duringCommit {
            throw failure
        } catch {
            if isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    func execute(_ sql: String, _ parameters: [String?] = []) throws {
        _ = try run(sql, parameters)
    }

    /// The rows of a query, each column as text, NULL, or not text.
    func query(_ sql: String, _ parameters: [String?] = []) throws -> [[StoredEntry.Column]] {
        try run(sql, parameters)
    }

    private func run(_ sql: String, _ parameters: [String?]) throws -> [[StoredEntry.Column]] {
        guard let handle else { throw Failure(message: "not connected") }
        let copies = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let result = copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            parameters.isEmpty ? PQexec(handle, sql)
                : PQexecParams(handle, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let detail = result.map { Self.message(PQresultErrorMessage($0)) } ?? ""
            throw Failure(message: detail.isEmpty ? Self.message(PQerrorMessage(handle)) : detail)
        }
        guard status == PGRES_TUPLES_OK else { return [] }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                if PQgetisnull(result, row, column) == 1 { return .null }
                guard let value = PQgetvalue(result, row, column), let text = String(validatingCString: value) else { return .other }
                return .text(text)
            }
        }
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        // libpq's messages run over several lines, some indented with tabs: one line here.
        let lines = text.map { String(cString: $0) }?.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        return lines.isEmpty ? "unknown error" : lines.joined(separator: "; ")
    }
}

/// A PostgreSQL URL as the command line and the messages handle it.
public enum PostgresLocation {
    /// The password written in the URL, if there is one.
    public static func password(in url: String) -> String? {
        if let colon = userinfoColon(url), let at = url[colon...].firstIndex(of: "@") {
            return String(url[url.index(after: colon)..<at])
        }
        guard let password = url.range(of: "password=") else { return nil }
        return String(url[password.upperBound...].prefix { $0 != "&" && $0 != " " })
    }

    /// The URL as it may be shown: `postgresql://user:secret@host/db` loses `:secret`, and a
    /// `password=` parameter its value.
    public static func withoutPassword(_ url: String) -> String {
        var shown = url
        if let colon = userinfoColon(shown), let at = shown[colon...].firstIndex(of: "@") {
            shown.replaceSubrange(colon..<at, with: "")
        }
        if let password = shown.range(of: "password=") {
            let end = shown[password.upperBound...].firstIndex { $0 == "&" || $0 == " " } ?? shown.endIndex
            shown.replaceSubrange(password.upperBound..<end, with: "***")
        }
        return shown
    }

    /// The colon between user and password in `scheme://user:password@host/...`: only in the
    /// authority, before the first `/`, `?` or `#`.
    private static func userinfoColon(_ url: String) -> String.Index? {
        guard let scheme = url.range(of: "://") else { return nil }
        let authority = url[scheme.upperBound...].prefix { !"/?#".contains($0) }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        return authority[..<at].firstIndex(of: ":")
    }
}
