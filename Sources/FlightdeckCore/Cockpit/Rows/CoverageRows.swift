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
        return rows + renewal(state)
    }

    /// Per endpoint: whether the CAA set lets its CA renew it, and where its revocation status came from.
    func renewal(_ state: CockpitState) -> [PaneRow] {
        let endpoints = state.plan.tlsEndpoints.compactMap { endpoint -> (String, String, CheckStatus, String)? in
            guard let observed = state.latest[endpoint.id]?.observed, case .text(let caa)? = observed["caa"] else { return nil }
            // Unread (no verdict) is unknown, not fine.
            let verdict: CAAFinding.Verdict? = if case .text(let word)? = observed["caa_verdict"] { CAAFinding.Verdict(rawValue: word) } else { nil }
            let revocation: String = if case .text(let source)? = observed["revocation"] { source }
                else if case .text(let staple)? = observed["ocsp"] { "staple: \(staple)" } else { "-" }
            return (endpoint.id, caa, verdict?.status ?? .unknown, revocation)
        }
        guard !endpoints.isEmpty else { return [] }
        var rows = [PaneRow([("Renewal (CAA) and revocation, per endpoint", .title)])]
        for (id, caa, caaStatus, revocation) in endpoints {
            rows.append(PaneRow([status(caaStatus), (" \(id)".padded(to: 24), .text), ("\(revocation)".padded(to: 20), .muted),
                                 (caa, caaStatus == .pass ? .text : .status(caaStatus))],
                                status: caaStatus, detail: { [id, "CAA: \(caa)", "revocation: \(revocation)"] }))
        }
        return rows
    }
}
