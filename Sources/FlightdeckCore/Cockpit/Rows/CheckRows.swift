import Foundation

/// The health and certificates panes: a row per HTTP or TLS check, with the evidence behind it.
extension PaneRows {
    func checks(_ state: CockpitState, reports: [CheckReport], kind: CheckKind, window: Range<Int>?) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == kind }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no \(kind.rawValue.uppercased()) checks.", .muted)])] }
        return reports.enumerated().map { index, report in
            if let window, !window.contains(index) { return PaneRow([], status: report.status, id: .check(report.check.id)) }
            let health = state.board.health[report.check.id]
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), .text)]
            if kind == .http, wide, let health {
                let p95 = health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"
                segments.append((" p95 \(p95.padded(to: 9))", .muted))
                segments.append((Self.sparkline(health.history.suffix(12)) + " ", .muted))
            }
            segments.append((" " + report.detail, report.status == .fail ? .statusFail : .text))
            return PaneRow(segments, status: report.status, id: .check(report.check.id), detail: { Self.detail(report, state: state) })
        }
    }

    /// The evidence behind a check, line by line, for the detail view.
    static func detail(_ report: CheckReport, state: CockpitState) -> [String] {
        var lines = ["\(report.check.title.map { "\($0): " } ?? "")\(report.check.kind.rawValue) \(report.check.target) (\(report.check.severity.rawValue))", report.detail]
        if let health = state.board.health[report.check.id] {
            lines.append("consecutive failures \(health.consecutiveFailures), successes \(health.consecutiveSuccesses); "
                + "p50 \(health.window.p50.map { HTTPEvaluation.milliseconds($0) } ?? "-"), "
                + "p95 \(health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"), p99 \(health.window.p99.map { HTTPEvaluation.milliseconds($0) } ?? "-")")
        }
        for (key, value) in report.observed.sorted(by: { $0.key < $1.key }) {
            if case .list(let items) = value {
                lines.append("\(key):")
                lines += items.map { "  \($0)" }
            } else {
                lines.append("\(key): \(value.display)")
            }
        }
        return lines
    }

    /// The last results' latencies as bars; a failed probe is `✕`, whatever its latency,
    /// so a red result never looks like a fast one.
    static func sparkline(_ points: some Collection<CheckHealth.HistoryPoint>) -> String {
        let values = points.map { point in
            point.status == .fail ? nil : point.latency.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        }
        let highest = values.compactMap { $0 }.max() ?? 0
        let bars = Array("▁▂▃▄▅▆▇█")
        return String(zip(points, values).map { point, value -> Character in
            if point.status == .fail { return "✕" }
            guard let value else { return "·" }
            guard highest > 0 else { return bars[0] }
            return bars[min(bars.count - 1, Int(value / highest * Double(bars.count - 1)))]
        }).padded(to: 12)
    }
}
