@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Cockpit state: navigation, filter, help")
struct CockpitStateTests {
    private func state() throws -> CockpitState {
        let keymap = try Keymap.load(text: String(contentsOfFile: examplePath("../Keymaps/default.yaml"), encoding: .utf8), file: "default.yaml").get()
        return CockpitState(plan: try loadPlan(examplePath("local.yaml"), environment: [:]).get(), now: Date(timeIntervalSince1970: 0),
                            keymap: keymap)
    }

    @Test("tab and shift-tab cycle the panes; number keys jump; leaving a pane closes its detail")
    func panes() throws {
        var state = try state()
        #expect(state.focus == .checklist, "a plan with a checklist opens on it")
        state.reduce(.action(.pane2))
        state.reduce(.action(.nextPane))
        #expect(state.focus == .dns)
        state.reduce(.action(.open))
        #expect(state.showingDetail)
        state.reduce(.action(.previousPane))
        state.reduce(.action(.previousPane))
        #expect(state.focus == .checklist)
        #expect(!state.showingDetail)
        state.reduce(.action(.previousPane))
        #expect(state.focus == .timeline)
        state.reduce(.action(.pane4))
        #expect(state.focus == .certificates)
    }

    @Test("moving keeps a selection per pane, never past the rows there are")
    func selection() throws {
        var state = try state()
        state.reduce(.action(.pane2))
        let rows = state.rows(.health).count
        #expect(rows > 2)
        for _ in 0..<(rows + 5) { state.reduce(.action(.down)) }
        #expect(state.selectedRow == rows - 1, "down stops at the last row")
        state.reduce(.action(.up))
        #expect(state.selectedRow == rows - 2, "one up from the end is one row up, not five")
        state.reduce(.action(.nextPane))
        #expect(state.selectedRow == 0)
        state.reduce(.action(.previousPane))
        #expect(state.selectedRow == rows - 2)
        for _ in 0..<(rows + 5) { state.reduce(.action(.up)) }
        #expect(state.selectedRow == 0)
    }

    @Test("the filter is typed after `/`, kept with enter, cleared with esc; outside it keys are actions")
    func filter() throws {
        var state = try state()
        state.reduce(.key(.character("x")))
        #expect(state.filter.isEmpty)
        state.reduce(.key(.character("/")))
        for character in "apiqx" { state.reduce(.key(.character(character))) }
        state.reduce(.key(.backspace))
        #expect(state.filter == "apiq", "q is text while the filter is edited, not quit")
        #expect(!state.quitting)
        state.reduce(.key(.enter))
        #expect(!state.editingFilter && state.filter == "apiq" && !state.showingDetail)
        state.reduce(.key(.character("/")))
        state.reduce(.key(.escape))
        #expect(state.filter.isEmpty)
        state.reduce(.key(.tab))
        #expect(state.focus == .health, "tab after the filter is the next pane again")
        state.reduce(.key(.character("q")))
        #expect(state.quitting)
    }

    @Test("red-only is switched with its key and cleared with esc")
    func redOnly() throws {
        var state = try state()
        state.reduce(.action(.redOnly))
        #expect(state.redOnly)
        state.reduce(.action(.close))
        #expect(!state.redOnly)
    }

    @Test("help takes keys until it is closed; quit always quits")
    func help() throws {
        var state = try state()
        state.reduce(.action(.help))
        state.reduce(.action(.nextPane))
        #expect(state.showingHelp && state.focus == .checklist)
        state.reduce(.action(.close))
        #expect(!state.showingHelp)
        state.reduce(.action(.help))
        state.reduce(.action(.quit))
        #expect(state.quitting)
    }

    @Test("the cockpit opens on the checklist when there is one, else on the first pane with something in it")
    func openingPane() throws {
        #expect(try state().focus == .checklist)
        func plan(_ text: String) throws -> LaunchPlan {
            try PlanLoader(environment: [:]).load(text: "launch: { name: P, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }\n" + text,
                                                  file: "p.yaml").get()
        }
        #expect(CockpitState(plan: try plan("http: [{ id: h, url: \"http://127.0.0.1:9/\" }]"), now: .now).focus == .health)
        #expect(CockpitState(plan: try plan("tls: [{ id: t, host: example.test, address: 127.0.0.1 }]"), now: .now).focus == .certificates)
    }

    @Test("outcomes and ticks update what is shown")
    func events() throws {
        var state = try state()
        state.reduce(.outcome(ProbeOutcome(checkID: "api-health", finishedAt: .seconds(1), status: .pass, detail: "200 in 3 ms", latency: .milliseconds(3))))
        #expect(state.board.health["api-health"]?.status == .pass)
        #expect(state.latest["api-health"]?.detail == "200 in 3 ms")
        state.reduce(.tick(Date(timeIntervalSince1970: 60)))
        #expect(state.now == Date(timeIntervalSince1970: 60))
    }
}

@Suite("Sparkline")
struct SparklineTests {
    @Test("a failed probe shows as ✕ whatever its latency; a result without one as ·")
    func failuresStandOut() {
        let points = [CheckHealth.HistoryPoint(at: .seconds(1), status: .pass, latency: .milliseconds(10)),
                      CheckHealth.HistoryPoint(at: .seconds(2), status: .fail, latency: .milliseconds(2)),
                      CheckHealth.HistoryPoint(at: .seconds(3), status: .pass, latency: .milliseconds(40)),
                      CheckHealth.HistoryPoint(at: .seconds(4), status: .unknown, latency: nil)]
        #expect(PaneRows.sparkline(points) == "▂✕█·".padded(to: 12))
    }
}
