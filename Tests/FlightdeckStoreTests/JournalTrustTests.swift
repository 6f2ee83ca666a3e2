import FlightdeckCore
@testable import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import GRDB
import Testing

/// The journal against someone who can write the state directory: what they can do, what
/// shows, and what the anchors and signatures add.
@Suite("Journal trust")
struct JournalTrustTests {
    /// Rewrites the journal from entry `from` on, in both tables, as a careful forger would:
    /// every hash recomputed, every link re-made, so the file is self-consistent.
    static func rewrite(_ fixture: JournalFixture, from: Int, change: (Int, String) -> String?) throws {
        let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
        let rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT seq, record, hash FROM events ORDER BY seq") }
        var previous = from == 1 ? LaunchJournal.genesis : rows[from - 2]["hash"] as String
        var statements = ["DELETE FROM events WHERE seq >= \(from)", "DELETE FROM heads WHERE seq >= \(from)"]
        var seq = from
        for row in rows.dropFirst(from - 1) {
            guard let text = change(row["seq"], row["record"]) else { continue }
            var stored = try LaunchJournal.decodeStored(text)
            stored.seq = seq
            stored.prev = previous
            let forged = String(decoding: try LaunchJournal.encoder.encode(stored), as: UTF8.self)
            let hash = Crypto.sha256Hex(Array(forged.utf8))
            let quoted = forged.replacingOccurrences(of: "'", with: "''")
            statements += ["INSERT INTO events VALUES (\(seq), '\(quoted)', '\(hash)', NULL)", "INSERT INTO heads VALUES (\(seq), '\(hash)')"]
            previous = hash
            seq += 1
        }
        try fixture.tamper(statements.joined(separator: ";\n"))
    }

    static let witnessed = ", witness: witness/launch.witness"

