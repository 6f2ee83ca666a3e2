import Foundation

/// The certificates pane's coverage grid: each host a certificate must cover, at each endpoint and address.
extension PaneRows {
    /// The coverage grid: each host a certificate must cover, at each endpoint and address.
    func coverage(_ state: CockpitState) -> [PaneRow] {
        var results: [String: [TLSAddressResult]] = [:]
        for endpoint in state.plan.tlsEndpoints {
            if case .tls(let found)? = state.latest[endpoint.id]?.evidence { results[endpoint.id] = found }
        }
        let grid = CoverageGrid(endpoints: state.plan.tlsEndpoints, results: results)
        guard !grid.cells.isEmpty else { return [] }
        var rows = [PaneRow([("Coverage: host x endpoint and address", .title)])]
        let inconsistent = Set(grid.inconsistentHosts)
        for cell in grid.cells {
            let cellStatus = cell.status
            let word = cell.summary
            let days = cell.daysLeft.map { "\($0)d" } ?? "-"
            let fingerprint = cell.fingerprint.map { String($0.prefix(16)) } ?? ""
            rows.append(PaneRow([status(cellStatus), (" \(cell.host)".padded(to: 28), .text),
                                 ("\(cell.endpoint) \(cell.address)".padded(to: 32), .muted),
                                 ("\(days.padded(to: 6)) \(fingerprint) ", .muted),
                                 (word + (inconsistent.contains(cell.host) ? " · differs between addresses" : ""), cellStatus == .pass ? .text : .status(cellStatus))],
                                status: cellStatus, detail: { ["\(cell.host) at \(cell.endpoint) \(cell.address)", word, "days left: \(days)",
                                                               "SHA-256 \(cell.fingerprint ?? "-")"] }))
        }
        return rows
    }
}
