import FlightdeckCore
@testable import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import Testing

/// The journal in a real PostgreSQL, shared by sessions on several hosts: the same entries,
/// chain and checks as in SQLite.
@Suite("Launch journal in PostgreSQL", .enabled(if: PostgresServer.unavailable == nil, "\(PostgresServer.unavailable ?? "")"))
struct PostgresJournalTests {
    let server: PostgresServer
    let url: String

    init() async throws {
        server = try await offThePool { try PostgresServer.shared() }
        url = try server.newDatabase()
    }

    var environment: [String: String] { ["PGPASSWORD_TEST": server.password] }

    func fixture(name: String = "Journal test") throws -> JournalFixture {
        try JournalFixture(launch: ", state: \"\(url)\"", environment: environment, name: name)
    }

    /// The same events, at the same moments, by the same people.
    func fill(_ journal: LaunchJournal, _ fixture: JournalFixture) throws {
        let at = Date(timeIntervalSince1970: 2_000_000_000)
        _ = try journal.append(.checklistMarked(item: "legal", mark: .done, note: "signed \u{1B}[2J by counsel"),
                               by: fixture.actor("olga", "Olga"), at: at, checks: [:]).get()
        _ = try journal.append(.pollOpened, by: fixture.actor("olga", "Olga"), at: at.addingTimeInterval(60), checks: [:]).get()
        _ = try journal.append(.voteCast(role: "ops", choice: .go, reason: "ready", evidence: VoteEvidence(items: [], digest: "")),
                               by: fixture.actor("olga", "Olga"), at: at.addingTimeInterval(120), checks: [:]).get()
    }

    @Test("entries written in PostgreSQL fold back in another session, and chain to the same head as in SQLite")
    func sameChainAsSQLite() throws {
        let postgres = try fixture()
        let journal = try postgres.journal()
        #expect(journal.path.hasPrefix("postgresql://flightdeck@127.0.0.1:"), "the password is not shown: \(journal.path)")
        try fill(journal, postgres)
        let sqlite = try JournalFixture()
        try fill(try sqlite.journal(), sqlite)

        let session = try postgres.journal()
        let state = try session.state()
        #expect(state.lastSeq == 3)
        #expect(state.phase == .pollOpen)
        #expect(state.marks["legal"]?.mark == .done)
        #expect(state.votes["ops"] != nil)
        let fromPostgres = try session.verify(), fromSQLite = try sqlite.journal().verify()
        #expect(fromPostgres.passed && fromSQLite.passed)
        #expect(fromPostgres.head == fromSQLite.head, "the same canonical bytes, so the same chain")
        #expect(fromPostgres.entries == 3)
    }

    @Test("an append in one session wakes another that waits: NOTIFY, not its 10 s timer (Benchmarks/vantages.py measures how fast)")
    func appendsWakeSessions() async throws {
        let postgres = try fixture()
        let writer = try postgres.journal(), reader = try postgres.journal()
        #expect(reader.notifiesAppends)
        await reader.waitForAppend(timeout: .milliseconds(1))
        let waiting = Task { () -> ContinuousClock.Instant in
            await reader.waitForAppend(timeout: .seconds(10))
            return .now
        }
        try await Task.sleep(for: .milliseconds(300))
        let appended = ContinuousClock.now
        _ = try writer.append(.pollOpened, by: postgres.actor("olga", "Olga"), checks: [:]).get()
        let latency = appended.duration(to: await waiting.value)
        print("PostgresJournalTests: an append woke a waiting session after \(latency)")
        // Milliseconds when the machine is quiet; a whole test run in parallel on two cores can
        // make it hundreds. A timer would be the whole 10 s.
        #expect(latency < .seconds(3), "\(latency)")
        #expect(try reader.changes(since: 0)?.lastSeq == 1)
    }

    @Test("copied from SQLite into PostgreSQL and back, byte for byte: the same head; never into a journal that holds entries")
    func copyBetweenEngines() throws {
        let sqlite = try JournalFixture()
        let original = try sqlite.journal()
        try fill(original, sqlite)
        let postgres = try LaunchJournal(postgresql: server.resolved(url), plan: sqlite.plan)
        let (entries, head) = try original.copy(to: postgres)
        #expect(entries == 3)
        #expect(head == (try original.verify().head))
        #expect(try postgres.state().marks["legal"]?.note == "signed \u{1B}[2J by counsel")

        let back = try TestDirectory("journal-back")
        let returned = try LaunchJournal(directory: back.path, plan: sqlite.plan)
        #expect(try postgres.copy(to: returned).head == head)
        let refusal = #expect(throws: LaunchJournal.CopyError.self) { try original.copy(to: postgres) }
        #expect("\(refusal.map { "\($0)" } ?? "")".hasSuffix("already holds 3 entries of this launch; copy into an empty journal"))
        #expect(try postgres.verify().entries == 3, "nothing was added")
    }

