@testable import FlightdeckCore
import FlightdeckStore
import FlightdeckView
import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func shippedTheme(_ name: String) throws -> Theme {
    let path = packageRoot.appendingPathComponent("Themes/\(name).yaml").path
    return try Theme.load(text: String(contentsOfFile: path, encoding: .utf8), file: path).get()
}

func shippedKeymap(_ name: String) throws -> Keymap {
    let path = packageRoot.appendingPathComponent("Keymaps/\(name).yaml").path
    return try Keymap.load(text: String(contentsOfFile: path, encoding: .utf8), file: path).get()
}

/// The local rehearsal plan, with a few results of every kind fed in, at a fixed time, with
/// the glyphs of `theme` (the default theme's when nil).
func sampleState(theme: Theme? = nil) throws -> CockpitState {
    let path = packageRoot.appendingPathComponent("Examples/local.yaml").path
    let plan = try PlanLoader.load(path: path, environment: [:]).get()
    var state = CockpitState(plan: plan, now: try Date("2026-12-01T13:15:30Z", strategy: .iso8601),
                             glyphs: try (theme ?? shippedTheme("default")).glyphs)
    let latencies = [12, 15, 11, 30, 14, 13]
    for (index, latency) in latencies.enumerated() {
        state.reduce(.outcome(ProbeOutcome(checkID: "api-health", finishedAt: .seconds(index * 5), status: .pass,
                                           detail: "200 in \(latency) ms", latency: .milliseconds(latency))))
    }
    for second in [0, 5] {
        state.reduce(.outcome(ProbeOutcome(checkID: "web-home", finishedAt: .seconds(second), status: .fail,
                                           detail: "HTTP 503, expected 200-299", latency: nil)))
    }
    state.reduce(.outcome(ProbeOutcome(checkID: "stream-live", finishedAt: .seconds(5), status: .warn,
                                       detail: "slow: 340 ms, budget 200 ms", latency: .milliseconds(340))))
    for second in [0, 5] {
        state.reduce(.outcome(ProbeOutcome(checkID: "web-http-redirect", finishedAt: .seconds(second), status: .fail,
                                           detail: "body \u{1B}[2J\u{1B}]0;pwned\u{7} 漢字 ok", latency: nil)))
    }
    // DNS: one resolver sees the new apex, one still the old; the new nameserver agrees with the plan.
    let apex = plan.dns.records[0]
    func answer(_ address: [UInt8], ttl: UInt32, authoritative: Bool = false) -> DNSObservation.Outcome {
        var flags = DNSFlags()
        flags.isResponse = true
        flags.authoritative = authoritative
        return .response(DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: apex.name, type: .a)],
                                    answers: [DNSRecord(name: apex.name, ttl: ttl, data: .a(address))]))
    }
    let grid = RecordPropagation(record: apex, observations: [
        DNSObservation(server: DNSServerRef(name: "resolver-a", address: "127.0.0.41:5301", role: .resolver), outcome: answer([127, 0, 0, 80], ttl: 300), at: .seconds(5)),
        DNSObservation(server: DNSServerRef(name: "resolver-b", address: "127.0.0.42:5301", role: .resolver), outcome: answer([127, 0, 0, 90], ttl: 120), at: .seconds(5)),
        DNSObservation(server: DNSServerRef(name: "resolver-c", address: "127.0.0.43:5301", role: .resolver), outcome: .timeout, at: .seconds(5)),
        DNSObservation(server: DNSServerRef(name: "ns1.newdns.test", address: "127.0.0.21:5301", role: .expectedAuthority), outcome: answer([127, 0, 0, 80], ttl: 300, authoritative: true), at: .seconds(5)),
        DNSObservation(server: DNSServerRef(name: "ns1.olddns.test", address: "127.0.0.31:5301", role: .previousAuthority), outcome: answer([127, 0, 0, 90], ttl: 3600, authoritative: true), at: .seconds(5)),
    ])
    let verdict = DNSRecordVerdict(grid, now: .seconds(5), describeTime: { "t+\($0.components.seconds)s" })
    state.reduce(.outcome(ProbeOutcome(checkID: apex.id, finishedAt: .seconds(5), status: verdict.status, detail: verdict.detail,
                                       latency: nil, observed: ["eta": .text("2026-12-01T13:20:30Z")], evidence: .dnsRecord(grid))))

    // TLS: the API endpoint serves a certificate covering both names, 12 days from expiry.
    let endpoint = plan.tlsEndpoints[1]
    let leaf = CertificateInfo(subject: "CN=api.directfanz.test", issuer: "CN=Local CA", serial: "1000",
                               fingerprint: "3A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6071829",
                               notBefore: state.now.addingTimeInterval(-86_400 * 60), notAfter: state.now.addingTimeInterval(86_400 * 12.5),
                               keyType: "EC", keyBits: 256, signatureAlgorithm: "ecdsa-with-SHA256",
                               dnsNames: ["api.directfanz.test", "ws.directfanz.test"], isCA: false)
    let inspection = TLSInspection(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", chain: [leaf], verificationCode: 0,
                                   verificationReason: "ok", ocsp: .none, embeddedSCTs: 0, remoteAddress: "127.0.0.80:18443",
                                   connected: .milliseconds(1), handshakeDone: .milliseconds(4))
    let evaluation = TLSEvaluation(endpoint: endpoint, inspection: inspection, now: state.now)
    state.reduce(.outcome(ProbeOutcome(checkID: endpoint.id, finishedAt: .seconds(5), status: evaluation.status, detail: evaluation.detail,
                                       latency: inspection.handshakeDone, observed: evaluation.observed,
                                       evidence: .tls([TLSAddressResult(address: "127.0.0.80:18443", inspection: inspection, evaluation: evaluation, failure: nil)]))))

    // The poll: open, infrastructure GO, application NO-GO (which holds the launch).
    var launch = LaunchState(plan: plan)
    let evidence = VoteEvidence(items: launch.blockers(checks: state.checkStatuses), digest: "5f1d0c9e2b7a44e1")
    func entry(_ minute: Int, _ approver: String, _ login: String, _ event: LaunchEvent) {
        launch.apply(LaunchRecord(seq: launch.lastSeq + 1, at: state.now.addingTimeInterval(TimeInterval(60 * (minute - 15))),
                                  actor: LaunchActor(login: login, effectiveUser: login, pid: 4242, host: "bastion", approver: approver), event: event))
    }
    entry(1, "Priya Raman", "priya", .checklistMarked(item: "env-secrets", mark: .done, note: "vault synced"))
    entry(5, "Alex Moreau", "alex", .pollOpened)
    entry(6, "Dana Whitfield", "dana", .voteCast(role: "infrastructure", choice: .go, reason: nil, evidence: evidence))
    entry(10, "Miguel Soto", "miguel", .voteCast(role: "application", choice: .noGo, reason: "API suite red on staging", evidence: evidence))
    state.reduce(.launch(launch))

    // The timeline: what sessions saw before this one, with an hour nobody watched.
    func ago(_ minutes: Double) -> Date { state.now.addingTimeInterval(-60 * minutes) }
    state.reduce(.timeline(TimelineReading(changes: [
        TimelineChange(at: ago(150), what: .check(id: "web-home", vantage: nil, status: .pass), reason: "200 in 18 ms"),
        TimelineChange(at: ago(20), what: .check(id: "web-home", vantage: nil, status: .fail), reason: "HTTP 503, expected 200-299"),
        TimelineChange(at: ago(19.5), what: .alarm(id: "rule/red/web-home", state: .firing, severity: .critical, check: "web-home"),
                       reason: "web-home red for 3 polls: HTTP 503, expected 200-299"),
        TimelineChange(at: ago(12), what: .check(id: "web-http-redirect", vantage: nil, status: .fail), reason: "body \u{1B}[2J 漢字 ok"),
        TimelineChange(at: ago(3), what: .check(id: "stream-live", vantage: nil, status: .warn), reason: "slow: 340 ms, budget 200 ms"),
    ], watches: [TimelineWatch(instance: "a", host: "bastion", vantage: nil, from: ago(180), to: ago(120)),
                 TimelineWatch(instance: "b", host: "wall", vantage: nil, from: ago(60), to: ago(0))], lastID: 5)))
    return state
}

