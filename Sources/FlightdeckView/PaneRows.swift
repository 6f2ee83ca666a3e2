import FlightdeckCore
import Foundation

/// What each pane lists, from the cockpit state. Panes whose engine is not built yet say so.
struct PaneRows {
    let theme: Theme
    /// Below 100 columns the latency columns give way to the reason, which matters more.
    var wide = true

    /// - Parameter window: when given, only rows in it are built in full; the others carry
    /// just their status (enough for counting and the red-only switch, not for the filter).
    func rows(_ pane: Pane, state: CockpitState, reports: [CheckReport], window: Range<Int>? = nil) -> [PaneRow] {
        switch pane {
        case .checklist: return checklist(state, reports: reports)
        case .health: return checks(state, reports: reports, kind: .http, window: window)
        case .dns: return dns(state, reports: reports)
        case .certificates: return checks(state, reports: reports, kind: .tls, window: window) + coverage(state)
        case .alarms: return [PaneRow([("The alarms engine is not built yet: no alarm rules or sources are evaluated.", "muted")])]
        case .poll: return poll(state)
        }
    }

    private func status(_ status: CheckStatus) -> (String, String) {
        ("\(theme.glyph(status)) \(status.rawValue.uppercased())".padded(to: 9), "status.\(status.rawValue)")
    }

