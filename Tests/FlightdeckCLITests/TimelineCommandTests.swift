import FlightdeckCore
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("The timeline: written by whoever saw it, read by `timeline`, the report and a cockpit opened later", .serialized)
struct TimelineCommandTests {
    @Test("a watch records each change it sees, once; `timeline` lists them with the journal's entries, as lines and JSON, filtered; the report has its section; a cockpit opened afterwards shows the day and since when a check is red")
    func recordedAndRead() async throws {
        let nginx = try NginxServer.shared()
        let directory = try TestDirectory("timeline")
        try directory.write("""
            launch: { name: Timeline rehearsal, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 1s, timeout: 2s, failure_threshold: 1 }
            http:
              - { id: api-health, url: "\(nginx.url("/health"))", expect: { json: { status: ok } } }
              - { id: dead, url: "http://127.0.0.1:9/health" }
            alarms:
              rules: { red_polls: 1 }
            checklist:
              - { id: legal, phase: Launch, title: Terms published, owner: ops }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [\(LaunchActor.current().login)] }]
            poll: { order: [ops], director: ops }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        func run(_ arguments: [String]) async throws -> ProcessResult {
            try await FlightdeckProcess.run(arguments)
        }
        func timeline(_ options: [String] = []) async throws -> [String] {
            let result = try await run(["timeline", plan] + options)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }

        let watchStarted = Date()
        let watch = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "watch.out")
        await watch.wait(for: "the red alarm", seconds: 30) { lines in
            lines.contains { $0.contains("alarm FIRING critical rule/red/dead") } && lines.contains { $0.contains("check api-health PASS") }
        }
        #expect(try await run(["checklist", plan, "legal", "done", "--note", "published"]).status == 0)
        // The watch writes what it saw at most every 250 ms, and once more as it stops.
        watch.stop()

        let lines = try await timeline()
        let text = lines.joined(separator: "\n")
        #expect(lines.first?.hasPrefix("Timeline of Timeline rehearsal (example.test): ") == true, "\(text)")
        #expect(lines.contains { $0.hasPrefix("── ") && $0.hasSuffix(" (UTC)") }, "\(text)")
        #expect(lines.filter { $0.contains("check     FAIL      blocker  dead  ") && $0.contains("connection refused by 127.0.0.1:9") }.count == 1, "\(text)")
        #expect(lines.contains { $0.contains("check     pass      blocker  api-health  200 in ") }, "\(text)")
        #expect(lines.filter { $0.contains("alarm     FIRING    critical rule/red/dead  dead red") }.count == 1, "\(text)")
        #expect(lines.contains { $0.contains("journal   #1        checklist  legal marked done: published (Ada)") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("  dead (blocker) red ") && $0.contains("in 1 spell") && $0.contains("still red") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("  rule/red/dead (critical) fired ") && $0.hasSuffix("still firing; never acknowledged") }, "\(text)")
        let times = lines.compactMap { line -> String? in
            let time = line.prefix(8)
            return time.count == 8 && time.dropFirst(2).first == ":" ? String(time) : nil
        }
        #expect(times == times.sorted() && !times.isEmpty, "in time order: \(times)")

        // A second session that sees the same writes nothing the first one wrote.
        let again = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "again.out")
        await again.wait(for: "the second watch's red", seconds: 30) { $0.contains { $0.contains("alarm FIRING critical rule/red/dead") } }
        try await Task.sleep(for: .milliseconds(500))
        again.stop()
        let twice = try await timeline()
        #expect(twice.filter { $0.contains("check     FAIL      blocker  dead  ") }.count == 1, "\(twice.joined(separator: "\n"))")
        #expect(twice.filter { $0.contains("alarm     FIRING    critical rule/red/dead") }.count == 1)

        // Filters: kind, about, since.
        let journalOnly = try await timeline(["--kind", "journal"])
        #expect(journalOnly.filter { $0.first?.isNumber == true }.count == 1)
        #expect(try await timeline(["--about", "dead"]).filter { $0.first?.isNumber == true }.allSatisfy { $0.contains("dead") })
        #expect(try await timeline(["--since", "1s"]).filter { $0.first?.isNumber == true }.isEmpty, "nothing in the last second")
        let iso = LaunchRecord.timestamp(watchStarted.addingTimeInterval(-1))
        #expect(try await timeline(["--since", iso]).count == lines.count, "everything since before the watch began")
        let garbage = try await run(["timeline", plan, "--since", "yesterday-ish"])
        #expect(garbage.status == 2 && garbage.stderr.contains("is not a time"), "\(garbage.stderr)")

        // JSON: the same entries, with the red time and the alarms.
        let json = try await run(["timeline", plan, "--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let entries = try #require(document["entries"] as? [[String: Any]])
        #expect(entries.contains { $0["kind"] as? String == "check" && $0["subject"] as? String == "dead" && $0["status"] as? String == "fail" })
        #expect(entries.contains { $0["kind"] as? String == "journal" && $0["seq"] as? Int == 1 && $0["status"] as? String == "checklist" })
        let red = try #require(document["red"] as? [[String: Any]])
        #expect(red.first?["id"] as? String == "dead" && red.first?["still_red"] as? Bool == true)
        #expect((red.first?["first_red"] as? String).flatMap(LaunchRecord.parseTimestamp) != nil, "times as the journal writes them")
        let alarms = try #require(document["alarms"] as? [[String: Any]])
        #expect(alarms.map { $0["id"] as? String } == ["rule/red/dead"])

        // The report has the section, in Markdown and JSON.
        let report = try await run(["report", plan])
        #expect(report.stdout.contains("## Timeline") && report.stdout.contains("### How long each check was red")
                && report.stdout.contains("| `dead` | blocker |") && report.stdout.contains("| `rule/red/dead` | critical |"), "\(report.stdout)")
        let reportJSON = try #require(try JSONSerialization.jsonObject(with: Data(try await run(["report", plan, "--format", "json"]).stdout.utf8)) as? [String: Any])
        #expect(((reportJSON["timeline"] as? [String: Any])?["red"] as? [[String: Any]])?.first?["id"] as? String == "dead")

        // A cockpit opened now knows what happened before it: the day in its Timeline pane, and
        // since when `dead` has been red, before its own first poll could say.
        let redAt = try #require(lines.first { $0.contains("check     FAIL      blocker  dead  ") }).prefix(5)
        let tmux = Tmux()
        defer { tmux.kill() }
        let cockpitStarted = Date()
        try tmux.start(width: 140, height: 40, command: "env -u NO_COLOR TERM=xterm-256color \(FlightdeckProcess.binary.path) \(plan); sleep 60")
        try await tmux.wait(for: "the cockpit", seconds: 30) { $0.first?.contains("Timeline rehearsal") == true }
        try tmux.keys("7")
        let pane = try await tmux.wait(for: "the Timeline pane with what came before", seconds: 10) { screen in
            screen.contains { $0.contains("Timeline (") } && screen.contains { $0.contains("journal") && $0.contains("legal marked done: published") }
                && screen.contains { $0.contains("FIRING") && $0.contains("rule/red/dead") }
        }
        #expect(pane.contains { $0.contains("check") && $0.contains("FAIL") && $0.contains("dead") })
        try tmux.keys("2")
        try await tmux.wait(for: "red since, from the record", seconds: 10) { screen in
            screen.contains { $0.contains("dead") && $0.contains("since \(redAt):") }
        }
        // To the second, as the watch saw it turn red, seconds before this cockpit started.
        let turnedRed = try #require(entries.first { $0["subject"] as? String == "dead" && $0["status"] as? String == "fail" }?["at"] as? String)
        #expect(try #require(LaunchRecord.parseTimestamp(turnedRed)) < cockpitStarted.addingTimeInterval(-1))
        try tmux.keys("Down", "Enter")
        try await tmux.wait(for: "the detail's red since", seconds: 10) { screen in
            screen.contains { $0.contains("red since \(turnedRed.prefix(19))") && $0.contains("as the timeline has it") }
        }
        try tmux.keys("Escape")
        try tmux.keys("7", "/")
        for key in ["j", "o", "u", "r", "n", "a", "l"] { try tmux.keys(key) }
        let filtered = try await tmux.wait(for: "only the journal's entries") { screen in
            screen.contains { $0.contains("Timeline (1 of ") && $0.contains("matching /journal") }
        }
        #expect(!filtered.contains { $0.contains("FIRING") })
    }
}