/// A frame as a person sees it: the text, then each cell's style as a terminal of `depth`
/// shows it, one letter per cell, with a legend of the styles.
func styledLines(_ grid: Grid, theme: Theme, depth: ColourDepth) -> [String] {
    var legend: [TerminalStyle] = []
    let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    var styles: [String] = []
    for y in 0..<grid.height {
        var line = ""
        for x in 0..<grid.width {
            let style = theme.terminalStyle(grid[x, y].role, depth: depth)
            if !legend.contains(style) { legend.append(style) }
            line.append(letters[legend.firstIndex(of: style)! % letters.count])
        }
        styles.append(line)
    }
    return grid.lines + ["--- styles at \(depth.rawValue) colours"] + legend.enumerated().map { "\(letters[$0 % letters.count]): \($1)" } + styles
}

@Suite("Cockpit view")
struct CockpitViewTests {
    /// Compares with Snapshots/NAME.txt; FLIGHTDECK_UPDATE_SNAPSHOTS=1 writes it instead.
    private func expectSnapshot(_ lines: [String], _ name: String) throws {
        let path = packageRoot.appendingPathComponent("Tests/FlightdeckViewTests/Snapshots/\(name).txt").path
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["FLIGHTDECK_UPDATE_SNAPSHOTS"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "snapshot \(name) differs; rerun with FLIGHTDECK_UPDATE_SNAPSHOTS=1 to update it after checking")
    }

