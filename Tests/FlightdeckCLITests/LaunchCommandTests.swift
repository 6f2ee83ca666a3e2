import FlightdeckCore
import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("Command line: the go/no-go poll, report and audit")
struct LaunchCommandTests {
    /// A plan with one blocker check that cannot pass (nothing listens on port 9), a
    /// checklist item, Ada voting by this machine's login and Bo, the director, by PIN.
    private func plan(in directory: TestDirectory) async throws -> String {
        let hash = try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "2468\n2468\n").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try directory.write("""
            launch: { name: CLI launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { timeout: 2s }
            http:
              - { id: dead, url: "http://127.0.0.1:9/health" }
            checklist:
              - { id: legal, phase: Launch, title: Terms published, owner: ops }
            roles: [{ id: ops }, { id: director }]
            approvers:
              - { name: Ada, role: ops, users: [\(LaunchActor.current().login)] }
              - { name: Bo, role: director, pin_hash: "\(hash)" }
            poll: { order: [ops], director: director }
            """, to: "plan.yaml")
        return directory.file("plan.yaml")
    }

    @Test("a whole poll from the command line: refusals exit 1 with the reason, a red blocker needs a two-person override")
    func wholePoll() async throws {
        let directory = try TestDirectory("cli-poll")
        let plan = try await plan(in: directory)
        func run(_ arguments: [String], pin: String? = nil) async throws -> ProcessResult {
            try await FlightdeckProcess.run(arguments, stdin: pin.map { "\($0)\n" })
        }

        #expect(try await run(["vote", plan, "--role", "ops", "go"]).stderr == "flightdeck: refused: the poll is not open yet\n")
        let opened = try await run(["poll", "open", plan])
        #expect(opened.status == 0)
        #expect(opened.stdout == "recorded #1: opened the go/no-go poll — launch is POLL OPEN\n")
        #expect(try await run(["vote", plan, "--role", "ops", "no-go"]).stderr == "flightdeck: refused: a NO-GO needs a reason\n")
        let redGo = try await run(["vote", plan, "--role", "ops", "go"])
        #expect(redGo.status == 0, "a role's GO stands while blockers are red; only the final GO waits")
        #expect(redGo.stdout.hasSuffix("— launch is POLL OPEN; blockers not green now: dead red, checklist:legal not known; the final GO waits for them\n"),
                "\(redGo.stdout)")
        #expect(try await run(["checklist", plan, "legal", "done", "--note", "published"]).status == 0)

        let blocked = try await run(["vote", plan, "--role", "director", "go", "--approver", "Bo"], pin: "2468")
        #expect(blocked.status == 1)
        #expect(blocked.stderr == "flightdeck: refused: blockers stand: dead red\n")
        let wrong = try await run(["vote", plan, "--role", "director", "go", "--approver", "Bo"], pin: "1111")
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "flightdeck: wrong PIN for Bo (1 of 5 tries before a lockout)\n")

        // Entries 4 to 6 are Bo's PIN tries: the right one (accepted), then the wrong one.
        #expect(try await run(["override", plan, "--waive", "dead", "--reason", "legacy health URL, replaced by api-v2"]).stdout.hasPrefix("recorded #7: override requested"))
        let selfApproved = try await run(["override", plan, "--approve", "7"])
        #expect(selfApproved.stderr == "flightdeck: refused: an override needs a second, different approver; Ada asked for it\n")
        #expect(try await run(["override", plan, "--approve", "7", "--approver", "Bo"], pin: "2468").status == 0)
        let finalGo = try await run(["vote", plan, "--role", "director", "go", "--approver", "Bo"], pin: "2468")
        #expect(finalGo.status == 0, "\(finalGo.stderr)")
        #expect(finalGo.stdout.contains("director GO") && finalGo.stdout.hasSuffix("launch is GO\n"))

        let journal = try await run(["audit", "show", plan])
        #expect(journal.stdout.split(separator: "\n").count == 13)
        #expect(journal.stdout.contains("(Bo, PIN)") && journal.stdout.contains("PIN tried for Bo") && journal.stdout.contains("PIN accepted for Bo"))
        let verified = try await run(["audit", "verify", plan])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("OK: 13 entries, chain intact; head "))
        #expect(verified.stdout.hasSuffix("signed by key 0, by PIN 2, by login 4; no anchors given\n"))

        let markdown = try await run(["report", plan]).stdout
        #expect(markdown.contains("- State: **GO**"))
        #expect(markdown.contains("- Final GO: Bo at "))
        #expect(markdown.contains("**BREAK-GLASS** #7"))
        #expect(markdown.contains("waived dead; asked by Ada, approved by Bo; reason: legacy health URL, replaced by api-v2"))
        #expect(markdown.contains("| `dead` | http | blocker | FAIL |"))
        let json = try await JSONSerialization.jsonObject(with: Data(try run(["report", plan, "--format", "json"]).stdout.utf8)) as? [String: Any]
        #expect(json?["state"] as? String == "GO")
        #expect(json?["journal_verified"] as? Bool == true)
        let text = try await run(["report", plan, "--format", "json"]).stdout
        let keys = text.matches(of: /"([A-Za-z_0-9]+)" :/).map { String($0.1) }
        #expect(!keys.isEmpty && keys.allSatisfy { $0 == $0.lowercased() }, "snake_case keys, as check --json: \(keys.filter { $0 != $0.lowercased() })")
        let votes = json?["votes"] as? [[String: Any]] ?? []
        #expect(votes.map { $0["role"] as? String } == ["ops", "director"])
        let evidence = votes.last?["evidence"] as? [[String: Any]] ?? []
        #expect(evidence.map { "\($0["id"] ?? "")=\($0["status"] ?? "")" } == ["dead=fail", "checklist:legal=pass"])
    }

    @Test("audit verify names the entry someone edited behind Flightdeck's back, and exits 1")
    func tamperedJournal() async throws {
        let directory = try TestDirectory("cli-audit")
        let plan = try await plan(in: directory)
        for note in ["one", "two", "three"] {
            #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", note]).status == 0)
        }
        let database = directory.file("plan.flightdeck/\(LaunchJournal.fileName)")
        let edit = try await runProcess("/usr/bin/env", ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("DROP TRIGGER events_append_only_update")
            db.execute("UPDATE events SET record = replace(record, 'two', 'TWO') WHERE seq = 2")
            db.commit()
            """, database])
        #expect(edit.status == 0, "\(edit.stderr)")
        let verified = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(verified.status == 1)
        #expect(verified.stdout.hasPrefix("FAILED at entry 2: entry 2 does not match its hash: edited after it was written\nentries 1 to 1 check out"))
        #expect(try await FlightdeckProcess.run(["report", plan]).stdout.contains("FAILED VERIFICATION"))
    }

    @Test("text people typed into the journal is inert when audit show and report print it")
    func hostileReason() async throws {
        let directory = try TestDirectory("cli-hostile")
        let plan = try await plan(in: directory)
        let hold = try await FlightdeckProcess.run(["hold", plan, "--reason", "smoke \u{1B}]0;pwned\u{7}\u{1B}[2J in the DC"])
        #expect(hold.status == 0)
        #expect(!hold.stdout.contains("\u{1B}"))
        let shown = try await FlightdeckProcess.run(["audit", "show", plan]).stdout
        #expect(shown.contains("hold: smoke \u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2J in the DC"))
        #expect(!shown.contains("\u{1B}") && !shown.contains("\u{7}"))
        let report = try await FlightdeckProcess.run(["report", plan]).stdout
        #expect(report.contains("smoke \u{FFFD}]0;pwned"))
        #expect(!report.contains("\u{1B}"))
    }

    @Test("hash-pin: digits twice, never echoed; a salted scrypt hash the plan accepts")
    func hashPIN() async throws {
        let made = try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "482913\n482913\n")
        #expect(made.status == 0)
        let hash = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!made.stdout.contains("482913") && !made.stderr.contains("482913"))
        let parsed = try PINHash.parse(hash).get()
        #expect(Crypto.pinMatches("482913", parsed))
        #expect(!Crypto.pinMatches("482914", parsed))
        let again = try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "482913\n482913\n").stdout
        #expect(again.trimmingCharacters(in: .whitespacesAndNewlines) != hash, "every hash has its own salt")
        #expect(try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "4829\n4828\n").stderr == "flightdeck: the two PINs differ\n")
        #expect(try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "12ab\n").stderr == "flightdeck: a PIN is 4 to 8 digits\n")
    }

    @Test("check: a critical Alertmanager alert on a blocker makes NO-GO though every check passes, and is in the JSON")
    func criticalAlarmOnBlocker() async throws {
        let nginx = try NginxServer.shared()
        let alertmanager = try AlertmanagerServer()
        defer { alertmanager.stop() }
        let directory = try TestDirectory("cli-alarm")
        try directory.write("""
            launch: { name: CLI alarms, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http: [{ id: api-health, url: "\(nginx.url("/health"))" }]
            alarms:
              sources: [{ id: am, kind: alertmanager, url: "\(alertmanager.url)" }]
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        #expect(try await FlightdeckProcess.run(["check", plan]).status == 0, "green before the alert")
        #expect(try alertmanager.post([["labels": ["alertname": "DatabaseDown", "severity": "critical", "check": "api-health"],
                                        "annotations": ["summary": "primary unreachable"]]]) == 200)
        var result = try await FlightdeckProcess.run(["check", "--json", plan])
        for _ in 0..<50 where result.status == 0 {
            usleep(100_000)
            result = try await FlightdeckProcess.run(["check", "--json", plan])
        }
        #expect(result.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "no-go")
        #expect(document["reason"] as? String == "critical alarm on a blocker: DatabaseDown: primary unreachable")
        #expect((document["counts"] as? [String: Int])?["pass"] == 1)
        let alarms = try #require(document["alarms"] as? [[String: Any]])
        #expect(alarms.map { $0["check"] as? String } == ["api-health"])
        #expect(alarms.first?["source"] as? String == "am")
        let table = try await FlightdeckProcess.run(["check", plan]).stdout
        #expect(table.contains("ALARM CRITICAL DatabaseDown: primary unreachable"))
    }
}

