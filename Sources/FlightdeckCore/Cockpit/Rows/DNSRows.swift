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

    /// One vantage's line of a record's grid: its cells, the share it sees converged and its
    /// ETA; `view` is nil when this host alone sees the record.
    struct VantageGrid {
        var view: VantageView?
        var cells: [PropagationCell]
        var convergedPercent: Double?
        var eta: String?
    }

    /// A record's grid from each vantage that sees it: this host's from its probe's evidence,
    /// an agent's from the cells it published.
    static func grids(_ report: CheckReport, state: CockpitState) -> [VantageGrid] {
        func eta(_ observed: [String: ObservedValue]) -> String? {
            guard case .text(let text)? = observed["eta"], let date = try? Date(text, strategy: .iso8601) else { return nil }
            return timeOfDay(date)
        }
        var local: (cells: [PropagationCell], converged: Double?) = ([], nil)
        if case .dnsRecord(let grid)? = state.latest[report.check.id]?.evidence { local = (grid.cells, grid.converged * 100) }
        guard state.board.isCombined(report.check) else {
            return [VantageGrid(view: nil, cells: local.cells, convergedPercent: local.converged, eta: Self.eta(report))]
        }
        return state.board.views(of: report.check).map { view in
            guard let published = view.outcome else {
                return VantageGrid(view: view, cells: view.stale ? [] : local.cells, convergedPercent: view.stale ? nil : local.converged,
                                   eta: eta(view.observed))
            }
            var converged: Double?
            if case .number(let percent)? = published.observed["converged_percent"] { converged = percent }
            return VantageGrid(view: view, cells: view.stale ? [] : (published.cells ?? []).compactMap(\.cell),
                               convergedPercent: view.stale ? nil : converged, eta: view.stale ? nil : eta(published.observed))
        }
    }

    /// The propagation grid: a row per record, a column per server (resolvers first, then the
    /// new and the old nameservers), with the share converged; the delegation on top. A record
    /// seen from several vantages has a line under it for each: the same resolver from two
    /// networks side by side.
    func dns(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == .dns }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no DNS checks.", .muted)])] }
        let grids = reports.map { Self.grids($0, state: state) }
        var servers: [DNSServerRef] = []
        for cell in grids.joined().flatMap(\.cells) where !servers.contains(cell.server) { servers.append(cell.server) }
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
        let etaWidth = grids.joined().contains { $0.eta != nil } ? 14 : 0
        let room = max(0, (width - 2 - 38 - etaWidth - Self.reasonRoom) / 5)
        var shown = Array(servers.indices)
        if shown.count > room {
            let authorities = shown.filter { servers[$0].role != .resolver }
            let resolvers = shown.filter { servers[$0].role == .resolver }
            shown = (resolvers.prefix(max(0, room - authorities.count)) + authorities.prefix(room)).sorted()
        }
        let hidden = servers.count - shown.count
        func gridSegments(_ grid: VantageGrid?) -> [(String, ThemeRole)] {
            guard let grid, grid.convergedPercent != nil || !grid.cells.isEmpty else { return [] }
            var segments = [(grid.convergedPercent.map { String(format: " %3.0f%% ", $0) } ?? "      ", ThemeRole.muted)]
            if etaWidth > 0 { segments.append(((grid.eta.map { " ETA \($0)" } ?? "").padded(to: etaWidth), .text)) }
            for server in shown.map({ servers[$0] }) {
                let cell = grid.cells.first { $0.server == server }
                let code = cell.map { Self.code($0.state) } ?? "-"
                let role: ThemeRole = cell.map { $0.state == .match ? .statusPass : ($0.state == .previous ? .statusWarn : .statusFail) } ?? .muted
                segments.append((code.padded(to: 5), role))
            }
            return segments
        }
        var rows: [PaneRow] = []
        if !servers.isEmpty {
            let header = shown.map { labels[$0].padded(to: 5) }.joined()
            rows.append(PaneRow([("".padded(to: 38 + etaWidth), .muted), (header, .muted)], detail: { legend }))
        }
        for (report, grids) in zip(reports, grids) {
            let detail: @Sendable () -> [String] = { Self.detail(report, state: state) }
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), .text)]
            if grids.count == 1, grids[0].view == nil {
                segments += gridSegments(grids[0])
            } else if etaWidth > 0 {
                // Seen from several vantages: the record's line has the slowest ETA, each vantage a line of its own.
                segments += [("      ", .muted), ((Self.eta(report).map { " ETA \($0)" } ?? "").padded(to: etaWidth), .text)]
            }
            segments += reason(report, state: state)
            rows.append(PaneRow(segments, status: report.status, id: .check(report.check.id), detail: detail))
            for grid in grids {
                guard let view = grid.view else { continue }
                var line = [status(view.status), ("   @" + view.vantage.padded(to: 19), .muted)] + gridSegments(grid)
                line.append((" " + view.reason, view.status == .fail || view.stale ? .statusFail : .muted))
                rows.append(PaneRow(line, status: view.status, id: .check(report.check.id), detail: detail, isPart: true))
            }
        }
        if !legend.isEmpty {
            let note = hidden > 0 ? ["\(hidden) more columns on a wider screen; enter on a record lists every answer"] : []
            rows.append(PaneRow([((shown.map { legend[$0] } + note).joined(separator: " · "), .muted)], detail: { legend }))
        }
        return rows
    }
}