    @Test("every pane at 80x24, 120x40, 160x40 (two side by side) and on the wall (160x48, 200x60, 240x67), default at 256 colours and monochrome without colour",
          arguments: [(80, 24), (120, 40), (160, 40), (160, 48), (200, 60), (240, 67)])
    func layouts(width: Int, height: Int) throws {
        for (themeName, depth) in [("default", ColourDepth.colours256), ("monochrome", .none)] {
            let theme = try shippedTheme(themeName)
            let view = CockpitView(theme: theme, keymap: try shippedKeymap("default"))
            var state = try sampleState(theme: theme)
            state.reduce(.resize(width: width, height: height))
            for (index, pane) in Pane.allCases.enumerated() {
                state.reduce(.action([KeyAction.pane1, .pane2, .pane3, .pane4, .pane5, .pane6, .pane7][index]))
                let grid = view.render(state, width: width, height: height)
                #expect(grid.lines.count == height)
                #expect(grid.lines.allSatisfy { ScreenText.width($0) == width })
                try expectSnapshot(styledLines(grid, theme: theme, depth: depth), "\(pane.rawValue)-\(width)x\(height)-\(themeName)")
            }
        }
    }

    @Test("every theme at every depth: no role's foreground is its background, and what must stand out does", arguments: ColourDepth.allCases)
    func readableStyles(depth: ColourDepth) throws {
        for name in ["default", "light", "high-contrast", "monochrome", "colourblind"] {
            let theme = try shippedTheme(name)
            let text = theme.terminalStyle(.text, depth: depth)
            let palette: Int16 = switch depth {
            case .colours8: 8
            case .colours16: 16
            case .colours256, .trueColour: 256
            case .none: 0
            }
            for role in ThemeRole.allCases {
                let style = theme.terminalStyle(role, depth: depth)
                #expect(style.foreground == nil || style.foreground != style.background, "\(name) \(role) at \(depth): \(style)")
                // A colour the terminal does not have leaves the pair undefined: black on black.
                #expect([style.foreground, style.background].allSatisfy { $0.map { $0 < palette } ?? true },
                        "\(name) \(role) at \(depth) uses a colour past the \(palette) there are: \(style)")
            }
            for role in [ThemeRole.selection, .statusFail, .bar, .tabFocused] {
                #expect(theme.terminalStyle(role, depth: depth) != text, "\(name): \(role) looks like plain text at \(depth)")
            }
        }
    }

    @Test("the launch bar: plan, countdown, verdict with its reason, red count")
    func launchBar() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        let lines = view.render(try sampleState(), width: 120, height: 40).lines
        #expect(lines[0].hasPrefix(" DirectFanz local rehearsal  T-00:49:30  NO-GO   ✘ checks NO-GO   red: 2"),
                "the launch clock stopped for the 5 minutes of NO-GO hold")
        #expect(lines[1].hasPrefix(" now 13:15:30 UTC  alarms: 1 critical, 0 other | on hold: API suite red on staging"))
        #expect(LaunchState.clock(-90) == "T+00:01:30")
        #expect(LaunchState.clock(200_000) == "T-2d 07:33:20")
    }

    @Test("the shared state unreachable: the launch bar says so first, in red, until the state comes back")
    func launchStateUnreachable() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        let launch = try #require(state.launch)
        state.reduce(.launchUnavailable("nothing was recorded in postgresql://flightdeck@db/launch: cannot connect: connection refused"))
        let lines = view.render(state, width: 200, height: 60).lines
        #expect(lines[1].contains("| LAUNCH STATE UNREACHABLE, nothing can be recorded: nothing was recorded in postgresql://flightdeck@db/launch"),
                "\(lines[1])")
        state.reduce(.launch(launch))
        #expect(view.render(state, width: 200, height: 60).lines[1].contains("| on hold: API suite red on staging"))
    }

    @Test("the verdict's glyph: ? while blockers are only not yet known; ✘ for a critical alarm on a blocker, nothing red")
    func verdictGlyph() throws {
        let theme = try shippedTheme("default")
        let view = CockpitView(theme: theme, keymap: try shippedKeymap("default"))
        let now = try Date("2026-12-01T13:15:30Z", strategy: .iso8601)
        var state = CockpitState(plan: try sampleState().plan, now: now, glyphs: theme.glyphs)
        #expect(view.render(state, width: 120, height: 40).lines[0].contains(" ? checks unknown (first poll)   unknown: 18 "))
        let first = try #require(state.plan.checks.first)
        state.reduce(.outcome(ProbeOutcome(checkID: first.id, finishedAt: .seconds(1), status: .pass, detail: "fine", latency: nil)))
        #expect(view.render(state, width: 120, height: 40).lines[0].contains(" ? checks unknown   unknown: 17 "))
        for check in state.plan.checks {
            state.reduce(.outcome(ProbeOutcome(checkID: check.id, finishedAt: .seconds(1), status: .pass, detail: "fine", latency: nil)))
        }
        #expect(view.render(state, width: 120, height: 40).lines[0].contains(" ✔ checks GO   red: 0"))
        state.reduce(.externalAlarms(source: "alertmanager-local", alarms: [
            Alarm(id: "alertmanager-local/CheckoutErrorRate/1", severity: .critical, source: "alertmanager-local", since: .seconds(1),
                  reason: "CheckoutErrorRate: checkout 5xx rate 4.2%", checkID: "web-home"),
        ]))
        let lines = view.render(state, width: 120, height: 40).lines
        #expect(lines[0].contains(" ✘ checks NO-GO   red: 0"))
        #expect(lines[1].contains("critical alarm on a blocker: CheckoutErrorRate: checkout 5xx rate 4.2%"))
    }

    @Test("remote text arrives inert: no escape character reaches the grid; wide characters keep the layout")
    func remoteText() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        state.reduce(.action(.pane2))
        let grid = view.render(state, width: 120, height: 40)
        let text = grid.lines.joined()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        #expect(text.contains("body \u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD} 漢字 ok"))
    }

    @Test("filter and red-only narrow the rows; help lists every binding of the keymap")
    func filterAndHelp() throws {
        let keymap = try shippedKeymap("vim")
        let view = CockpitView(theme: try shippedTheme("default"), keymap: keymap)
        var state = try sampleState()
        state.reduce(.action(.redOnly))
        #expect(state.rows(.health).map(\.status) == [.fail, .fail])
        state.reduce(.action(.redOnly))
        state.reduce(.action(.filter))
        for character in "api" { state.reduce(.key(.character(character))) }
        #expect(state.rows(.health).count == 1)
        state.reduce(.action(.open))
        state.reduce(.action(.help))
        let lines = view.render(state, width: 120, height: 40).lines
        for binding in keymap.bindings {
            #expect(lines.contains { $0.contains(binding.help) }, "help is missing \(binding.action)")
        }
        #expect(lines.contains { $0.contains("↓ j") && $0.contains("move down") })
    }

    @Test("monochrome: every status differs by glyph and attribute, never by colour alone")
    func monochrome() throws {
        let theme = try shippedTheme("monochrome")
        let statuses = CheckStatus.allCases
        #expect(Set(statuses.map { theme.glyph($0) }).count == statuses.count)
        #expect(theme.style(.statusFail).mono.contains(.reverse))
        #expect(theme.style(.statusWarn).mono.contains(.bold))
        #expect(theme.styles.values.allSatisfy { $0.foreground == nil && $0.foreground16 == nil })
    }

    @Test("a screen smaller than the reducer was told of still shows the selected row, drawn in full")
    func sizeNotYetTold() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        // The health pane builds only the rows on screen in full.
        state.reduce(.action(.pane2))
        let count = state.rows(.health).count
        #expect(count > 3)
        for _ in 0..<count { state.reduce(.action(.down)) }
        let selected = try #require(state.rows(.health).last?.text)
        let grid = view.render(state, width: 120, height: 8)
        let shown = try #require((0..<grid.height).first { grid[1, $0].role == .selection })
        #expect(grid.lines[shown].contains(String(selected.prefix(40))), "the selected row is on screen and not blank")
        #expect(!grid.lines[4..<shown].contains { $0.trimmingCharacters(in: .whitespaces).isEmpty }, "rows above it are drawn too")
    }

    @Test("monochrome on a colour terminal: the chosen approver, the bar and the selection are marked by attributes", arguments: [
        ColourDepth.colours256, .colours16, .colours8, .none,
    ])
    func monochromeMarksTheChoice(depth: ColourDepth) throws {
        let theme = try shippedTheme("monochrome")
        let view = CockpitView(theme: theme, keymap: try shippedKeymap("default"))
        var state = try sampleState(theme: theme)
        state.reduce(.action(.pane2))
        state.prompt = .approver(LaunchAction("Scrub the launch…", .scrubbed(reason: "weather")), names: ["Alex Moreau", "Dana Whitfield"], selected: 1)
        let grid = view.render(state, width: 120, height: 40)
        func attributes(onLineWith text: String) throws -> [Theme.Attribute] {
            let y = try #require(grid.lines.firstIndex { $0.contains(text) }, "no line with \(text)")
            let x = try #require(Array(grid.lines[y]).firstIndex(of: text.first!))
            return theme.terminalStyle(grid[x, y].role, depth: depth).attributes
        }
        #expect(try attributes(onLineWith: "Dana Whitfield").contains(.reverse), "the chosen approver stands out")
        #expect(try !attributes(onLineWith: "Alex Moreau").contains(.reverse), "the other does not")
        #expect(try attributes(onLineWith: "DirectFanz").contains(.reverse), "the launch bar")
    }

    @Test("an acknowledged critical alarm still counts, says it is acked, and still holds the verdict")
    func acknowledgedCritical() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        let critical = try #require(state.alarms.entries.first { $0.alarm.severity == .critical })
        var launch = try #require(state.launch)
        launch.apply(LaunchRecord(seq: launch.lastSeq + 1, at: state.now, actor: LaunchActor(login: "dana", effectiveUser: "dana", pid: 1,
                                                                                              host: "bastion", approver: "Dana Whitfield"),
                                  event: .alarmAcknowledged(alarm: critical.alarm.id, reason: "on it")))
        state.reduce(.launch(launch))
        #expect(state.alarms.entries.first { $0.alarm.id == critical.alarm.id }?.state == .acknowledged)
        let bar = view.render(state, width: 120, height: 40).lines[1]
        #expect(bar.contains("alarms: 1 critical (1 acked), 0 other"), "\(bar)")
        #expect(!CheckVerdict(reports: state.board.reports, alarms: state.alarms.standing).isGo)
    }

    @Test("a pane's title counts its items, not headings or legends; a narrowed pane says of how many, and an empty one says why")
    func titlesCountItems() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        state.reduce(.action(.pane1))
        let items = state.plan.checklist.count
        #expect(view.render(state, width: 120, height: 40).lines[3].hasPrefix(" Checklist (\(items))"), "the phase headings are not items")
        state.reduce(.action(.pane3))
        #expect(view.render(state, width: 120, height: 40).lines[3].hasPrefix(" DNS (\(state.plan.dns.records.count + 2))"),
                "the records, the delegation and its DNSSEC chain; not the column header or the legend")
        state.reduce(.action(.pane2))
        state.reduce(.action(.redOnly))
        #expect(view.render(state, width: 120, height: 40).lines[3].hasPrefix(" Health (2 of \(state.plan.httpChecks.count) red)"))
        state.reduce(.action(.filter))
        for character in "zzz" { state.reduce(.key(.character(character))) }
        let lines = view.render(state, width: 120, height: 40).lines
        #expect(lines[3].hasPrefix(" Health (0 of \(state.plan.httpChecks.count) red, matching /zzz)"))
        #expect(lines[4].contains("nothing here matches /zzz (esc shows everything)"))
    }

    @Test("down to 40 columns the launch bar keeps the T-minus and the verdict; a reason too long ends in …, whole in the help")
    func narrowLaunchBar() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"), notes: ["plan: /srv/launch/plan.yaml"])
        var state = try sampleState()
        state.reduce(.externalAlarms(source: "alertmanager-local", alarms: [
            Alarm(id: "alertmanager-local/CheckoutErrorRate/1", severity: .critical, source: "alertmanager-local", since: .seconds(1),
                  reason: "CheckoutErrorRate: checkout 5xx rate 4.2% over the last five minutes on web-home", checkID: "web-home"),
        ]))
        for width in [40, 50, 60, 80, 120] {
            let lines = view.render(state, width: width, height: 24).lines
            #expect(lines[0].contains("T-00:49:30") && lines[0].contains("✘ checks NO-GO"), "\(width) columns: \(lines[0])")
            #expect(ScreenText.width(lines[0]) == width)
        }
        let bar = view.render(state, width: 80, height: 24).lines[1]
        #expect(bar.trimmingCharacters(in: .whitespaces).hasSuffix("…"), "\(bar)")
        state.reduce(.action(.help))
        let help = view.render(state, width: 80, height: 24).lines.joined(separator: "\n")
        #expect(help.contains("why: on hold: API suite red on staging"))
        #expect(help.contains("plan: /srv/launch/plan.yaml"))
        #expect(help.contains("q quit") || help.contains("quit"), "the keys are still listed")
    }

    @Test("a detail view wraps its lines and scrolls with ↑↓, page up/down, home and end; the list under it stays put")
    func detailScrolls() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        state.reduce(.resize(width: 80, height: 24))
        state.reduce(.action(.pane6))
        while state.selectedRowID != .role("infrastructure") { state.reduce(.action(.down)) }
        let selected = state.selectedRow
        state.reduce(.action(.open))
        let lines = state.detailLines()
        #expect(lines.count > state.layout.detailRows, "the vote's evidence is longer than the screen: \(lines.count) lines")
        #expect(lines.allSatisfy { ScreenText.width($0) <= state.layout.detailWidth }, "wrapped, not cut")
        var screen = view.render(state, width: 80, height: 24).lines
        #expect(screen[22].contains("lines 1-\(state.layout.detailRows) of \(lines.count)"))
        state.reduce(.action(.down))
        #expect(state.detailOffset == 1 && state.selectedRow == selected, "↓ scrolls the detail, not the list")
        state.reduce(.action(.last))
        screen = view.render(state, width: 80, height: 24).lines
        #expect(screen.contains { $0.contains(lines.last!.trimmingCharacters(in: .whitespaces)) }, "the last line is reachable")
        #expect(screen[22].contains("of \(lines.count)") && screen[22].contains("-\(lines.count) of"))
        state.reduce(.action(.pageUp))
        #expect(state.detailOffset == lines.count - 2 * state.layout.detailRows || state.detailOffset == 0)
        state.reduce(.action(.first))
        #expect(state.detailOffset == 0)
        state.reduce(.action(.close))
        state.reduce(.action(.last))
        #expect(state.selectedRow == state.rows(.poll).count - 1, "outside a detail, end goes to the last row")
    }

    @Test("the DNS grid keeps the ETA at every width: resolver columns give way first, and a cut reason ends in …")
    func dnsEtaAtEveryWidth() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        state.reduce(.action(.pane3))
        for (width, height) in [(80, 24), (120, 40), (200, 60)] {
            state.reduce(.resize(width: width, height: height))
            let lines = view.render(state, width: width, height: height).lines
            let area = CockpitLayout(width: width, height: height).paneAreas(focus: .dns)[0]
            let apex = try #require(lines.first { $0.contains("dns-apex") })
            #expect(apex.contains("ETA 13:20:30"), "\(width) columns: \(apex)")
            let pane = String(Array(apex)[area.x..<(area.x + area.width)]).trimmingCharacters(in: .whitespaces)
            #expect(pane.hasSuffix("…") || pane.hasSuffix(state.board.reports.first { $0.check.id == "dns-apex" }!.detail), "\(width): \(pane)")
        }
        let narrow = view.render(state, width: 80, height: 24).lines
        #expect(!narrow.contains { $0.contains("r3") }, "at 80 columns the resolvers' columns give way")
        #expect(narrow.contains { $0.contains("more columns on a wider screen") })
    }

    @Test("the war-room wall: from 160x48 the six live panes show at once, the focused one marked, each with its own selection; the timeline, focused, has the wall to itself")
    func wall() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        for (width, height) in [(160, 48), (200, 60), (240, 67)] {
            state.reduce(.resize(width: width, height: height))
            state.reduce(.action(.pane5))
            let lines = view.render(state, width: width, height: height).lines
            for pane in Pane.live {
                #expect(lines.contains { $0.contains(" \(pane.title) (") }, "\(width)x\(height): \(pane.title) is on the wall")
            }
            #expect(lines.contains { $0.contains("▶ Alarms (") }, "the focus is marked without colour")
            #expect(lines.filter { $0.contains("▶ ") }.count == 1)
            state.reduce(.action(.pane7))
            let timeline = view.render(state, width: width, height: height).lines
            #expect(timeline.contains { $0.hasPrefix(" Timeline (10)") })
            #expect(!timeline.contains { $0.contains(" Alarms (") }, "the day's record takes the whole wall")
        }
        state.reduce(.action(.pane5))
        let twoPanes = view.render(state, width: 160, height: 40).lines
        #expect(!twoPanes.contains { $0.contains(" Checklist (") }, "below 48 rows, two panes side by side")
        state.reduce(.resize(width: 200, height: 60))
        state.reduce(.action(.pane2))
        state.reduce(.action(.down))
        state.reduce(.action(.pane5))
        #expect(state.cursor(.health).selected == 1 && state.selectedRow == 0, "each pane keeps its own selection")
    }

    @Test("a frame's diff is only what changed")
    func diff() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try sampleState()
        let before = view.render(state, width: 80, height: 24)
        state.reduce(.tick(try Date("2026-12-01T13:15:31Z", strategy: .iso8601)))
        let after = view.render(state, width: 80, height: 24)
        let changed = after.changes(since: before)
        // 13:15:30 becomes 13:15:31 (one cell); the launch clock stands still in the NO-GO hold.
        #expect(changed.count == 1, "\(changed)")
    }
}

