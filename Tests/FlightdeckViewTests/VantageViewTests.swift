@testable import FlightdeckCore
import FlightdeckView
import Foundation
import Testing

/// The sample cockpit with two agents: eu-west sees the apex's new address and serves the
/// home page; ap-south still gets the old address from the same resolver and a 503.
private func stateWithAgents(ageOfAPSouth: Double = 1) throws -> CockpitState {
    var state = try sampleState()
    let cells = { (value: String, state: PropagationCell.State) in
        [PublishedCell(PropagationCell(published: DNSServerRef(name: "resolver-a", address: "127.0.0.41:5301", role: .resolver),
                                       state: state, values: [value], ttl: 300, note: nil, validation: nil))]
    }
    let results = [
        VantageReading.Result(vantage: "eu-west", age: .seconds(1), outcome: PublishedOutcome(
            check: "dns-apex", status: .pass, reason: "converged: all 1 resolvers see the new value",
            observed: ["converged_percent": .number(100)], cells: cells("127.0.0.80", .match))),
        VantageReading.Result(vantage: "ap-south", age: .seconds(1), outcome: PublishedOutcome(
            check: "dns-apex", status: .fail, reason: "none of 1 resolvers sees the new value; 1 still old",
            observed: ["converged_percent": .number(0), "eta": .text("2026-12-01T13:25:00Z")], cells: cells("127.0.0.90", .previous))),
        VantageReading.Result(vantage: "eu-west", age: .seconds(1), outcome: PublishedOutcome(
            check: "api-health", status: .pass, reason: "200 in 81 ms", latencyMicroseconds: 81_000)),
        VantageReading.Result(vantage: "ap-south", age: .seconds(1), outcome: PublishedOutcome(
            check: "api-health", status: .fail, reason: "HTTP 503, expected 200", latencyMicroseconds: 240_000)),
    ]
    state.reduce(.vantages(VantageReading(
        heartbeats: [.init(vantage: "eu-west", host: "bastion-eu", age: .seconds(1), every: .seconds(5)),
                     .init(vantage: "ap-south", host: "bastion-ap", age: .seconds(ageOfAPSouth), every: .seconds(5))],
        results: results, version: 1, readAt: state.now)))
    return state
}

@Suite("Vantages in the cockpit and the watch")
struct VantageViewTests {
    @Test("the DNS grid gains a line per vantage: the same resolver seen from two networks, the slowest ETA on the record's line")
    func splitGrid() throws {
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        var state = try stateWithAgents()
        state.reduce(.action(.pane3))
        state.reduce(.resize(width: 120, height: 40))
        let lines = view.render(state, width: 120, height: 40).lines
        let header = try #require(lines.first { $0.contains("r1   r2") })
        let column = try #require(header.range(of: "r1")).lowerBound.utf16Offset(in: header)
        func cell(_ line: String) -> String { String(Array(line)[column..<(column + 3)]) }
        let apex = try #require(lines.firstIndex { $0.contains("dns-apex") })
        #expect(lines[apex].contains("FAIL") && lines[apex].contains("fails from ap-south"), "\(lines[apex])")
        #expect(lines[apex].contains("ETA 13:25:00"), "the slowest vantage's ETA: \(lines[apex])")
        #expect(lines[apex + 1].contains("@local") && cell(lines[apex + 1]) == "ok ", "\(lines[apex + 1])")
        #expect(lines[apex + 2].contains("@ap-south") && cell(lines[apex + 2]) == "OLD", "\(lines[apex + 2])")
        #expect(lines[apex + 2].contains("0%") && lines[apex + 2].contains("ETA 13:25:00"))
        #expect(lines[apex + 3].contains("@eu-west") && cell(lines[apex + 3]) == "ok ", "\(lines[apex + 3])")
        #expect(lines.contains { $0.contains("Vantages: local (here) · ap-south 1 s · eu-west 1 s") })
        // Parts of a record are not records: the title counts the checks.
        #expect(lines.contains { $0.contains("DNS (\(state.plan.checks.filter { $0.kind == .dns }.count))") })
    }

