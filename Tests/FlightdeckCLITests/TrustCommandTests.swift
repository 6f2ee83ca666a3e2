import FlightdeckCore
import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import Testing

/// The command line against an insider with a login on the same host, and against bad
/// bytes in the plan and on disk.
@Suite("Command line: trust")
struct TrustCommandTests {
    /// Ada votes by this machine's login; Bo, the director, by PIN 2468.
    static func plan(in directory: TestDirectory, launch: String = "", name: String = "Trust launch", approverBo: String = "Bo",
                     loginRole: String = "ops") async throws -> String {
        let hash = try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "2468\n2468\n").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try directory.write("""
            launch: { name: "\(name)", zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC\(launch) }
            checklist:
              - { id: legal, phase: Launch, title: Terms published, owner: ops }
            roles: [{ id: ops }, { id: director }]
            approvers:
              - { name: Ada, role: \(loginRole), users: [\(LaunchActor.current().login)] }
              - { name: "\(approverBo)", role: \(loginRole == "ops" ? "director" : "ops"), pin_hash: "\(hash)" }
            poll: { order: [ops], director: director }
            """, to: "plan.yaml")
        return directory.file("plan.yaml")
    }

    static func sqlite(_ database: String, _ sql: String) async throws {
        let edit = try await runProcess("/usr/bin/env", ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for trigger in ["events_append_only_update", "events_append_only_delete", "heads_append_only_update", "heads_append_only_delete"]:
                db.execute("DROP TRIGGER IF EXISTS " + trigger)
            db.executescript(sys.argv[2])
            db.commit()
            """, database, sql])
        guard edit.status == 0 else { throw CommandFailure(command: "sqlite3 \(sql)", status: edit.status, stderr: edit.stderr) }
    }

    @Test("after an edit, nothing more is recorded; the director restarts the journal, and the new one says where the old broke")
    func brokenChainRefusesAndRestarts() async throws {
        let directory = try TestDirectory("cli-broken")
        let plan = try await Self.plan(in: directory, loginRole: "director")
        for note in ["one", "two", "three", "four"] {
            #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", note]).status == 0)
        }
        let database = directory.file("plan.flightdeck/\(LaunchJournal.fileName)")
        try await Self.sqlite(database, "UPDATE events SET record = replace(record, 'two', 'TWO') WHERE seq = 2")
        let after = try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "after-edit"])
        #expect(after.status == 1)
        #expect(after.stdout.isEmpty, "nothing is said to be recorded: \(after.stdout)")
        #expect(after.stderr.hasPrefix("flightdeck: refused: the launch journal is broken at entry 2: entry 2 does not match its hash"))
        let shown = try await FlightdeckProcess.run(["audit", "show", plan])
        #expect(shown.status == 1)
        #expect(shown.stdout.hasSuffix("BROKEN: the launch journal is broken at entry 2: entry 2 does not match its hash: edited after it was written; run `flightdeck audit verify`\n"))
        let restarted = try await FlightdeckProcess.run(["audit", "restart", plan, "--reason", "entry 2 was edited; export kept"])
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(restarted.stdout.contains("journal restarted: the one before broke at entry 2"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: directory.file("plan.flightdeck")).filter { $0.contains(".broken-") }
        #expect(!aside.isEmpty, "the broken journal is kept")
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan]).status == 0)
        #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "again"]).status == 0)
        #expect(try await FlightdeckProcess.run(["audit", "restart", plan, "--reason", "again"]).stderr.hasPrefix("flightdeck: refused: the journal holds together"))
    }

    @Test("audit verify --anchor SEQ:HASH, as a notification quotes the head: held until history behind it is rewritten")
    func anchorFromTheCommandLine() async throws {
        let directory = try TestDirectory("cli-anchor")
        let plan = try await Self.plan(in: directory)
        for note in ["one", "two", "three"] {
            #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", note]).status == 0)
        }
        let verified = try await FlightdeckProcess.run(["audit", "verify", plan]).stdout
        let head = String(try #require(verified.split(separator: "\n").first?.split(separator: " ").last))
        let held = try await FlightdeckProcess.run(["audit", "verify", plan, "--anchor", "3:\(head)"])
        #expect(held.status == 0)
        #expect(held.stdout.hasSuffix("1 anchor held\n"), "\(held.stdout)")
        try await Self.sqlite(directory.file("plan.flightdeck/\(LaunchJournal.fileName)"), "DELETE FROM events WHERE seq = 3; DELETE FROM heads WHERE seq = 3")
        let cut = try await FlightdeckProcess.run(["audit", "verify", plan, "--anchor", "3:\(head)"])
        #expect(cut.status == 1)
        #expect(cut.stdout.hasPrefix("FAILED at entry 3: entry 3's anchored head \(head.prefix(16))… is not in the journal"), "\(cut.stdout)")
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan, "--anchor", "nonsense"]).status == 2)
    }

    @Test("a witness that cannot be written is warned about at once, and verify fails until it holds the heads")
    func unwritableWitness() async throws {
        let directory = try TestDirectory("cli-witness")
        let plan = try await Self.plan(in: directory, launch: ", witness: missing/heads.log")
        let recorded = try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "one"])
        #expect(recorded.status == 0)
        #expect(recorded.stderr.contains("warning: the witness \(directory.file("missing/heads.log")) cannot be opened"))
        let verified = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(verified.status == 1)
        #expect(verified.stdout.contains("the plan's witness \(directory.file("missing/heads.log")) cannot be read"))
    }

    @Test("bytes that are not UTF-8 in the database: every command names the bad entry and none crashes", arguments: [
        "UPDATE events SET record = CAST(X'FF00FE' AS TEXT) WHERE seq = 2",
        "UPDATE events SET hash = X'FF00' WHERE seq = 2",
    ])
    func badBytesOnDisk(sql: String) async throws {
        let directory = try TestDirectory("cli-bytes")
        let plan = try await Self.plan(in: directory)
        for note in ["one", "two", "three"] {
            #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", note]).status == 0)
        }
        try await Self.sqlite(directory.file("plan.flightdeck/\(LaunchJournal.fileName)"), sql)
        for arguments in [["audit", "verify", plan], ["audit", "show", plan], ["checklist", plan, "legal", "failed", "--note", "x"], ["report", plan]] {
            let result = try await FlightdeckProcess.run(arguments)
            #expect(result.status == 1, "\(arguments[0]): exit \(result.status) \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Illegal instruction"), "\(arguments[0])")
            #expect((result.stdout + result.stderr).contains("entry 2"), "\(arguments[0]) names the entry: \(result.stdout) \(result.stderr)")
        }
        let shown = try await FlightdeckProcess.run(["audit", "show", plan]).stdout
        #expect(shown.hasPrefix("#1 "), "the entries before the bad one still show")
    }

    @Test("a state directory others can write, or that belongs to someone else, is refused with the fix")
    func subvertibleDirectories() async throws {
        let directory = try TestDirectory("cli-modes")
        let plan = try await Self.plan(in: directory)
        #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "one"]).status == 0)
        let state = directory.file("plan.flightdeck")
        chmod(state, 0o777)
        let open = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(open.status == 2)
        #expect(open.stderr.contains("the state directory \(state) is writable by every user on this host (mode 777)"))
        #expect(open.stderr.contains("chmod o-w \(state)"))
        chmod(state, 0o2775)
        chmod("\(state)/\(LaunchJournal.fileName)", 0o666)
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan]).stderr.contains("the journal file \(state)/launch.sqlite is writable by every user"))
        chmod("\(state)/\(LaunchJournal.fileName)", 0o664)
        let nobody = getpwnam("nobody")!.pointee
        chown(state, nobody.pw_uid, nobody.pw_gid)
        let owned = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(owned.status == 2)
        #expect(owned.stderr.contains("the state directory \(state) belongs to nobody, who is neither you nor root"))
        chown(state, 0, 0)
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan]).status == 0)
    }

    @Test("symlinks: a dangling launch.sqlite is refused and nothing is made at its target; a dangling state directory is said in words")
    func symlinks() async throws {
        let directory = try TestDirectory("cli-links")
        let plan = try await Self.plan(in: directory)
        let state = directory.file("plan.flightdeck")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let target = directory.file("elsewhere.sqlite")
        try FileManager.default.createSymbolicLink(atPath: "\(state)/\(LaunchJournal.fileName)", withDestinationPath: target)
        let linked = try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "one"])
        #expect(linked.status == 2)
        #expect(linked.stderr.contains("\(state)/launch.sqlite is a symlink: the journal is never opened through one"))
        #expect(!FileManager.default.fileExists(atPath: target), "nothing was created at the symlink's target")
        try FileManager.default.removeItem(atPath: state)
        try FileManager.default.createSymbolicLink(atPath: state, withDestinationPath: directory.file("gone"))
        let dangling = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(dangling.status == 2)
        #expect(dangling.stderr.contains("the state directory \(state) is a symlink to \(directory.file("gone")), which does not exist"))
        #expect(!dangling.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test("a full disk: read-only commands work, writes say the disk is full, and a PIN try that cannot be recorded is not checked")
    func fullDisk() async throws {
        let directory = try TestDirectory("cli-full")
        let plan = try await Self.plan(in: directory)
        let state = directory.file("plan.flightdeck")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let mount = try await runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=4m,mode=2775", "tmpfs", state])
        try #require(mount.status == 0, "the test mounts a small tmpfs (needs root): \(mount.stderr)")
        defer { _ = try? runProcess("/bin/umount", ["-l", state]) }
        for note in ["one", "two"] {
            #expect(try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", note]).status == 0)
        }
        _ = try await runProcess("/bin/dd", ["if=/dev/zero", "of=\(state)/filler", "bs=64k"])
        let verified = try await FlightdeckProcess.run(["audit", "verify", plan])
        #expect(verified.status == 0, "read-only on a full disk: \(verified.stderr)")
        #expect(verified.stdout.hasPrefix("OK: 2 entries"))
        #expect(try await FlightdeckProcess.run(["audit", "show", plan]).stdout.split(separator: "\n").count == 2)
        let write = try await FlightdeckProcess.run(["checklist", plan, "legal", "failed", "--note", "three"])
        #expect(write.status == 2)
        #expect(write.stderr.contains("the disk holding \(state) is full"), "\(write.stderr)")
        // Resuming is refused by the rules (there is no hold), which needs no disk: were the
        // right PIN checked, its answer would be that refusal, and so tell it apart.
        let wrong = try await FlightdeckProcess.run(["resume", plan, "--reason", "x", "--approver", "Bo"], stdin: "1111\n")
        let right = try await FlightdeckProcess.run(["resume", plan, "--reason", "x", "--approver", "Bo"], stdin: "2468\n")
        #expect(wrong.stderr == right.stderr, "the answer does not depend on the PIN")
        #expect(wrong.stderr.contains("is full"))
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan]).stdout.hasPrefix("OK: 2 entries"), "no PIN try was recorded, or checked")
    }

    /// Control characters, C1 codes and bidi overrides: ESC, an OSC title, BEL, CR, BS,
    /// 8-bit CSI (U+009B) and RLO (U+202E).
    static let hostile = "Go\u{1B}[31mLive\u{1B}]0;pwned\u{07}\r\u{08}\u{9B}2J\u{202E}evil"

    static func unsafeScalars(_ text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x0A: false
            case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }.map { String(format: "U+%04X", $0.value) }
    }

    @Test("every command prints plan text, arguments and errors inert: no control, C1 or bidi character reaches the terminal")
    func oneSanitiserForEveryOutput() async throws {
        let directory = try TestDirectory("cli-inert")
        // The same characters as YAML escapes them (YAML refuses raw C0 and C1 controls).
        let plan = try await Self.plan(in: directory, name: #"Go\e[31mLive\e]0;pwned\a\r\b\x9b2J\u202Eevil"#, approverBo: #"Bo\e[31m"#)
        let badZone = directory.file("zone.yaml")
        try directory.write("launch: { name: x, zone: example.test, t0: 2030-01-01T00:00Z, timezone: \"Mars/\\e[31mRed\" }", to: "zone.yaml")
        let runs: [[String]] = [
            ["plan", "validate", plan], ["plan", "validate", badZone], ["check", plan], ["check", plan, "--json"],
            ["report", plan], ["report", plan, "--format", "json"], ["hold", plan, "--reason", Self.hostile],
            ["audit", "show", plan], ["vote", plan, "--role", "director", "go", "--approver", Self.hostile],
            ["vote", plan, "--role", Self.hostile, "go"], ["checklist", plan, Self.hostile, "done"],
            ["override", plan, "--waive", Self.hostile, "--reason", Self.hostile], [Self.hostile],
        ]
        for arguments in runs {
            let result = try await FlightdeckProcess.run(arguments, stdin: "1111\n")
            let unsafe = Self.unsafeScalars(result.stdout + result.stderr)
            #expect(unsafe.isEmpty, "\(arguments.prefix(2)) printed \(unsafe)")
        }
        let json = try await FlightdeckProcess.run(["report", plan, "--format", "json"]).stdout
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((decoded?["plan"] as? String)?.contains("\u{202E}") == true, "the JSON keeps the data, escaped: \\u202e")
        #expect(json.contains("\\u202e") && json.contains("\\u009b"))
        let validated = try await FlightdeckProcess.run(["plan", "validate", badZone]).stderr
        #expect(validated.contains("`Mars/\u{FFFD}[31mRed` is not a time zone"))
    }
}
