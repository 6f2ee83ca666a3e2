import Foundation

/// The DNS pane: the propagation grid, a row per record and a column per server.
extension PaneRows {
    /// One code per grid cell, short enough for a column per server.
    static func code(_ state: PropagationCell.State) -> String {
        switch state {
        case .match: "ok"
        case .previous: "OLD"
        case .other: "oth"
        case .nxdomain: "NX"
        case .alias: "CN"
        case .nodata: "ND"
        case .servfail: "SF"
        case .refused: "RF"
        case .timeout: "T/O"
        case .error: "err"
        case .bogus: "BOG"
        }
    }

    /// Columns kept for a record's reason before server columns are added.
    static let reasonRoom = 24

    /// When the last stale copy expires, as the time of day (UTC), from the check's observed
    /// values: a column of its own, so it is never the part of the reason that is cut.
    static func eta(_ report: CheckReport) -> String? {
        guard case .text(let text)? = report.observed["eta"], let date = try? Date(text, strategy: .iso8601) else { return nil }
        return timeOfDay(date)
    }

    /// The propagation grid: a row per record, a column per server (resolvers first, then the
    /// new and the old nameservers), with the share converged; the delegation on top.
    func dns(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == .dns }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no DNS checks.", .muted)])] }
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
        // The reason (with the ETA) matters more than every resolver's column: on a narrow
        // pane the resolvers' columns give way first, then the nameservers'.
        let etas = Dictionary(reports.compactMap { report in Self.eta(report).map { (report.check.id, $0) } }, uniquingKeysWith: { first, _ in first })
        let etaWidth = etas.isEmpty ? 0 : 14
        let room = max(0, (width - 2 - 38 - etaWidth - Self.reasonRoom) / 5)
        var shown = Array(servers.indices)
        if shown.count > room {
            let authorities = shown.filter { servers[$0].role != .resolver }
            let resolvers = shown.filter { servers[$0].role == .resolver }
            shown = (resolvers.prefix(max(0, room - authorities.count)) + authorities.prefix(room)).sorted()
        }
        let hidden = servers.count - shown.count
        var rows: [PaneRow] = []
        if !servers.isEmpty {
            let header = shown.map { labels[$0].padded(to: 5) }.joined()
            rows.append(PaneRow([("".padded(to: 38 + etaWidth), .muted), (header, .muted)], detail: { legend }))
        }
        for report in reports {
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), .text)]
            if case .dnsRecord(let grid)? = state.latest[report.check.id]?.evidence {
                segments.append((String(format: " %3.0f%% ", grid.converged * 100), .muted))
                if etaWidth > 0 { segments.append(((etas[report.check.id].map { " ETA \($0)" } ?? "").padded(to: etaWidth), .text)) }
                for server in shown.map({ servers[$0] }) {
                    let cell = grid.cells.first { $0.server == server }
                    let code = cell.map { Self.code($0.state) } ?? "-"
                    let role: ThemeRole = cell.map { $0.state == .match ? .statusPass : ($0.state == .previous ? .statusWarn : .statusFail) } ?? .muted
                    segments.append((code.padded(to: 5), role))
                }
            }
            segments.append((" " + report.detail, report.status == .fail ? .statusFail : .text))
            rows.append(PaneRow(segments, status: report.status, id: .check(report.check.id), detail: { Self.detail(report, state: state) }))
        }
        if !legend.isEmpty {
            let note = hidden > 0 ? ["\(hidden) more columns on a wider screen; enter on a record lists every answer"] : []
            rows.append(PaneRow([((shown.map { legend[$0] } + note).joined(separator: " · "), .muted)], detail: { legend }))
        }
        return rows
    }
}