    @Test("HTTP and TLS show a line per vantage with its latency; the detail view lists each vantage's view")
    func healthPerVantage() throws {
        var state = try stateWithAgents()
        state.reduce(.action(.pane2))
        state.reduce(.resize(width: 120, height: 40))
        let rows = state.rows(.health).map(\.text)
        let api = try #require(rows.firstIndex { $0.contains(" api-health ") })
        #expect(rows[api].contains("FAIL") && rows[api].contains("fails from ap-south: HTTP 503"), "\(rows[api])")
        #expect(rows[api + 1].contains("@local") && rows[api + 1].contains("13 ms"), "\(rows[api + 1])")
        #expect(rows[api + 2].contains("@ap-south") && rows[api + 2].contains("240 ms"), "\(rows[api + 2])")
        #expect(rows[api + 3].contains("@eu-west") && rows[api + 3].contains("81 ms") && rows[api + 3].contains("200 in 81 ms"))
        let detail = state.rows(.health)[api].detail
        #expect(detail.contains("seen from 3 vantages (red when 1 fail):"), "\(detail)")
        #expect(detail.contains { $0.hasPrefix("  ap-south: fail · published 1 s ago: HTTP 503") }, "\(detail)")
    }

    @Test("a silent agent is marked on every pane's vantage line, and its lines say unknown, never what it last said")
    func silentAgent() throws {
        var state = try stateWithAgents(ageOfAPSouth: 40)
        state.reduce(.resize(width: 120, height: 40))
        let rows = state.rows(.health).map(\.text)
        #expect(rows.first?.contains("? ap-south SILENT 40 s") == true, "\(rows.first ?? "")")
        let silent = try #require(rows.first { $0.contains("@ap-south") })
        #expect(silent.contains("UNKNOWN") && silent.contains("ap-south silent for 40 s") && !silent.contains("240 ms"), "\(silent)")
        let api = try #require(state.board.reports.first { $0.check.id == "api-health" })
        #expect(api.status == .unknown, "a blocker seen as failing by a silent vantage is not known to pass")
    }

    @Test("the watch says when an agent starts reporting, falls silent and withdraws, and prints a check again when one vantage's view changes")
    func watchLines() throws {
        var state = try stateWithAgents()
        var log = WatchLog()
        let first = log.lines(for: state)
        #expect(first.contains { $0.hasSuffix("vantage ap-south reporting from bastion-ap") }, "\(first)")
        #expect(first.contains { $0.contains("check api-health FAIL: fails from ap-south: HTTP 503") }, "\(first)")
        state.reduce(.tick(state.now.addingTimeInterval(20)))
        let silent = log.lines(for: state)
        #expect(silent.contains { $0.hasSuffix("vantage ap-south SILENT: no heartbeat for 21 s; its results count as unknown") }, "\(silent)")
        #expect(silent.contains { $0.contains("check api-health UNKNOWN") }, "\(silent)")
        state.reduce(.vantages(VantageReading(heartbeats: [.init(vantage: "eu-west", host: "bastion-eu", age: .zero, every: .seconds(5))],
                                              results: [], version: 2, readAt: state.now)))
        let withdrawn = log.lines(for: state)
        #expect(withdrawn.contains { $0.hasSuffix("vantage ap-south withdrawn") }, "\(withdrawn)")
        #expect(withdrawn.contains { $0.contains("check api-health PASS") }, "\(withdrawn)")
    }
}

@Suite("Runbook links in the detail view")
struct RunbookLinkTests {
    @Test("a runbook's URL in the detail view is a link over exactly its cells; a URL that came from the network is only text")
    func links() throws {
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: Links, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http:
              - { id: api, url: "http://127.0.0.1:9/health", runbook: { url: "https://wiki.example.test/runbooks/api", text: "restart it" } }
            """, file: "links.yaml").get()
        var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 2_000_000_000))
        state.reduce(.resize(width: 120, height: 30))
        state.reduce(.outcome(ProbeOutcome(checkID: "api", finishedAt: .seconds(1), status: .fail, detail: "HTTP 503", latency: nil,
                                           observed: ["body_excerpt": .text("see https://evil.example/phish")])))
        state.reduce(.action(.pane2))
        state.reduce(.action(.open))
        let view = CockpitView(theme: try shippedTheme("default"), keymap: try shippedKeymap("default"))
        let grid = view.render(state, width: 120, height: 30)
        #expect(grid.links.map(\.url) == ["https://wiki.example.test/runbooks/api"])
        let link = try #require(grid.links.first)
        let line = grid.lines[link.y]
        #expect(String(Array(line)[link.x..<(link.x + link.width)]) == "https://wiki.example.test/runbooks/api", "\(line)")
        #expect(grid.lines.contains { $0.contains("https://evil.example/phish") }, "shown, but as text")
    }
}