    private func checks(_ state: CockpitState, reports: [CheckReport], kind: CheckKind, window: Range<Int>?) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == kind }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no \(kind.rawValue.uppercased()) checks.", "muted")])] }
        return reports.enumerated().map { index, report in
            if let window, !window.contains(index) { return PaneRow([], status: report.status) }
            let health = state.board.health[report.check.id]
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), "text")]
            if kind == .http, wide, let health {
                let p95 = health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"
                segments.append((" p95 \(p95.padded(to: 9))", "muted"))
                segments.append((Self.sparkline(health.history.suffix(12).map(\.latency)) + " ", "muted"))
            }
            segments.append((" " + report.detail, report.status == .fail ? "status.fail" : "text"))
            return PaneRow(segments, status: report.status, detail: { Self.detail(report, state: state) })
        }
    }

    /// The evidence behind a check, line by line, for the detail view.
    private static func detail(_ report: CheckReport, state: CockpitState) -> [String] {
        var lines = ["\(report.check.kind.rawValue) \(report.check.target) (\(report.check.severity.rawValue))", report.detail]
        if let health = state.board.health[report.check.id] {
            lines.append("consecutive failures \(health.consecutiveFailures), successes \(health.consecutiveSuccesses); "
                + "p50 \(health.window.p50.map { HTTPEvaluation.milliseconds($0) } ?? "-"), "
                + "p95 \(health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"), p99 \(health.window.p99.map { HTTPEvaluation.milliseconds($0) } ?? "-")")
        }
        for (key, value) in report.observed.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .text(let text): lines.append("\(key): \(text)")
            case .number(let number): lines.append("\(key): \(number)")
            case .flag(let flag): lines.append("\(key): \(flag)")
            case .list(let items): lines.append("\(key):"); lines += items.map { "  \($0)" }
            }
        }
        return lines
    }

    static func sparkline(_ latencies: [Duration?]) -> String {
        let values = latencies.map { $0.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 } }
        let highest = values.compactMap { $0 }.max() ?? 0
        let bars = Array("▁▂▃▄▅▆▇█")
        return String(values.map { value -> Character in
            guard let value else { return "·" }
            guard highest > 0 else { return bars[0] }
            return bars[min(bars.count - 1, Int(value / highest * Double(bars.count - 1)))]
        }).padded(to: 12)
    }

    /// One code per grid cell, short enough for a column per server.
    static func code(_ state: PropagationCell.State) -> String {
        switch state {
        case .match: "ok"
        case .previous: "OLD"
        case .other: "oth"
        case .nxdomain: "NX"
        case .nodata: "ND"
        case .servfail: "SF"
        case .refused: "RF"
        case .timeout: "T/O"
        case .error: "err"
        }
    }

    /// The propagation grid: a row per record, a column per server (resolvers first, then the
    /// new and the old nameservers), with the share converged; the delegation on top.
    private func dns(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == .dns }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no DNS checks.", "muted")])] }
        var servers: [DNSServerRef] = []
        for report in reports {
            if case .dnsRecord(let grid)? = state.latest[report.check.id]?.evidence {
                for cell in grid.cells where !servers.contains(cell.server) { servers.append(cell.server) }
            }
        }
        // Columns are labelled r1.. for resolvers, n1.. for new and o1.. for old nameservers.
        var counters: [DNSServerRef.Role: Int] = [:]
        let labels = servers.map { server -> String in
            counters[server.role, default: 0] += 1
            let prefix = server.role == .resolver ? "r" : (server.role == .expectedAuthority ? "n" : "o")
            return "\(prefix)\(counters[server.role]!)"
        }
        let legend = zip(labels, servers).map { "\($0) \($1)" }
        var rows: [PaneRow] = []
        if !servers.isEmpty {
            let header = labels.map { $0.padded(to: 5) }.joined()
            rows.append(PaneRow([("".padded(to: 38), "muted"), (header, "muted")], detail: { legend }))
        }
        for report in reports {
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), "text")]
            if case .dnsRecord(let grid)? = state.latest[report.check.id]?.evidence {
                segments.append((String(format: " %3.0f%% ", grid.converged * 100), "muted"))
                for server in servers {
                    let cell = grid.cells.first { $0.server == server }
                    let code = cell.map { Self.code($0.state) } ?? "-"
                    let role = cell.map { $0.state == .match ? "status.pass" : ($0.state == .previous ? "status.warn" : "status.fail") } ?? "muted"
                    segments.append((code.padded(to: 5), role))
                }
            }
            segments.append((" " + report.detail, report.status == .fail ? "status.fail" : "text"))
            rows.append(PaneRow(segments, status: report.status, detail: { Self.detail(report, state: state) }))
        }
        if !legend.isEmpty { rows.append(PaneRow([(legend.joined(separator: " · "), "muted")], detail: { legend })) }
        return rows
    }

    /// The coverage grid: each host a certificate must cover, at each endpoint and address.
    private func coverage(_ state: CockpitState) -> [PaneRow] {
        var results: [String: [TLSAddressResult]] = [:]
        for endpoint in state.plan.tlsEndpoints {
            if case .tls(let found)? = state.latest[endpoint.id]?.evidence { results[endpoint.id] = found }
        }
        let grid = CoverageGrid(endpoints: state.plan.tlsEndpoints, results: results)
        guard !grid.cells.isEmpty else { return [] }
        var rows = [PaneRow([("Coverage: host x endpoint and address", "title")])]
        let inconsistent = Set(grid.inconsistentHosts)
        for cell in grid.cells {
            let cellStatus: CheckStatus = cell.failure != nil ? .fail : (cell.covered == true ? .pass : .fail)
            let word = cell.failure ?? (cell.covered == true ? "covered" : "NOT covered")
            let days = cell.daysLeft.map { "\($0)d" } ?? "-"
            let fingerprint = cell.fingerprint.map { String($0.prefix(16)) } ?? ""
            rows.append(PaneRow([status(cellStatus), (" \(cell.host)".padded(to: 28), "text"),
                                 ("\(cell.endpoint) \(cell.address)".padded(to: 32), "muted"),
                                 ("\(days.padded(to: 6)) \(fingerprint) ", "muted"),
                                 (word + (inconsistent.contains(cell.host) ? " · differs between addresses" : ""), cellStatus == .fail ? "status.fail" : "text")],
                                status: cellStatus, detail: { ["\(cell.host) at \(cell.endpoint) \(cell.address)", word, "days left: \(days)",
                                                               "SHA-256 \(cell.fingerprint ?? "-")"] }))
        }
        return rows
    }

    private func checklist(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
        guard !state.plan.checklist.isEmpty else { return [PaneRow([("The plan has no checklist.", "muted")])] }
        var rows: [PaneRow] = []
        var phase = ""
        for item in state.plan.checklist {
            if item.phase != phase {
                phase = item.phase
                rows.append(PaneRow([(phase, "title")]))
            }
            let linked = item.checks.compactMap { id in reports.first { $0.check.id == id } }
            let itemStatus: CheckStatus
            let word: String
            if linked.isEmpty {
                itemStatus = .unknown
                word = "pending: sign-off needs the go/no-go store, not built yet"
            } else if linked.contains(where: { $0.status == .fail }) {
                itemStatus = .fail
                word = "failed: " + linked.filter { $0.status == .fail }.map(\.check.id).joined(separator: ", ")
            } else if linked.allSatisfy({ $0.status == .pass || $0.status == .warn }) {
                itemStatus = .pass
                word = "proved by " + linked.map(\.check.id).joined(separator: ", ")
            } else {
                itemStatus = .unknown
                word = "waiting for " + linked.filter { $0.status == .unknown }.map(\.check.id).joined(separator: ", ")
            }
            rows.append(PaneRow([status(itemStatus), (" \(item.title)", "text"), ("  \(item.owner), \(item.severity.rawValue) · \(word)", "muted")],
                                status: itemStatus,
                                detail: { ["\(item.id): \(item.title)", "phase \(item.phase), owner \(item.owner), \(item.severity.rawValue), \(item.mode.rawValue)",
                                           word] + linked.map { "\($0.check.id): \($0.status.rawValue), \($0.detail)" } }))
        }
        return rows
    }

    private func poll(_ state: CockpitState) -> [PaneRow] {
        var rows = [PaneRow([("The go/no-go poll is not built yet: no votes can be cast or recorded.", "muted")])]
        for role in state.plan.poll.order + [state.plan.poll.director] {
            let people = state.plan.approvers.filter { $0.role == role }.map(\.name).joined(separator: ", ")
            let title = state.plan.roles.first { $0.id == role }?.title ?? role
            rows.append(PaneRow([status(.unknown), (" \(title)", "text"), ("  \(people) · no vote", "muted")], status: .unknown))
        }
        return rows
    }
}

extension String {
    /// Cut or padded with spaces to `width` characters (no Foundation bridge: this runs for
    /// every row of every frame).
    func padded(to width: Int) -> String {
        let length = count
        if length >= width { return String(prefix(width)) }
        return self + String(repeating: " ", count: width - length)
    }
}
