import FlightdeckCore
import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// A plan in a fresh directory, its journal beside it.
struct JournalFixture {
    let directory: TestDirectory
    let planPath: String
    let plan: LaunchPlan

    /// - Parameters:
    ///   - launch: more keys of the `launch` section (`witness: ...`).
    ///   - approvers: the approvers' lines, replacing Olga's and Dana's.
    ///   - environment: where the plan's `${NAME}`s are looked up.
    init(extra: String = "", launch: String = "", approvers: String? = nil, poll: String = "",
         environment: [String: String] = [:], name: String = "Journal test") throws {
        directory = try TestDirectory("journal")
        planPath = directory.file("launch.yaml")
        let people = approvers ?? """
              - { name: Olga, role: ops, users: [olga] }
              - { name: Dana, role: director, users: [dana] }
            """
        try directory.write("""
            launch: { name: \(name), zone: example.test, t0: 2033-05-18T03:33:20Z, timezone: UTC\(launch) }
            checklist:
              - { id: legal, phase: Go-live, title: Legal signed off, owner: ops }
            roles: [{ id: ops }, { id: director }]
            approvers:
            \(people)
            poll: { order: [ops], director: director\(poll) }
            \(extra)
            """, to: "launch.yaml")
        plan = try PlanLoader.load(path: planPath, environment: environment).get()
    }

    var stateDirectory: String { StateDirectory(planPath: planPath, plan: plan).path }

    func journal() throws -> LaunchJournal {
        try LaunchJournal.open(StateDirectory(planPath: planPath, plan: plan), plan: plan, environment: [:])
    }

    func actor(_ login: String, _ approver: String) -> LaunchActor {
        LaunchActor(login: login, effectiveUser: login, pid: 42, host: "bastion", approver: approver)
    }

    /// Writes `count` checklist notes by Olga.
    func fill(_ count: Int) throws {
        let journal = try journal()
        for index in 1...count {
            _ = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "note \(index)"), by: actor("olga", "Olga"), checks: [:]).get()
        }
    }

    /// Opens the database behind Flightdeck's back, without the append-only triggers, as
    /// someone covering their tracks would.
    func tamper(_ sql: String) throws {
        let queue = try DatabaseQueue(path: "\(stateDirectory)/\(LaunchJournal.fileName)")
        try queue.write { db in
            for trigger in ["events_append_only_update", "events_append_only_delete", "heads_append_only_update", "heads_append_only_delete"] {
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
            }
            try db.execute(sql: sql)
        }
    }
}

@Suite("Launch journal")
struct LaunchJournalTests {
    @Test("entries are chained, folded back into the same state, and verify")
    func roundTrip() throws {
        let fixture = try JournalFixture()
        let journal = try fixture.journal()
        _ = try journal.append(.checklistMarked(item: "legal", mark: .done, note: "signed \u{1B}[2J by counsel"), by: fixture.actor("olga", "Olga"), checks: [:]).get()
        _ = try journal.append(.pollOpened, by: fixture.actor("olga", "Olga"), checks: [:]).get()
        let refused = try journal.append(.launched, by: fixture.actor("olga", "Olga"), checks: [:])
        #expect(throws: LaunchRefusal("only the director launches")) { try refused.get() }

        let reopened = try fixture.journal().state()
        #expect(reopened.lastSeq == 2)
        #expect(reopened.phase == .pollOpen)
        #expect(reopened.marks["legal"]?.note == "signed \u{1B}[2J by counsel")
        #expect(reopened.history.map(\.actor.approver) == ["Olga", "Olga"])
        let verification = try journal.verify()
        #expect(verification.passed)
        #expect(verification.entries == 2)
        #expect(verification.head.count == 64)
    }