@Suite("Themes and keymaps")
struct ThemeKeymapTests {
    @Test("every shipped theme and keymap loads", arguments: ["default", "light", "high-contrast", "monochrome", "colourblind"])
    func shippedThemes(name: String) throws {
        let theme = try shippedTheme(name)
        #expect(Set(theme.styles.keys) == Set(ThemeRole.allCases))
    }

    @Test("the themes and keymaps compiled into the binary are the files in Themes/ and Keymaps/ (scripts/embed-shipped-files)")
    func shippedFilesInSync() throws {
        for (kind, embedded) in [("Themes", ShippedFiles.themes), ("Keymaps", ShippedFiles.keymaps)] {
            let directory = packageRoot.appendingPathComponent(kind).path
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
            #expect(Set(embedded.keys) == Set(names), "\(kind): run scripts/embed-shipped-files")
            for name in names {
                let text = try String(contentsOfFile: "\(directory)/\(name).yaml", encoding: .utf8)
                #expect(embedded[name] == text, "\(kind)/\(name).yaml differs from its compiled-in copy: run scripts/embed-shipped-files")
            }
        }
    }

    @Test("both keymaps bind every action")
    func shippedKeymaps() throws {
        for name in ["default", "vim"] {
            let keymap = try shippedKeymap(name)
            #expect(Set(keymap.bindings.map(\.action)) == Set(KeyAction.allCases))
        }
        #expect(try shippedKeymap("vim").action(for: .character("j")) == .down)
    }