    @Test("a journal that does not verify is not copied")
    func brokenNotCopied() throws {
        let sqlite = try JournalFixture()
        try fill(try sqlite.journal(), sqlite)
        try sqlite.tamper("UPDATE events SET record = replace(record, 'ready', 'not ready') WHERE seq = 3")
        let postgres = try LaunchJournal(postgresql: server.resolved(url), plan: sqlite.plan)
        let refusal = #expect(throws: LaunchJournal.CopyError.self) { try sqlite.journal().copy(to: postgres) }
        #expect("\(refusal.map { "\($0)" } ?? "")" == "not copied: the journal does not verify: entry 3: entry 3 does not match its hash: edited after it was written")
        #expect(try postgres.state().lastSeq == 0)
    }

    /// A launch in this test's database holding `fill`'s three entries, and its schema's name.
    func filledLaunch() throws -> (JournalFixture, String) {
        let postgres = try fixture()
        try fill(try postgres.journal(), postgres)
        let schema = try server.sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'flightdeck_%'", database: database)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (postgres, schema)
    }

    @Test("UPDATE, DELETE and TRUNCATE are refused by the database itself")
    func appendOnly() throws {
        let (postgres, schema) = try filledLaunch()
        for statement in ["UPDATE \(schema).events SET record = 'x' WHERE seq = 2", "DELETE FROM \(schema).heads WHERE seq = 3",
                          "TRUNCATE \(schema).events"] {
            #expect(throws: CommandFailure.self, "\(statement)") { try server.sql(statement, database: database) }
        }
        let refusal = #expect(throws: CommandFailure.self) { try server.sql("DELETE FROM \(schema).events", database: database) }
        #expect(refusal?.stderr.contains("the launch journal is append-only") == true, "\(refusal?.stderr ?? "")")
        #expect(try postgres.journal().verify().entries == 3)
    }

    @Test("a row edited behind the triggers' back is found by audit verify at that entry")
    func tamperedRow() throws {
        let (postgres, schema) = try filledLaunch()
        try server.sql("ALTER TABLE \(schema).events DISABLE TRIGGER USER; "
                       + "UPDATE \(schema).events SET record = replace(record, 'ready', 'not ready') WHERE seq = 3", database: database)
        let verification = try postgres.journal().verify()
        #expect(!verification.passed)
        #expect(verification.firstBad == 3)
        #expect(verification.problem == "entry 3 does not match its hash: edited after it was written")
    }

    @Test("two launches in one database keep apart; each session sees its own")
    func twoLaunchesOneDatabase() throws {
        let first = try fixture(), second = try fixture(name: "Other launch")
        try fill(try first.journal(), first)
        _ = try second.journal().append(.pollOpened, by: second.actor("dana", "Dana"), checks: [:]).get()
        #expect(try first.journal().state().lastSeq == 3)
        #expect(try second.journal().state().lastSeq == 1)
    }

    @Test("a wrong password: a clear error that does not show it, and nothing recorded")
    func wrongPassword() throws {
        let postgres = try JournalFixture(launch: ", state: \"\(url)\"", environment: ["PGPASSWORD_TEST": "not-the-password"])
        let error = #expect(throws: LaunchJournal.JournalError.self) { try postgres.journal().state() }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("password authentication failed for user \"flightdeck\""), "\(message)")
        #expect(!message.contains("not-the-password"))
    }

    @Test("a plan with the password written in the URL is refused: it comes only from the environment")
    func literalPasswordRefused() throws {
        let literal = server.resolved(url)
        #expect(throws: (any Error).self) { try JournalFixture(launch: ", state: \"\(literal)\"") }
    }

