import FlightdeckCore
import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("The cockpit end to end, in tmux", .serialized)
struct CockpitEndToEndTests {
    @Test("live data, panes, details, filter, resizes, quit with the terminal restored; hostile text inert; readable on every terminal",
          arguments: ["xterm-256color", "screen", "vt100", "NO_COLOR"])
    func cockpit(term: String) async throws {
        let nginx = try NginxServer.shared()
        try Data("\u{1B}]0;pwned\u{7}\u{1B}[2Jgotcha".utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/hostile.txt"))
        let directory = try TestDirectory("e2e")
        try directory.write("""
            launch: { name: Cockpit rehearsal, zone: directfanz.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 1s, timeout: 2s, failure_threshold: 1 }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            http:
              - { id: api-health, url: "\(nginx.url("/health"))", expect: { json: { status: ok } } }
              - { id: hostile-body, url: "\(nginx.url("/files/hostile.txt"))", expect: { body_contains: welcome } }
            tls:
              - { id: tls-api, host: api.directfanz.test, port: \(nginx.httpsPort), address: 127.0.0.1, ca_file: "\(nginx.certificates.caCertificate)" }
            """, to: "plan.yaml")
        let tmux = Tmux()
        defer { tmux.kill() }
        // The test runner may have NO_COLOR set; each case says what it wants.
        let environment = term == "NO_COLOR" ? "NO_COLOR=1 TERM=xterm-256color" : "-u NO_COLOR TERM=\(term)"
        let command = "env \(environment) \(FlightdeckProcess.binary.path) \(directory.file("plan.yaml")); echo EXITED $?; sleep 60"
        try tmux.start(width: 120, height: 40, command: command)

        // Live data arrives: the healthy check passes, the hostile one fails.
        // Waited for whole: a capture can catch the screen between two frames' halves. The
        // first frame waits on a debug build starting beside the rest of the suite.
        let live = try await tmux.wait(for: "live results", seconds: 30) { screen in
            screen.contains { $0.contains("✔ PASS") && $0.contains("api-health") }
                && screen.contains { $0.contains("✘ FAIL") && $0.contains("hostile-body") }
                && screen.first?.contains("Cockpit rehearsal") == true
        }
        #expect(live.count == 40)
        #expect(live[0].contains("Cockpit rehearsal"))
        // Nothing is drawn in its own background colour (TERM=screen once drew the launch bar
        // black on black), and an 8-colour terminal gets only the 8 colours it has.
        let styled = try tmux.styledScreen()
        #expect(styled[0].contains("\u{1B}[") , "\(term): the launch bar is drawn with attributes or colours")
        if term == "xterm-256color" || term == "screen" { #expect(styled.joined().contains("\u{1B}[3"), "\(term): in colour") }
        for (row, line) in styled.enumerated() {
            for cell in drawnColours(line) where cell.character != " " {
                #expect(cell.foreground == nil || cell.foreground != cell.background, "\(term): row \(row) draws `\(cell.character)` in \(cell.foreground!) on itself")
                if term == "screen" { #expect([cell.foreground, cell.background].allSatisfy { ($0 ?? 0) < 8 }, "\(term): row \(row): a colour past 8") }
                if term == "vt100" || term == "NO_COLOR" { #expect(cell.foreground == nil && cell.background == nil, "\(term): no colours") }
            }
        }

        // The failing check's detail shows the body, inert.
        try tmux.keys("Down")
        try tmux.keys("Enter")
        let detail = try await tmux.wait(for: "the detail view") { $0.contains { $0.contains("body_excerpt:") } }
        let excerpt = detail.first { $0.contains("body_excerpt:") } ?? ""
        #expect(excerpt.contains("\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2Jgotcha"))
        #expect(detail[0].contains("Cockpit rehearsal"), "the screen was not cleared by the body")
        // Esc closes at once, not after ncurses' default second of waiting for a sequence:
        // timed against another key's round trip, so a loaded machine does not fail it.
        func seconds(for key: String, until shown: Bool) async throws -> TimeInterval {
            let pressed = Date()
            try tmux.keys(key)
            while try tmux.screen().contains(where: { $0.contains("body_excerpt:") }) != shown, Date().timeIntervalSince(pressed) < 3 {
                try await Task.sleep(for: .milliseconds(10))
            }
            return Date().timeIntervalSince(pressed)
        }
        let escape = try await seconds(for: "Escape", until: false)
        let enter = try await seconds(for: "Enter", until: true)
        let escapeAgain = try await seconds(for: "Escape", until: false)
        #expect(min(escape, escapeAgain) < enter + 0.6, "esc took \(escape) and \(escapeAgain) s, enter \(enter) s")

        // Another pane: the certificate the nginx serves.
        try tmux.keys("4")
        try await tmux.wait(for: "the certificates pane") { screen in
            // The test certificate has 29 days left: a warning, on the check and on its coverage row.
            screen.contains { $0.contains("Certificates (") } && screen.contains { $0.contains("tls-api") && $0.contains("WARN") }
                && screen.contains { $0.contains("api.directfanz.test") && $0.contains("covered, but") }
        }

        // The filter.
        try tmux.keys("2")
        try tmux.keys("/", "a", "p", "i", "Enter")
        let filtered = try await tmux.wait(for: "the filtered list") { $0.contains { $0.contains("Health (1 of 2 matching /api)") } }
        #expect(!filtered.dropFirst(4).contains { $0.contains("hostile-body") }, "the filter leaves only api rows (the launch bar still names the red check)")

        // Resize twice: small, then wide enough for two panes side by side.
        try tmux.run(["resize-window", "-t", "cockpit", "-x", "80", "-y", "24"])
        let small = try await tmux.wait(for: "the 80x24 redraw") { screen in
            screen.count == 24 && screen[23].contains("q quit") && screen[0].contains("Cockpit rehearsal")
        }
        #expect(small.allSatisfy { $0.count <= 80 })
        try tmux.run(["resize-window", "-t", "cockpit", "-x", "200", "-y", "50"])
        try await tmux.wait(for: "two panes side by side") { screen in
            screen.contains { $0.contains("Health (1 of 2 matching /api)") && $0.contains("DNS (") }
        }

        // Quit: the cockpit is gone and the shell's screen is back.
        try tmux.keys("q")
        let after = try await tmux.wait(for: "the exit") { $0.contains { $0.contains("EXITED 0") } }
        #expect(!after.contains { $0.contains("Cockpit rehearsal") })
    }

    @Test("two cockpits on one plan: a vote and an alarm's acknowledgement in one show in the other within a second; PIN sign-off")
    func twoCockpits() async throws {
        let directory = try TestDirectory("e2e-poll")
        let pinHash = try await FlightdeckProcess.run(["approver", "hash-pin"], stdin: "2468\n2468\n").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pinHash.hasPrefix("scrypt$"))
        let login = LaunchActor.current().login
        let plan = directory.file("plan.yaml")
        try directory.write("""
            launch: { name: Poll rehearsal, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 1s, timeout: 1s, failure_threshold: 1 }
            http:
              - { id: blog, url: "http://127.0.0.1:\(try FreePort.tcp())/", severity: major }
            alarms: { rules: { red_polls: 1 } }
            checklist:
              - { id: legal, phase: Launch, title: Terms published, owner: ops }
            roles: [{ id: ops, title: Operations }, { id: director, title: Launch director }]
            approvers:
              - { name: Ada, role: ops, users: [\(login)] }
              - { name: Bo, role: director, pin_hash: "\(pinHash)" }
            poll: { order: [ops], director: director }
            """, to: "plan.yaml")
        let war = Tmux()
        defer { war.kill() }
        let laptop = war.session("laptop")
        try war.start(width: 120, height: 40, command: "\(FlightdeckProcess.binary.path) \(plan)")
        try laptop.start(width: 80, height: 24, command: "\(FlightdeckProcess.binary.path) \(plan)")
        for cockpit in [war, laptop] {
            try cockpit.keys("6")
            try await cockpit.wait(for: "the poll pane") { $0.contains { $0.contains("next: open the poll") } }
        }

        // On the war-room screen Ada (by her login) opens the poll and votes GO for ops.
        try war.keys("a")
        try await war.wait(for: "the actions menu") { $0.contains { $0.contains("1 Open the go/no-go poll") } }
        try war.keys("1")
        try await war.wait(for: "the confirmation") { $0.contains { $0.contains("as Ada? y to confirm") } }
        try war.keys("y")
        try await war.wait(for: "the poll open") { $0.contains { $0.contains("recorded #1: opened the go/no-go poll") } }
        // `a` on the headline went to the first row with actions, ops: the vote is there.
        try war.keys("a")
        try await war.wait(for: "the vote menu") { $0.contains { $0.contains("1 Vote GO for ops") } }
        try war.keys("1", "y")
        try await war.wait(for: "the vote recorded") { $0.contains { $0.contains("recorded #2: ops GO") } }
        let recorded = Date()
        try await laptop.wait(for: "the vote on the other cockpit", seconds: 1) { $0.contains { $0.contains("Operations") && $0.contains("GO     Ada") } }
        #expect(Date().timeIntervalSince(recorded) < 1)

        // The final GO waits for the checklist; marked from the command line.
        let marked = try await FlightdeckProcess.run(["checklist", plan, "legal", "done", "--note", "published 09:00"])
        #expect(marked.status == 0, "\(marked.stderr)")

        // On the laptop Bo signs the final GO with his PIN: wrong, then right. The menu offers
        // what the rules accept as the laptop knows the launch, so first it sees the mark.
        try await laptop.wait(for: "the mark on the laptop") { $0.contains { $0.contains("legal marked done") } }
        try laptop.keys("Down", "Down", "Down", "a")
        try await laptop.wait(for: "the final GO menu") { $0.contains { $0.contains("1 Vote GO for director (final GO)") } }
        try laptop.keys("1")
        try await laptop.wait(for: "the PIN prompt") { $0.contains { $0.contains("Bo, enter your PIN: _") } }
        try laptop.keys("1", "3", "5", "7")
        let masked = try await laptop.wait(for: "the masked PIN") { $0.contains { $0.contains("Bo, enter your PIN: ••••_") } }
        #expect(!masked.contains { $0.contains("1357") }, "the PIN is never shown")
        try laptop.keys("Enter")
        // A wrong PIN asks again, with the count of tries.
        try await laptop.wait(for: "the wrong PIN, asked again") { screen in
            screen.contains { $0.contains("wrong PIN for Bo (1 of 5") } && screen.contains { $0.contains("Bo, enter your PIN: _") }
        }
        try laptop.keys("2", "4", "6", "8", "Enter")
        try await laptop.wait(for: "the final GO") { $0.contains { $0.contains("recorded #7: director GO") } }
        try await war.wait(for: "GO on the war-room screen", seconds: 1) { $0.first?.contains(" GO ") == true }

        // The blog is down: an alarm in both; acknowledged on the war-room screen, it shows so on the laptop.
        for cockpit in [war, laptop] {
            try cockpit.keys("5")
            try await cockpit.wait(for: "the alarm") { $0.contains { $0.contains("WARNING") && $0.contains("blog red for") } }
        }
        try war.keys("a")
        try await war.wait(for: "the alarm menu") { $0.contains { $0.contains("1 Acknowledge rule/red/blog") } }
        try war.keys("1")
        try war.keys("-l", "on it: blog host rebooting")
        try war.keys("Enter", "y")
        try await war.wait(for: "the acknowledgement recorded") { $0.contains { $0.contains("recorded #") && $0.contains("alarm rule/red/blog acknowledged") } }
        let acknowledged = Date()
        try await laptop.wait(for: "the acknowledgement on the other cockpit", seconds: 1) { $0.contains { $0.contains("acknowledged") && $0.contains("blog red for") } }
        #expect(Date().timeIntervalSince(acknowledged) < 1)

        let journal = try await FlightdeckProcess.run(["audit", "show", plan]).stdout
        #expect(journal.contains("(Bo, PIN)") && journal.contains("PIN tried for Bo") && journal.contains("PIN accepted for Bo"))
        #expect(try await FlightdeckProcess.run(["audit", "verify", plan]).status == 0)
        for cockpit in [war, laptop] { try cockpit.keys("q") }
    }

    @Test("a new critical alarm rings the terminal bell; --alert off keeps quiet")
    func bell() async throws {
        for (options, rings) in [("", true), ("--alert off", false)] {
            let directory = try TestDirectory("e2e-bell")
            try directory.write("""
                launch: { name: Bell, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
                polling: { interval: 1s, timeout: 1s, failure_threshold: 1 }
                http: [{ id: api, url: "http://127.0.0.1:\(try FreePort.tcp())/" }]
                alarms: { rules: { red_polls: 1 } }
                roles: [{ id: ops }]
                approvers: [{ name: Ada, role: ops, users: [ada] }]
                poll: { order: [ops], director: ops }
                """, to: "plan.yaml")
            let tmux = Tmux()
            defer { tmux.kill() }
            // tmux flags a bell in a window that is not the one shown: the cockpit runs in the second.
            try tmux.start(width: 80, height: 24, command: "sleep 60")
            try tmux.run(["new-window", "-d", "-t", "cockpit", "\(FlightdeckProcess.binary.path) \(directory.file("plan.yaml")) \(options)"])
            // Until the alarm stands (and, when it rings, the bell has been seen): a busy machine
            // can take seconds to the first result.
            let deadline = Date().addingTimeInterval(20)
            var flags = ""
            var screen = ""
            while Date() < deadline {
                flags = try tmux.run(["list-windows", "-t", "cockpit", "-F", "#{window_bell_flag}"])
                screen = try tmux.run(["capture-pane", "-p", "-t", "cockpit:1"])
                if screen.contains("alarms: 1 critical"), flags.contains("1") || !rings { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(screen.contains("alarms: 1 critical"), "the alarm stood either way:\n\(screen)")
            if !rings { try await Task.sleep(for: .seconds(1)) }
            flags = try tmux.run(["list-windows", "-t", "cockpit", "-F", "#{window_bell_flag}"])
            #expect(flags.contains("1") == rings, "bell flags \(flags) with `\(options)`")
        }
    }

    @Test("without a terminal, the cockpit says to use check and exits 2")
    func noTerminal() async throws {
        let result = try await FlightdeckProcess.run(["Examples/local.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("the cockpit needs a terminal"))
    }

    @Test("a runbook's link goes to the terminal as an OSC 8 hyperlink where it takes them (FLIGHTDECK_HYPERLINKS=1), never by default under tmux; the screen reads the same",
          .timeLimit(.minutes(1)))
    func runbookHyperlink() async throws {
        let directory = try TestDirectory("cli-hyperlink")
        try directory.write("""
            launch: { name: Hyperlinks, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 1s, timeout: 1s, failure_threshold: 1 }
            http:
              - { id: api, url: "http://127.0.0.1:9/health", runbook: { url: "https://wiki.example.test/runbooks/api", text: "restart it" } }
            """, to: "plan.yaml")
        for hyperlinks in [true, false] {
            let tmux = Tmux()
            defer { tmux.kill() }
            let raw = directory.file("raw-\(hyperlinks).out")
            try tmux.start(width: 120, height: 30, command: "\(hyperlinks ? "FLIGHTDECK_HYPERLINKS=1 " : "")\(FlightdeckProcess.binary.path) \(directory.file("plan.yaml"))")
            try tmux.run(["pipe-pane", "-o", "-t", tmux.session, "cat >> \(raw)"])
            try await tmux.wait(for: "api red") { $0.contains { $0.contains("FAIL") && $0.contains("api") } }
            try tmux.keys("Enter")
            let screen = try await tmux.wait(for: "the detail") { $0.contains { $0.contains("runbook: https://wiki.example.test/runbooks/api — restart it") } }
            #expect(screen.contains { $0.contains("runbook: https://wiki.example.test/runbooks/api — restart it") })
            try await Task.sleep(for: .milliseconds(300))
            let bytes = (try? String(contentsOfFile: raw, encoding: .utf8)) ?? ""
            let opened = bytes.components(separatedBy: "\u{1B}]8;;https://wiki.example.test/runbooks/api\u{1B}\\https://wiki.example.test/runbooks/api\u{1B}]8;;\u{1B}\\").count - 1
            if hyperlinks {
                #expect(opened >= 1, "the link, around exactly its text")
            } else {
                #expect(!bytes.contains("\u{1B}]8;"), "no hyperlink under tmux unless asked")
            }
            try tmux.keys("q")
        }
    }
}