    @Test("a bad theme or keymap names the file, line and key")
    func badFiles() {
        guard case .failure(let theme) = Theme.load(text: "name: x\nroles:\n  status.fial: { fg: \"#FF0000\" }\n  text: { fg: red }\n", file: "bad.yaml") else {
            Issue.record("a bad theme loaded")
            return
        }
        #expect(theme.diagnostics.first?.headline == "bad.yaml:3:3: roles: unknown role `status.fial`")
        #expect(theme.diagnostics.first?.hint == "did you mean `status.fail`?")
        #expect(theme.diagnostics.contains { $0.headline == "bad.yaml:4:15: roles.text.fg: `red` is not a colour" })
        #expect(theme.diagnostics.contains { $0.message == "missing role `selection`" }, "a role the view draws with and the theme lacks is an error")
        guard case .failure(let eight) = Theme.load(text: "name: x\nroles:\n  text: { fg8: bright-white }\n", file: "eight.yaml") else {
            Issue.record("a theme with a bright colour for 8-colour terminals loaded")
            return
        }
        #expect(eight.diagnostics.contains { $0.headline == "eight.yaml:3:16: roles.text.fg8: `bright-white` is not one of the 8 colours" },
                "\(eight.diagnostics.map(\.headline))")
        guard case .failure(let keymap) = Keymap.load(text: "name: k\nbindings:\n  qiut: { keys: [q], help: quit }\n  help: { keys: [f1], help: help }\n", file: "keys.yaml") else {
            Issue.record("a bad keymap loaded")
            return
        }
        #expect(keymap.diagnostics.map(\.headline) == [
            "keys.yaml:3:3: bindings: unknown action `qiut`",
            "keys.yaml:4:18: bindings.help.keys[0]: `f1` is not a key",
        ])
    }

    @Test("colour depth: NO_COLOR, then COLORTERM, then terminfo")
    func colourDepth() {
        #expect(ColourDepth.detect(environment: ["NO_COLOR": "1", "COLORTERM": "truecolor"], terminfoColours: 256) == .none)
        #expect(ColourDepth.detect(environment: ["NO_COLOR": ""], terminfoColours: 256) == .colours256)
        #expect(ColourDepth.detect(environment: ["COLORTERM": "truecolor"], terminfoColours: 8) == .trueColour)
        #expect(ColourDepth.detect(environment: [:], terminfoColours: 16) == .colours16)
        #expect(ColourDepth.detect(environment: [:], terminfoColours: 8) == .colours8, "TERM=screen: the bright half does not exist")
        #expect(ColourDepth.detect(environment: [:], terminfoColours: 0) == .none)
    }
}