    @Test("many processes opening a new state directory at once all open it, the timeline beside it too (none is told the file is locked)")
    func openedAtOnce() throws {
        for _ in 0..<10 {
            let fixture = try JournalFixture()
            // Threads of their own, let go together: the test pool runs only as many tasks as there are cores.
            let failures = Mutex<[String]>([])
            let start = DispatchSemaphore(value: 0), done = DispatchGroup()
            for _ in 0..<24 {
                done.enter()
                Thread {
                    defer { done.leave() }
                    start.wait()
                    do {
                        let journal = try fixture.journal()
                        _ = try journal.state()
                        _ = try TimelineStore(journal: journal).read(after: 0)
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }.start()
            }
            for _ in 0..<24 { start.signal() }
            done.wait()
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        }
    }

    @Test("a journal belongs to one launch: another plan pointed at its directory is refused")
    func oneLaunch() throws {
        let fixture = try JournalFixture()
        try fixture.fill(1)
        var other = fixture.plan
        other.name = "Someone else's launch"
        #expect(throws: LaunchJournal.JournalError.self) { try LaunchJournal(directory: fixture.stateDirectory, plan: other) }
        do {
            _ = try LaunchJournal(directory: fixture.stateDirectory, plan: other)
        } catch {
            #expect("\(error)".hasSuffix("is the journal of the launch Journal test (example.test), not this plan's; give this plan a state_dir of its own"))
        }
        #expect(try fixture.journal().state().lastSeq == 1, "the plan it belongs to still opens it")
    }

    @Test("the database itself refuses updates and deletes")
    func appendOnly() throws {
        let fixture = try JournalFixture()
        try fixture.fill(2)
        let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "DELETE FROM events WHERE seq = 1") } }
        #expect(throws: DatabaseError.self) { try queue.write { try $0.execute(sql: "UPDATE events SET record = 'x' WHERE seq = 1") } }
    }

    @Test("tampering fails verification at the right entry", arguments: [
        ("edited", "UPDATE events SET record = replace(record, 'note 4', 'note X') WHERE seq = 4", 4, "edited after it was written"),
        ("deleted", "DELETE FROM events WHERE seq = 3", 3, "missing: deleted"),
        ("reordered", """
            UPDATE events SET seq = -1 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = 6; UPDATE events SET seq = 6 WHERE seq = -1
            """, 5, "reordered"),
        ("truncated", "DELETE FROM events WHERE seq > 7", 8, "truncated"),
        ("inserted", "INSERT INTO events SELECT 11, record, hash, signature FROM events WHERE seq = 10", 11, "holds entry 10"),
    ])
    func tamper(kind: String, sql: String, firstBad: Int, problem: String) throws {
        let fixture = try JournalFixture()
        try fixture.fill(10)
        #expect(try fixture.journal().verify().passed)
        try fixture.tamper(sql)
        let verification = try fixture.journal().verify()
        #expect(verification.firstBad == firstBad, "\(kind): \(verification)")
        #expect(verification.problem?.contains(problem) == true, "\(kind): \(verification.problem ?? "")")
    }

    @Test("an entry re-chained with fresh hashes still fails: the hashes kept apart disagree")
    func rechained() throws {
        let fixture = try JournalFixture()
        try fixture.fill(3)
        // Replace entry 3 by one with the same link and a matching hash of its own.
        let queue = try DatabaseQueue(path: "\(fixture.stateDirectory)/\(LaunchJournal.fileName)")
        let record = try queue.read { try String.fetchOne($0, sql: "SELECT record FROM events WHERE seq = 3")! }
        let forged = record.replacingOccurrences(of: "note 3", with: "forged")
        try fixture.tamper("UPDATE events SET record = '\(forged)', hash = '\(Crypto.sha256Hex(Array(forged.utf8)))' WHERE seq = 3")
        let verification = try fixture.journal().verify()
        #expect(verification.firstBad == 3)
        #expect(verification.problem == "entry 3 is not the entry first written there: replaced")
    }

    @Test("an unreadable entry breaks the chain there, by name, not a crash or a silent gap")
    func unreadable() throws {
        let fixture = try JournalFixture()
        try fixture.fill(2)
        try fixture.tamper("UPDATE events SET record = '{\"not\":\"an entry\"}' WHERE seq = 2")
        let state = try fixture.journal().state()
        #expect(state.lastSeq == 1)
        #expect(state.journalBreak == ChainBreak(seq: 2, problem: "entry 2 does not match its hash: edited after it was written"))
        #expect(try fixture.journal().verify().firstBad == 2)
    }

    @Test("PIN sign-off: every try is journalled before it is checked; after five wrong, even the right one is refused until the lockout ends")
    func pinLockout() throws {
        let fixture = try JournalFixture()
        let journal = try fixture.journal()
        var dana = fixture.plan.approvers.first { $0.name == "Dana" }!
        dana.pinHash = try PINHash.parse(Crypto.hashPIN("2468")).get()
        let terminal = fixture.actor("warroom", "Dana").acting(as: nil, pinUsed: false)
        #expect(try journal.sign(as: dana, pin: "2468", actor: terminal).get() == terminal.acting(as: "Dana", pinUsed: true))
        for attempt in 1...5 {
            #expect(throws: LaunchRefusal("wrong PIN for Dana (\(attempt) of 5 tries before a lockout)")) { try journal.sign(as: dana, pin: "1357", actor: terminal).get() }
        }
        let locked = try journal.sign(as: dana, pin: "2468", actor: terminal)
        #expect(throws: LaunchRefusal.self) { try locked.get() }
        if case .failure(let refusal) = locked { #expect(refusal.message.hasPrefix("Dana is locked out after 5 PIN tries until ")) }
        let events = try fixture.journal().state().history.map(\.event)
        #expect(events.filter { $0 == .pinTried(approver: "Dana") }.count == 6, "the right PIN's try, then five wrong")
        #expect(events.filter { $0 == .pinAccepted(approver: "Dana") }.count == 1)
    }

    @Test("due events are written one by one: a stale vote and a built-in hold falling due together both count")
    func dueTogether() throws {
        let fixture = try JournalFixture(extra: "holds: [{ name: Final hold, at: T-5m, duration: 5m }]\nhttp: [{ id: api, url: \"http://127.0.0.1:9/\" }]")
        let journal = try fixture.journal()
        let t0 = fixture.plan.t0
        let green: [String: CheckStatus] = ["api": .pass]
        let olga = fixture.actor("olga", "Olga"), dana = fixture.actor("dana", "Dana")
        let early = t0.addingTimeInterval(-3600)
        for (event, actor) in [(LaunchEvent.checklistMarked(item: "legal", mark: .done, note: nil), olga), (.pollOpened, olga),
                               (.voteCast(role: "ops", choice: .go, reason: nil, evidence: VoteEvidence(items: [], digest: "")), olga),
                               (.voteCast(role: "director", choice: .go, reason: nil, evidence: VoteEvidence(items: [], digest: "")), dana),
                               (.countdownStarted, dana)] {
            _ = try journal.append(event, by: actor, at: early, checks: green).get()
        }
        let written = try journal.appendDue(by: olga, at: t0.addingTimeInterval(-200), checks: ["api": .fail])
        #expect(written.map(\.event.name) == ["vote-stale", "vote-stale"])
        let state = try journal.state()
        #expect(state.phase == .hold)
        if case .staleVote("ops")? = state.hold?.kind {} else { Issue.record("hold: \(String(describing: state.hold))") }
        #expect(state.votes.values.allSatisfy { $0.staleBecause == ["api"] })
        #expect(try journal.appendDue(by: olga, at: t0.addingTimeInterval(-100), checks: ["api": .fail]).isEmpty, "nothing more is due while on hold")
    }

    @Test("a change made through one journal shows through another within one poll")
    func changesAcrossConnections() throws {
        let fixture = try JournalFixture()
        let watcher = try fixture.journal()
        let writer = try fixture.journal()
        let seen = try watcher.state().lastSeq
        #expect(try watcher.changes(since: seen) == nil)
        _ = try writer.append(.pollOpened, by: fixture.actor("dana", "Dana"), checks: [:]).get()
        #expect(try watcher.changes(since: seen)?.phase == .pollOpen)
    }

    @Test("four processes append 500 entries each at once, one killed mid-run: every acknowledged entry is there once, in one chain")
    func concurrentWritersWithAKill() async throws {
        let fixture = try JournalFixture()
        _ = try fixture.journal()
        try await offThePool { try Self.appendConcurrently(fixture, environment: nil) }
    }

    /// Four `flightdeck-journal-writer`s append 500 entries each at once, and the third is
    /// killed once it has written one: every entry any of them was told is written must be
    /// in the journal once, where it was told, and the chain must verify.
    /// - Parameter host: where each writer runs, by its name: the command line that runs it
    ///   and its environment (by default this host, with `environment`).
    static func appendConcurrently(_ fixture: JournalFixture, environment: [String: String]?,
                                   host: ((String, [String]) -> (executable: String, arguments: [String], environment: [String: String]?))? = nil) throws {
        let binary = builtExecutable("flightdeck-journal-writer")
        var writers: [(name: String, process: ChildUnderTest, output: String)] = []
        for name in ["w1", "w2", "w3", "w4"] {
            let output = fixture.directory.file("\(name).out")
            let arguments = [fixture.planPath, name, "500", "Olga", "legal"]
            let command = host?(name, arguments) ?? (executable: binary, arguments: arguments, environment: environment)
            let process = try ChildUnderTest(command.executable, command.arguments, stdout: .file(output),
                                             stderr: .file(fixture.directory.file("\(name).err")), environment: command.environment)
            writers.append((name, process, output))
        }
        // Kill w3 once it has written something, while it and the others are still writing.
        let victim = writers[2]
        while !((try? String(contentsOfFile: victim.output, encoding: .utf8)) ?? "").contains("\n"), victim.process.wait(seconds: 0) == nil {
            usleep(1_000)
        }
        victim.process.signal(SIGKILL)
        var acknowledged: [String: Int] = [:]
        var endings: [String: ChildUnderTest.Ending] = [:]
        for writer in writers {
            endings[writer.name] = writer.process.wait()
            let data = (try? String(contentsOfFile: writer.output, encoding: .utf8)) ?? ""
            for line in data.split(separator: "\n") {
                let fields = line.split(separator: " ")
                guard fields.count == 3, fields[0] == "ack", let seq = Int(fields[1]) else { continue }
                #expect(acknowledged.updateValue(seq, forKey: String(fields[2])) == nil, "acknowledged twice: \(line)")
            }
        }
        #expect(endings[victim.name] == .signalled(SIGKILL))
        for writer in writers where writer.name != victim.name {
            #expect(endings[writer.name] == .exited(0), "\(writer.name): \((try? String(contentsOfFile: fixture.directory.file("\(writer.name).err"), encoding: .utf8)) ?? "")")
        }
        let victimAcks = acknowledged.keys.filter { $0.hasPrefix("w3-") }.count
        #expect(victimAcks >= 1 && victimAcks < 500, "w3 was killed mid-run after \(victimAcks) entries")

        let state = try fixture.journal().state()
        var written: [String: Int] = [:]
        for record in state.history {
            guard case .checklistMarked(_, _, let note?) = record.event else { continue }
            #expect(written.updateValue(record.seq, forKey: note) == nil, "\(note) is in the journal twice")
        }
        for (token, seq) in acknowledged { #expect(written[token] == seq, "\(token) acknowledged as \(seq), journal has \(String(describing: written[token]))") }
        #expect(state.history.map(\.seq) == Array(1...state.history.count))
        #expect(written.count >= 1500 + victimAcks)
        let verification = try fixture.journal().verify()
        #expect(verification.passed, "\(verification)")
        #expect(verification.entries == state.history.count)
    }
}