@Suite("Command line: command checks in check --json, and rerun")
struct CommandCheckCLITests {
    @Test("check runs a TAP suite once and shares it: kind command, the counts observed; rerun is journalled and runs it again")
    func checkAndRerun() async throws {
        let directory = try TestDirectory("cli-commands")
        try directory.write("""
            launch: { name: Suite launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            commands:
              - id: smoke
                name: Smoke suite
                run: [sh, -c, "echo run >> runs.log; echo 1..3; echo ok 1 - home; echo ok 2 - login; echo not ok 3 - pay"]
                tap: stdout
                pass_rate: 60%
                interval: 1h
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [\(LaunchActor.current().login)] }]
            poll: { order: [ops], director: ops }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        // The state directory is the journal's: made by any launch command (rerun, below).
        let first = try await FlightdeckProcess.run(["check", plan, "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let check = try #require((document["checks"] as? [[String: Any]])?.first)
        #expect(check["kind"] as? String == "command")
        #expect(check["name"] as? String == "Smoke suite")
        #expect(check["status"] as? String == "pass")
        #expect((check["detail"] as? String)?.hasPrefix("2 of 3 tests pass (66.7%, gate 60%) in ") == true)
        let observed = try #require(check["observed"] as? [String: Any])
        #expect(observed["passed"] as? Int == 2 && observed["failed"] as? Int == 1 && observed["tests"] as? Int == 3)
        #expect(observed["failed_tests"] as? [String] == ["pay"])
        #expect(observed["exit_code"] as? Int == 0)
        #expect(first.status == 0)

        let asked = try await FlightdeckProcess.run(["rerun", plan, "smoke"])
        #expect(asked.status == 0, "\(asked.stderr)")
        #expect(asked.stdout.hasPrefix("recorded #1: asked for smoke to run again now"))
        // Now the state directory exists: check stores its run, and the next check reuses it.
        #expect(try await FlightdeckProcess.run(["check", plan]).status == 0)
        #expect(try await FlightdeckProcess.run(["check", plan]).status == 0)
        #expect(try String(contentsOfFile: directory.file("runs.log"), encoding: .utf8) == "run\nrun\n")
        #expect(try await FlightdeckProcess.run(["rerun", plan, "nope"]).stderr == "flightdeck: refused: the plan has no command check nope\n")
    }
}

@Suite("Command line: one launch on PostgreSQL from two hosts",
       .enabled(if: PostgresServer.unavailable == nil, "\(PostgresServer.unavailable ?? "")"))
struct SharedStateCommandTests {
    /// A plan whose journal is in the database at `state` (in SQLite beside it when nil): one
    /// checklist item, Ada by login.
    static func plan(in directory: TestDirectory, state: String?) throws -> String {
        try directory.write("""
            launch: { name: Shared launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC\(state.map { ", state: \"\($0)\"" } ?? "") }
            checklist:
              - { id: legal, phase: Launch, title: Terms published, owner: ops }
            roles: [{ id: ops }]
            approvers:
              - { name: Ada, role: ops, users: [\(LaunchActor.current().login)] }
            poll: { order: [ops], director: ops }
            """, to: "plan.yaml")
        return directory.file("plan.yaml")
    }

    @Test("what one host records, the other shows and verifies; the password stays in the environment")
    func twoHosts() async throws {
        let server = try PostgresServer.shared()
        let url = try server.newDatabase(passwordVariable: "LAUNCH_DB_PASSWORD")
        // Two copies of the plan in directories of their own, as on two bastions: nothing on disk is shared.
        let directories = try ["bastion-a", "bastion-b"].map { try TestDirectory("cli-\($0)") }
        let plans = try directories.map { try Self.plan(in: $0, state: url) }
        let environment = ["LAUNCH_DB_PASSWORD": server.password]
        let marked = try await FlightdeckProcess.run(["checklist", plans[0], "legal", "done", "--note", "published"], environment: environment)
        #expect(marked.status == 0, "\(marked.stderr)")
        let shown = try await FlightdeckProcess.run(["audit", "show", plans[1]], environment: environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("legal") && shown.stdout.contains("published"), "\(shown.stdout)")
        let verified = try await FlightdeckProcess.run(["audit", "verify", plans[1]], environment: environment)
        #expect(verified.stdout.hasPrefix("OK: 1 entries, chain intact; head "), "\(verified.stdout)\(verified.stderr)")
        for output in [marked, shown, verified] { #expect(!(output.stdout + output.stderr).contains(server.password)) }

        let unset = try await FlightdeckProcess.run(["audit", "show", plans[1]])
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("LAUNCH_DB_PASSWORD is not set"), "\(unset.stderr)")
    }

    @Test("state copy moves a launch's journal from SQLite into PostgreSQL; the plan pointed there verifies to the same head")
    func copyIntoPostgreSQL() async throws {
        let server = try PostgresServer.shared()
        let target = server.resolved(try server.newDatabase()).replacingOccurrences(of: ":\(server.password)@", with: "@")
        let directory = try TestDirectory("cli-copy")
        let plan = try Self.plan(in: directory, state: nil)
        #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "done", "--note", "published"]).status == 0)
        let before = try await FlightdeckProcess.run(["audit", "verify", plan]).stdout

        let withPassword = try await FlightdeckProcess.run(["state", "copy", plan, "--to", server.resolved(try server.newDatabase())])
        #expect(withPassword.status == 2)
        #expect(withPassword.stderr.contains("holds a password, which ps would show"), "\(withPassword.stderr)")
        #expect(!withPassword.stderr.contains(server.password))

        let copied = try await FlightdeckProcess.run(["state", "copy", plan, "--to", target], environment: ["PGPASSWORD": server.password])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.hasPrefix("copied 1 entries from \(directory.path)/plan.flightdeck/launch.sqlite to \(target); both verify, head "),
                "\(copied.stdout)")
        let after = try await FlightdeckProcess.run(["audit", "verify", plan], environment: ["PGPASSWORD": server.password, "FLIGHTDECK_STATE": target])
        #expect(after.stdout == before)
        #expect(after.stdout.hasPrefix("OK: 1 entries"))
    }

    @Test("PostgreSQL stopped while a vote is being written: the vote says nothing was recorded, and nothing was; started again, the journal verifies and the vote can be cast",
          .timeLimit(.minutes(2)))
    func outageMidVote() async throws {
        let own = try await offThePool { try PostgresServer() }
        defer { own.stop() }
        let directory = try TestDirectory("cli-mid-vote")
        let url = try await offThePool { try own.newDatabase(passwordVariable: "LAUNCH_DB_PASSWORD") }
        try directory.write("""
            launch: { name: Mid-vote launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC, state: "\(url)" }
            roles: [{ id: ops }, { id: director }]
            approvers:
              - { name: Ada, role: ops, users: [\(LaunchActor.current().login)] }
              - { name: Bo, role: director, users: [bo-is-elsewhere] }
            poll: { order: [ops], director: director }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        let environment = ["LAUNCH_DB_PASSWORD": own.password]
        #expect(try await FlightdeckProcess.run(["poll", "open", plan], environment: environment).status == 0)
        // Every insert into the journal now takes 3 s: long enough to stop the server under it.
        let database = String(url.split(separator: "/").last ?? "")
        try await offThePool {
            let schema = try own.sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'flightdeck_example_test_%'", database: database)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try own.sql("""
                CREATE FUNCTION \(schema).slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$;
                CREATE TRIGGER slow BEFORE INSERT ON \(schema).events FOR EACH ROW EXECUTE FUNCTION \(schema).slow();
                """, database: database)
        }
        let vote = try DemoProcess(arguments: ["vote", plan, "--role", "ops", "go"], directory: directory, output: "vote.out", environment: environment)
        let deadline = Date().addingTimeInterval(20)
        // The vote is inside its transaction once the server shows its insert waiting (this very
        // query names the table too, so its own backend is left out).
        while try await offThePool({ try own.sql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%INSERT INTO%events%' AND state = 'active' AND pid <> pg_backend_pid()") })
            .trimmingCharacters(in: .whitespacesAndNewlines) == "0", Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(Date() < deadline, "the vote's insert never reached the server")
        try await offThePool { own.stop() }
        let ended = vote.process
        #expect(try await offThePool { ended.wait() } == .exited(2))
        #expect(vote.lines.contains { $0.hasPrefix("flightdeck: nothing was recorded in postgresql://flightdeck@127.0.0.1:\(own.port)/") }, "\(vote.lines)")

        try await offThePool { try own.start() }
        let shown = try await FlightdeckProcess.run(["audit", "show", plan], environment: environment)
        #expect(!shown.stdout.contains("ops go"), "nothing of the vote: \(shown.stdout)")
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan], environment: environment).stdout.hasPrefix("OK: 1 entries"))
        try await offThePool {
            let schema = try own.sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'flightdeck_example_test_%'", database: database)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try own.sql("DROP TRIGGER slow ON \(schema).events", database: database)
        }
        let again = try await FlightdeckProcess.run(["vote", plan, "--role", "ops", "go"], environment: environment)
        #expect(again.stdout.hasPrefix("recorded #2: ops GO"), "\(again.stdout)\(again.stderr)")
    }

    @Test("watch across an outage of PostgreSQL: it says the state is unreachable, then that it is back, and goes on without a restart",
          .timeLimit(.minutes(2)))
    func watchAcrossOutage() async throws {
        let own = try await offThePool { try PostgresServer() }
        defer { own.stop() }
        let directory = try TestDirectory("cli-outage")
        let plan = try Self.plan(in: directory, state: try own.newDatabase(passwordVariable: "LAUNCH_DB_PASSWORD"))
        let environment = ["LAUNCH_DB_PASSWORD": own.password]
        let watch = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "watch.out", environment: environment)
        defer { watch.stop() }
        await watch.wait(for: "the first verdict", seconds: 20) { $0.contains { $0.contains("verdict") } }
        try await offThePool { own.stop() }
        await watch.wait(for: "the outage", seconds: 20) { $0.contains { $0.contains("launch state unavailable: ") && $0.contains("cannot connect") } }
        try await offThePool { try own.start() }
        await watch.wait(for: "the state back", seconds: 20) { $0.contains { $0.hasSuffix("launch state reachable again") } }
        let marked = try await FlightdeckProcess.run(["checklist", plan, "legal", "done"], environment: environment)
        #expect(marked.status == 0, "\(marked.stderr)")
        await watch.wait(for: "the entry made after it", seconds: 10) { $0.contains { $0.contains("journal #1 ") } }
        #expect(!watch.lines.joined().contains(own.password))
    }
}