    @Test("each rewrite a writer of the state directory can make verifies without anchors, and fails against the witness", arguments: [
        "rewrite from 5", "edit the last", "delete and renumber", "swap and re-chain", "truncate", "empty",
    ])
    func rewritesAgainstTheWitness(attack: String) throws {
        let fixture = try JournalFixture(launch: Self.witnessed)
        try FileManager.default.createDirectory(atPath: fixture.directory.file("witness"), withIntermediateDirectories: true)
        try fixture.fill(8)
        let journal = try fixture.journal()
        #expect(try journal.verify().anchorsHeld == 8, "every head this process wrote went to the witness")
        switch attack {
        case "rewrite from 5": try Self.rewrite(fixture, from: 5) { $1.replacingOccurrences(of: "note", with: "n0te") }
        case "edit the last": try Self.rewrite(fixture, from: 8) { $1.replacingOccurrences(of: "note 8", with: "forged") }
        case "delete and renumber": try Self.rewrite(fixture, from: 3) { seq, text in seq == 3 ? nil : text }
        case "swap and re-chain":
            let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
            let six = try queue.read { try String.fetchOne($0, sql: "SELECT record FROM events WHERE seq = 6")! }
            let seven = try queue.read { try String.fetchOne($0, sql: "SELECT record FROM events WHERE seq = 7")! }
            try Self.rewrite(fixture, from: 6) { seq, text in seq == 6 ? seven : seq == 7 ? six : text }
        case "truncate": try fixture.tamper("DELETE FROM events WHERE seq > 4; DELETE FROM heads WHERE seq > 4")
        default: try fixture.tamper("DELETE FROM events; DELETE FROM heads")
        }
        // What the file alone says: self-consistent. Only the anchor outside it tells.
        let plain = try LaunchJournal(directory: fixture.stateDirectory, plan: fixture.plan)
        #expect(try plain.verify().passed, "\(attack): the rewrite is self-consistent, as the README says")
        let verification = try fixture.journal().verify()
        #expect(!verification.passed, "\(attack)")
        #expect(verification.problem?.contains("is not in the journal: history was rewritten or cut off behind it") == true,
                "\(attack): \(verification.problem ?? "passed")")
    }

    @Test("--anchor HASH from a notification catches a rewrite behind it; a head taken after the rewrite does not")
    func anchorByHash() throws {
        let fixture = try JournalFixture()
        try fixture.fill(6)
        let head = try fixture.journal().verify().head
        try Self.rewrite(fixture, from: 2) { $1.replacingOccurrences(of: "note", with: "n0te") }
        let anchored = try fixture.journal().verify(anchors: [.init(seq: nil, hash: head)])
        #expect(anchored.firstBad == 7)
        #expect(anchored.problem?.hasPrefix("a anchored head \(head.prefix(16))") == true || anchored.problem?.contains(String(head.prefix(16))) == true)
        let fresh = try fixture.journal().verify().head
        #expect(try fixture.journal().verify(anchors: [.init(seq: 6, hash: fresh)]).passed)
    }

    @Test("a middle entry rewritten with its own hash and heads row breaks the link to the next")
    func middleEntryRewritten() throws {
        let fixture = try JournalFixture()
        try fixture.fill(6)
        let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
        let record = try queue.read { try String.fetchOne($0, sql: "SELECT record FROM events WHERE seq = 3")! }
        let forged = record.replacingOccurrences(of: "note 3", with: "forged")
        let hash = Crypto.sha256Hex(Array(forged.utf8))
        try fixture.tamper("UPDATE events SET record = '\(forged)', hash = '\(hash)' WHERE seq = 3; UPDATE heads SET hash = '\(hash)' WHERE seq = 3")
        let verification = try fixture.journal().verify()
        #expect(verification.firstBad == 4)
        #expect(verification.problem == "entry 4 does not follow entry 3: the chain is broken")
    }

    @Test("a process that finds the chain broken records nothing, says why, and raises a critical alarm")
    func appendsOntoABrokenChainAreRefused() throws {
        let fixture = try JournalFixture()
        try fixture.fill(9)
        try fixture.tamper("UPDATE events SET record = replace(record, 'note 5', 'note X') WHERE seq = 5")
        let journal = try fixture.journal()
        let refused = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "after-edit"), by: fixture.actor("olga", "Olga"), checks: [:])
        guard case .failure(let refusal) = refused else { Issue.record("recorded onto a broken chain: \(refused)"); return }
        #expect(refusal.message.hasPrefix("the launch journal is broken at entry 5: entry 5 does not match its hash"))
        #expect(try journal.verify().entries == 4, "nothing was added")
        var alarms = AlarmBoard(plan: fixture.plan)
        alarms.update(clock: .seconds(1), now: Date(), launch: try journal.state())
        #expect(alarms.standing.map(\.severity) == [.critical])
        #expect(alarms.standing.first?.reason.hasPrefix("the launch journal is broken at entry 5") == true)
    }

    @Test("a journal written before key signatures and PIN tries opens, folds and verifies: the column is added, a wrong PIN still counts")
    func journalFromTheVersionBefore() throws {
        let fixture = try JournalFixture()
        try FileManager.default.createDirectory(atPath: fixture.stateDirectory, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
        let record = LaunchRecord(seq: 1, at: Date(), actor: fixture.actor("warroom", "Dana").acting(as: nil, pinUsed: false),
                                  event: .pinRejected(approver: "Dana"))
        let text = try LaunchJournal.encode(record, previous: LaunchJournal.genesis)
        #expect(text.contains(#""pinRejected":{"approver":"Dana"}"#), "the bytes the version before wrote")
        let hash = Crypto.sha256Hex(Array(text.utf8))
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE events (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE TABLE heads (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL);
                CREATE TABLE launch (name TEXT NOT NULL, zone TEXT NOT NULL, created TEXT NOT NULL);
                INSERT INTO launch VALUES ('Journal test', 'example.test', '2026-12-01T00:00:00.000Z');
                """)
            try db.execute(sql: "INSERT INTO events VALUES (1, ?, ?)", arguments: [text, hash])
            try db.execute(sql: "INSERT INTO heads VALUES (1, ?)", arguments: [hash])
        }
        let journal = try fixture.journal()
        let state = try journal.state()
        #expect(state.journalBreak == nil)
        #expect(state.pinFailures["Dana"]?.count == 1)
        #expect(try journal.verify().passed)
        _ = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "after the upgrade"), by: fixture.actor("olga", "Olga"), checks: [:]).get()
        #expect(try fixture.journal().verify().entries == 2)
    }

    @Test("a process already open notices an edit behind what it read on its next read")
    func runningProcessNoticesARewrite() throws {
        let fixture = try JournalFixture()
        try fixture.fill(4)
        let journal = try fixture.journal()
        #expect(try journal.state().journalBreak == nil)
        try Self.rewrite(fixture, from: 2) { $1.replacingOccurrences(of: "note", with: "n0te") }
        #expect(try journal.state().journalBreak?.seq == 4)
    }

    @Test("bytes that are not text in any column are named by verify; reading goes on without a crash", arguments: [
        "UPDATE events SET record = CAST(X'FF00FE' AS TEXT) WHERE seq = 3",
        "UPDATE events SET hash = X'FF00' WHERE seq = 3",
        "UPDATE events SET record = X'7B2261223A317D' WHERE seq = 3",
        "UPDATE heads SET hash = X'FF00' WHERE seq = 3",
        "UPDATE launch SET name = X'FF00'",
    ])
    func badBytes(sql: String) throws {
        let fixture = try JournalFixture()
        try fixture.fill(4)
        try fixture.tamper(sql)
        if sql.contains("launch") {
            #expect(throws: LaunchJournal.JournalError.self) { try fixture.journal() }
            return
        }
        let journal = try fixture.journal()
        let state = try journal.state()
        #expect(state.lastSeq == 2)
        #expect(state.journalBreak?.seq == 3)
        let verification = try journal.verify()
        #expect(verification.firstBad == 3, "\(verification)")
    }

    @Test("thirty tries at once, the right PIN among them: five are checked, the rest are locked out alike")
    func concurrentPINTries() async throws {
        let fixture = try JournalFixture()
        var dana = fixture.plan.approvers.first { $0.name == "Dana" }!
        dana.pinHash = try PINHash.parse(Crypto.hashPIN("2468")).get()
        let approver = dana
        let terminal = fixture.actor("warroom", "Dana").acting(as: nil, pinUsed: false)
        let answers = await withTaskGroup(of: (String, String).self) { group in
            for index in 0..<30 {
                let pin = index == 29 ? "2468" : "1357"
                group.addTask {
                    let journal = try! fixture.journal()
                    switch try? journal.sign(as: approver, pin: pin, actor: terminal) {
                    case .success?: return (pin, "signed")
                    case .failure(let refusal)?: return (pin, refusal.message)
                    case nil: return (pin, "error")
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let checked = answers.filter { !$0.1.contains("locked out") }
        let tries = try fixture.journal().state().history.filter { $0.event == .pinTried(approver: "Dana") }
        if answers.contains(where: { $0 == ("2468", "signed") }) {
            // The right PIN came among the first five: it reset the count, so at most five more were tried after it.
            #expect(tries.count <= 11)
        } else {
            #expect(checked.count == 5, "\(answers)")
            #expect(tries.count == 5)
            let right = answers.first { $0.0 == "2468" }!.1
            let wrong = answers.filter { $0.0 == "1357" && $0.1.contains("locked out") }.map(\.1)
            #expect(wrong.contains(right), "a locked-out approver is answered the same way whatever the PIN")
        }
        #expect(!answers.contains { $0.1 == "error" })
    }

    @Test("the same vote twice is refused; a changed vote supersedes the earlier one, in the fold and the report")
    func revote() throws {
        let fixture = try JournalFixture(extra: "http: [{ id: api, url: \"http://127.0.0.1:9/\" }]")
        let journal = try fixture.journal()
        let olga = fixture.actor("olga", "Olga")
        let green: [String: CheckStatus] = ["api": .pass]
        _ = try journal.append(.pollOpened, by: fixture.actor("dana", "Dana"), checks: green).get()
        let vote = LaunchEvent.voteCast(role: "ops", choice: .go, reason: nil, evidence: VoteEvidence(items: [], digest: ""))
        let first = try journal.append(vote, by: olga, checks: green).get()
        #expect(throws: LaunchRefusal("Olga already voted GO for ops (#\(first.seq)); a vote stands until it goes stale or is changed")) {
            try journal.append(vote, by: olga, checks: green).get()
        }
        let changed = try journal.append(.voteCast(role: "ops", choice: .noGo, reason: "db lag", evidence: VoteEvidence(items: [], digest: "")),
                                         by: olga, checks: green).get()
        let state = try journal.state()
        #expect(state.votes["ops"]?.seq == changed.seq)
        #expect(state.votes["ops"]?.supersedes == first.seq)
        let report = LaunchReport(state: state, checks: [], checkedAt: Date(), journalHead: "", journalProblem: nil)
        #expect(report.votes.map(\.supersedes) == [nil, first.seq])
        #expect(report.markdown().contains("NO-GO (supersedes #\(first.seq))"))
    }
}

/// Key signatures with a real ssh-agent and OpenSSH's ssh-keygen as the reference.
@Suite("Journal key signatures")
struct JournalSignatureTests {
    struct SignedFixture {
        let agent: SSHAgent
        let journal: JournalFixture
        let danaKey: String
        init() throws {
            agent = try SSHAgent()
            danaKey = try agent.makeKey("dana")
            journal = try JournalFixture(extra: "http: [{ id: api, url: \"http://127.0.0.1:9/\" }]", approvers: """
                  - { name: Olga, role: ops, users: [olga] }
                  - { name: Dana, role: director, users: [dana], ssh_keys: ["\(danaKey)"] }
                """, poll: ", require_signatures: [final_go, overrides]")
        }
        var dana: Approver { journal.plan.approvers.first { $0.name == "Dana" }! }
        var signer: SSHAgentSigner? { SSHAgentSigner.find(for: dana, environment: agent.environment) }

        /// The poll open and ops' GO, ready for the final GO.
        func readyForFinalGo() throws -> LaunchJournal {
            let journal = try journal.journal()
            let green: [String: CheckStatus] = ["api": .pass]
            _ = try journal.append(.checklistMarked(item: "legal", mark: .done, note: nil), by: self.journal.actor("olga", "Olga"), checks: green).get()
            _ = try journal.append(.pollOpened, by: self.journal.actor("olga", "Olga"), checks: green).get()
            _ = try journal.append(.voteCast(role: "ops", choice: .go, reason: nil, evidence: VoteEvidence(items: [], digest: "")),
                                   by: self.journal.actor("olga", "Olga"), checks: green).get()
            return journal
        }
    }

    static let finalGo = LaunchEvent.voteCast(role: "director", choice: .go, reason: nil, evidence: VoteEvidence(items: [], digest: ""))

    @Test("the final GO is refused without a key signature and recorded with one; ssh-keygen -Y verify agrees")
    func finalGoNeedsAKey() throws {
        let fixture = try SignedFixture()
        let journal = try fixture.readyForFinalGo()
        let dana = fixture.journal.actor("dana", "Dana")
        let unsigned = try journal.append(Self.finalGo, by: dana, checks: ["api": .pass])
        guard case .failure(let refusal) = unsigned else { Issue.record("an unsigned final GO was recorded"); return }
        #expect(refusal.message.hasPrefix("the plan requires vote to be signed with Dana's SSH key"))
        let signer = try #require(fixture.signer, "the agent holds Dana's key")
        let record = try journal.append(Self.finalGo, by: dana, checks: ["api": .pass], signer: signer).get()
        let signature = try #require(record.signature)
        #expect(signature.key == fixture.danaKey.split(separator: " ").prefix(2).joined(separator: " "))
        // The reference tool, on the entry's bytes as stored.
        let queue = try DatabaseQueue(path: "\(fixture.journal.stateDirectory)/\(LaunchJournal.fileName)")
        let message = try queue.read { try String.fetchOne($0, sql: "SELECT record FROM events WHERE seq = ?", arguments: [record.seq])! }
        try fixture.agent.directory.write(message, to: "entry")
        try fixture.agent.directory.write(signature.signature, to: "entry.sig")
        try fixture.agent.directory.write("dana \(fixture.danaKey)\n", to: "allowed_signers")
        let verified = try runProcess("/usr/bin/ssh-keygen", ["-Y", "verify", "-f", fixture.agent.directory.file("allowed_signers"), "-I", "dana",
                                                              "-n", "flightdeck", "-s", fixture.agent.directory.file("entry.sig")],
                                      stdin: message)
        #expect(verified.status == 0, "ssh-keygen: \(verified.stderr)")
        let verification = try fixture.journal.journal().verify()
        #expect(verification.passed)
        #expect(verification.signedByKey == 1)
        #expect(verification.loginAttested == 3)
    }

    @Test("a PIN-attested final GO appended by hand is named by verify and stops the fold", arguments: ["unsigned", "other key", "other namespace"])
    func forgedFinalGo(forgery: String) throws {
        let fixture = try SignedFixture()
        let journal = try fixture.readyForFinalGo()
        _ = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "before"), by: fixture.journal.actor("olga", "Olga"), checks: [:]).get()
        let last = try journal.state().lastSeq
        let mallory = try fixture.agent.makeKey("mallory")
        let queue = try DatabaseQueue(path: "\(fixture.journal.stateDirectory)/\(LaunchJournal.fileName)")
        let previous = try queue.read { try String.fetchOne($0, sql: "SELECT hash FROM events WHERE seq = ?", arguments: [last])! }
        let record = LaunchRecord(seq: last + 1, at: Date(), actor: fixture.journal.actor("warroom", "Dana").acting(as: "Dana", pinUsed: true),
                                  event: Self.finalGo)
        let message = try LaunchJournal.encode(record, previous: previous)
        var signature: KeySignature?
        switch forgery {
        case "other key":
            signature = KeySignature(key: fixture.danaKey, signature: try fixture.agent.signWithFile("mallory", message))
            _ = mallory
        case "other namespace":
            let input = fixture.agent.directory.file("git-message")
            try Data(message.utf8).write(to: URL(fileURLWithPath: input))
            try runCommand("/usr/bin/ssh-keygen", ["-q", "-Y", "sign", "-n", "git", "-f", fixture.agent.directory.file("dana"), input])
            signature = KeySignature(key: fixture.danaKey, signature: try String(contentsOfFile: input + ".sig", encoding: .utf8))
        default:
            break
        }
        let signatureColumn = try signature.map { "'" + String(decoding: try JSONEncoder().encode($0), as: UTF8.self) + "'" } ?? "NULL"
        let hash = Crypto.sha256Hex(Array(message.utf8))
        try fixture.journal.tamper("""
            INSERT INTO events VALUES (\(last + 1), '\(message.replacingOccurrences(of: "'", with: "''"))', '\(hash)', \(signatureColumn));
            INSERT INTO heads VALUES (\(last + 1), '\(hash)')
            """)
        let verification = try fixture.journal.journal().verify()
        #expect(verification.firstBad == last + 1)
        let expected = forgery == "unsigned" ? "is not signed, though the plan lets only a key signature record it" : "signature is not a good signature by a key of Dana's: forged"
        #expect(verification.problem?.contains(expected) == true, "\(verification.problem ?? "passed")")
        let state = try fixture.journal.journal().state()
        #expect(state.phase == .pollOpen, "the forged final GO is not folded")
        #expect(state.journalBreak?.seq == last + 1)
    }

    @Test("an agent without the approver's key signs nothing; the refusal says what to do")
    func agentWithoutTheKey() throws {
        let agent = try SSHAgent()
        _ = try agent.makeKey("someone-else")
        let fixture = try SignedFixture()
        #expect(SSHAgentSigner.find(for: fixture.dana, environment: agent.environment) == nil)
        var noAgent = ProcessInfo.processInfo.environment
        noAgent["SSH_AUTH_SOCK"] = nil
        #expect(SSHAgentSigner.find(for: fixture.dana, environment: noAgent) == nil)
    }
}

extension SSHAgentSigner: Equatable {
    public static func == (lhs: SSHAgentSigner, rhs: SSHAgentSigner) -> Bool { lhs.key == rhs.key }
}