    @Test("the server ends every session: the next append reconnects, and nothing is lost")
    func reconnects() throws {
        let postgres = try fixture()
        let journal = try postgres.journal()
        try fill(journal, postgres)
        try server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()")
        _ = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "after"), by: postgres.actor("olga", "Olga"), checks: [:]).get()
        #expect(try journal.state().lastSeq == 4)
        #expect(try journal.verify().passed)
    }

    @Test("PostgreSQL stopped mid-launch: an append is refused, saying so, nothing half-written; started again, the same session and one opened meanwhile go on")
    func outage() async throws {
        let own = try await offThePool { try PostgresServer() }
        defer { own.stop() }
        let fixture = try JournalFixture(launch: ", state: \"\(try own.newDatabase())\"", environment: ["PGPASSWORD_TEST": own.password])
        let journal = try fixture.journal()
        try fill(journal, fixture)
        try await offThePool { own.stop() }
        let refused = #expect(throws: LaunchJournal.JournalError.self) {
            try journal.append(.checklistMarked(item: "legal", mark: .failed, note: "during"), by: fixture.actor("olga", "Olga"), checks: [:])
        }
        #expect("\(refused.map { "\($0)" } ?? "")".hasPrefix("nothing was recorded in postgresql://flightdeck@127.0.0.1:\(own.port)/"))
        #expect(throws: LaunchJournal.JournalError.self) { try journal.changes(since: 3) }
        // A session that starts while the server is down waits for it rather than failing.
        let late = try fixture.journal()
        #expect(throws: LaunchJournal.JournalError.self) { try late.state() }

        try await offThePool { try own.start() }
        _ = try journal.append(.checklistMarked(item: "legal", mark: .done, note: "after"), by: fixture.actor("olga", "Olga"), checks: [:]).get()
        let state = try journal.state()
        #expect(state.lastSeq == 4)
        #expect(state.marks["legal"]?.note == "after")
        #expect(try late.state().lastSeq == 4)
        #expect(try fixture.journal().verify().passed)
    }

    @Test("four processes append 500 entries each at once through PostgreSQL, one killed mid-run: every acknowledged entry is there once")
    func concurrentWriters() async throws {
        let postgres = try fixture()
        _ = try postgres.journal()
        let writers = environment.merging(["FLIGHTDECK_STATE": server.resolved(url), "PATH": "/usr/bin:/bin"]) { $1 }
        try await offThePool { try LaunchJournalTests.appendConcurrently(postgres, environment: writers) }
    }

    @Test("four processes on two hosts (network namespaces) append 500 entries each through PostgreSQL over their links, one killed mid-run: every acknowledged entry is there once, the chain verifies",
          .enabled(if: NetworkNamespace.unavailable == nil, "\(NetworkNamespace.unavailable ?? "")"), .timeLimit(.minutes(3)))
    func writersOnTwoHosts() async throws {
        let hosts = try (0..<2).map { try NetworkNamespace(index: 40 + $0) }
        let own = try await offThePool { try PostgresServer(listeningAlso: hosts.map(\.hostAddress)) }
        defer { own.stop() }
        let url = try own.newDatabase()
        let fixture = try JournalFixture(launch: ", state: \"\(url)\"", environment: ["PGPASSWORD_TEST": own.password])
        _ = try fixture.journal()
        let binary = builtExecutable("flightdeck-journal-writer")
        try await offThePool {
            try LaunchJournalTests.appendConcurrently(fixture, environment: nil) { name, arguments in
                // w1 and w2 on one host, w3 and w4 on the other, each reaching the database over its
                // own link (a namespace has no other way to it: a writer that could not would fail).
                let host = hosts[name == "w1" || name == "w2" ? 0 : 1]
                let state = own.resolved(url).replacingOccurrences(of: ":\(own.password)@127.0.0.1:", with: "@\(host.hostAddress):")
                let command = host.command(binary, arguments)
                return (command.executable, command.arguments,
                        ["PATH": "/usr/bin:/bin", "PGPASSWORD_TEST": own.password, "PGPASSWORD": own.password, "FLIGHTDECK_STATE": state])
            }
        }
    }

    @Test("a database reached through its socket directory, as libpq's URLs allow (no host, ?host=/dir): the same journal")
    func socketDirectory() throws {
        let database = String(url.split(separator: "/").last ?? "")
        let local = "postgresql://\(PostgresServer.user):${PGPASSWORD_TEST}@/\(database)?host=\(server.directory.path)&port=\(server.port)"
        let overSocket = try JournalFixture(launch: ", state: \"\(local)\"", environment: environment)
        try fill(try overSocket.journal(), overSocket)
        #expect(try overSocket.journal().path == "postgresql://\(PostgresServer.user)@/\(database)?host=\(server.directory.path)&port=\(server.port)")
        #expect(try fixture().journal().state().lastSeq == 3, "the same journal over TCP")
    }

    @Test("a database host that accepts and never answers: given up on after 10 s, saying so", .timeLimit(.minutes(1)))
    func silentHost() async throws {
        let silent = try HostileServer(.neverAnswer)
        defer { silent.stop() }
        let postgres = try JournalFixture(launch: ", state: \"postgresql://flightdeck:${PGPASSWORD_TEST}@127.0.0.1:\(silent.port)/launch\"",
                                          environment: environment)
        let started = Date()
        let error = try await offThePool { () -> String in
            do { _ = try postgres.journal().state() } catch { return "\(error)" }
            return "opened"
        }
        #expect(error.contains("timeout expired"), "\(error)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    /// The database's name, the URL's last part.
    var database: String { String(url.split(separator: "/").last ?? "") }
}
