import Foundation

/// The health and certificates panes: a row per check, with the evidence behind it. Health
/// holds everything that says whether the service works (HTTP endpoints, AWS resources,
/// metrics, test suites and scripts), under a heading per kind when there is more than one.
extension PaneRows {
    /// - Parameter empty: what the pane says when the plan has none of these kinds.
    func checks(_ state: CockpitState, reports: [CheckReport], kinds: [CheckKind], empty: String, window: Range<Int>?) -> [PaneRow] {
        let groups = kinds.map { kind in (kind, reports.filter { $0.check.kind == kind }) }.filter { !$0.1.isEmpty }
        guard !groups.isEmpty else {
            return [PaneRow([(empty, .muted)])]
        }
        var rows: [PaneRow] = []
        for (kind, reports) in groups {
            if groups.count > 1 { rows.append(PaneRow([(Self.heading(kind, count: reports.count), .title)])) }
            for report in reports {
                if let window, !window.contains(rows.count) {
                    rows.append(PaneRow([], status: report.status, id: .check(report.check.id)))
                } else {
                    rows.append(row(report, kind: kind, state: state))
                }
                guard kind.isSeenFromVantages, state.board.isCombined(report.check) else { continue }
                for view in state.board.views(of: report.check) {
                    if let window, !window.contains(rows.count) {
                        rows.append(PaneRow([], status: view.status, id: .check(report.check.id), isPart: true))
                    } else {
                        rows.append(vantageRow(view, of: report, state: state))
                    }
                }
            }
        }
        return rows
    }

    static func heading(_ kind: CheckKind, count: Int) -> String {
        switch kind {
        case .http: "HTTP endpoints (\(count))"
        case .command: "Test suites and scripts (\(count))"
        case .metric: "Metrics (\(count))"
        case .aws: "AWS resources (\(count))"
        case .dns: "DNS (\(count))"
        case .tls: "TLS (\(count))"
        }
    }

    private func row(_ report: CheckReport, kind: CheckKind, state: CockpitState) -> PaneRow {
        let health = state.board.health[report.check.id]
        var segments = [status(report.status), (" " + report.check.id.padded(to: 22), ThemeRole.text)]
        if kind == .http, wide, let health {
            let p95 = health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"
            segments.append((" p95 \(p95.padded(to: 9))", .muted))
            segments.append((Self.sparkline(health.history.suffix(12), after: Self.recorded(before: health, of: report.check, state: state)) + " ", .muted))
        }
        if kind == .command, let age = Self.age(of: report, now: state.now) {
            segments.append((" \(age.padded(to: 8))", .muted))
        }
        segments += reason(report, state: state)
        return PaneRow(segments, status: report.status, id: .check(report.check.id), detail: { Self.detail(report, state: state) })
    }

    /// What follows a check's own columns: that an open window expects it, since when it has
    /// been red (from the timeline, so a cockpit opened mid-launch knows too), and why.
    func reason(_ report: CheckReport, state: CockpitState) -> [(String, ThemeRole)] {
        var segments: [(String, ThemeRole)] = []
        if report.status != .pass, let window = state.launch?.window(expecting: report.check.id, at: state.now) {
            segments.append((" expected (\(window.title)):", .statusWarn))
        }
        if report.status == .fail, let red = state.timeline.redSince(report.check.id, now: state.now) {
            segments.append((" since \(red.watchedThroughout ? "" : "≥")\(timeOfDay(red.since).prefix(5)):", .statusFail))
        }
        segments.append((" " + report.detail, report.status == .fail ? .statusFail : .text))
        return segments
    }

    /// Where this cockpit has fewer than 12 results of its own, the polls before them as the
    /// timeline saw them: `✕` red, `·` not red (no latency known), blank when nobody watched.
    /// A cockpit opened mid-launch is not blank.
    static func recorded(before health: CheckHealth, of check: CheckDescriptor, state: CockpitState) -> String {
        let missing = 12 - min(12, health.history.count)
        guard missing > 0 else { return "" }
        let first = health.history.first.map { state.clockOrigin.addingTimeInterval($0.at.timeInterval) } ?? state.now
        let interval = (state.plan.httpChecks.first { $0.id == check.id }?.timing.interval ?? state.plan.polling.interval).timeInterval
        return String((1...missing).reversed().map { step -> Character in
            switch state.timeline.status(of: check.id, at: first.addingTimeInterval(-Double(step) * interval)) {
            case .fail?: "✕"
            case nil: " "
            default: "·"
            }
        })
    }

    /// One vantage's view of a check, under the check's row: its status, latency and reason.
    private func vantageRow(_ view: VantageView, of report: CheckReport, state: CockpitState) -> PaneRow {
        var segments = [status(view.status), ("   @" + view.vantage.padded(to: 19), ThemeRole.muted)]
        if report.check.kind == .http, wide {
            let latency = view.stale ? nil : view.outcome.map(\.latency) ?? state.board.health[report.check.id]?.latest?.latency
            segments.append((" \((latency.map { HTTPEvaluation.milliseconds($0) } ?? "-").padded(to: 13))", .muted))
        }
        segments.append((" " + view.reason, view.status == .fail || view.stale ? .statusFail : .muted))
        return PaneRow(segments, status: view.status, id: .check(report.check.id), detail: { Self.detail(report, state: state) }, isPart: true)
    }

    /// How long ago a command's result was made: `4m ago`, from its `finished_at`.
    static func age(of report: CheckReport, now: Date) -> String? {
        guard case .text(let text)? = report.observed["finished_at"], let finished = try? Date(text, strategy: .iso8601) else { return nil }
        let seconds = max(0, Int(now.timeIntervalSince(finished)))
        let shown = seconds < 60 ? "\(seconds)s" : seconds < 3600 ? "\(seconds / 60)m" : "\(seconds / 3600)h\(seconds % 3600 / 60 > 0 ? "\(seconds % 3600 / 60)m" : "")"
        return "\(shown) ago"
    }

    /// The evidence behind a check, line by line, for the detail view.
    static func detail(_ report: CheckReport, state: CockpitState) -> [String] {
        var lines = ["\(report.check.title.map { "\($0): " } ?? "")\(report.check.kind.rawValue) \(report.check.target) (\(report.check.severity.rawValue))", report.detail]
        if let runbook = state.plan.runbooks[.check(report.check.id)] { lines.append("runbook: \(runbook.line)") }
        if let window = state.launch?.window(expecting: report.check.id, at: state.now) {
            lines.append("expected red while the window \(window.title) stands: its alarms ring no bell and notify no one; it still counts for GO")
        }
        if report.status == .fail, let red = state.timeline.redSince(report.check.id, now: state.now) {
            let span = TimelineReview.span(state.now.timeIntervalSince(red.since))
            lines.append("red since \(LaunchRecord.timestamp(red.since)) (\(span)), as the timeline has it"
                         + (red.watchedThroughout ? "" : "; red at \(LaunchRecord.timestamp(red.firstSeen)) too, but no session watched in between"))
        }
        let history = state.timeline.changes(of: report.check.id).suffix(8)
        if !history.isEmpty {
            lines.append("timeline: " + history.map { "\(timeOfDay($0.at)) \($0.state)" }.joined(separator: " · ") + " (all of them in the Timeline pane)")
        }
        if let health = state.board.health[report.check.id] {
            lines.append("consecutive failures \(health.consecutiveFailures), successes \(health.consecutiveSuccesses); "
                + "p50 \(health.window.p50.map { HTTPEvaluation.milliseconds($0) } ?? "-"), "
                + "p95 \(health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"), p99 \(health.window.p99.map { HTTPEvaluation.milliseconds($0) } ?? "-")")
        }
        let views = state.board.isCombined(report.check) ? state.board.views(of: report.check) : []
        if !views.isEmpty {
            lines.append("seen from \(views.count) vantages (red when \(min(state.plan.vantages.quorum, views.count)) fail):")
            for view in views {
                let age = view.publishedAt.map { " · published \(VantageView.describe(.seconds(max(0, state.now.timeIntervalSince($0))))) ago" } ?? ""
                lines.append("  \(view.vantage): \(view.status.rawValue)\(view.stale ? " (silent)" : "")\(age): \(view.reason)")
                for cell in view.stale ? [] : (view.outcome?.cells ?? []).compactMap(\.cell) { lines.append("    \(cell.line)") }
            }
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

    /// The last results' latencies as bars, after `recorded` (the cells before them); a failed
    /// probe is `✕`, whatever its latency, so a red result never looks like a fast one, and a
    /// result without a latency is `·`.
    static func sparkline(_ points: some Collection<CheckHealth.HistoryPoint>, after recorded: String = "") -> String {
        let values = points.map { point in
            point.status == .fail ? nil : point.latency.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        }
        let highest = values.compactMap { $0 }.max() ?? 0
        let bars = Array("▁▂▃▄▅▆▇█")
        return (recorded + String(zip(points, values).map { point, value -> Character in
            if point.status == .fail { return "✕" }
            guard let value else { return "·" }
            guard highest > 0 else { return bars[0] }
            return bars[min(bars.count - 1, Int(value / highest * Double(bars.count - 1)))]
        })).padded(to: 12)
    }
}

extension PaneRows {
    /// Where the checks are seen from, over the panes of checks that depend on it: this host
    /// and each agent with the age of its last heartbeat, silent ones marked; none when this
    /// host is the only vantage.
    func vantages(_ state: CockpitState) -> [PaneRow] {
        let board = state.board.vantages
        guard board.hasAgents else { return [] }
        let quorum = state.plan.vantages.quorum
        var segments: [(String, ThemeRole)] = [("Vantages\(quorum > 1 ? " (red when \(quorum) fail)" : ""): ", .title)]
        var lines: [String] = []
        if state.plan.vantages.points.isEmpty || state.plan.vantages.isDeclared(board.localName) {
            segments.append(("\(board.localName) (here)", .text))
            lines.append("\(board.localName): this host")
        }
        for name in board.agentNames {
            let age = board.age(of: name, now: state.now)
            let host = board.agents[name].map { " on \($0.host)" } ?? ""
            if segments.count > 1 { segments.append((" · ", .muted)) }
            if board.isStale(name, now: state.now) {
                let silence = age.map { "SILENT \(VantageView.describe($0))" } ?? "NOT REPORTED"
                segments.append(("\(glyphs[.unknown]) \(name) \(silence)", .statusFail))
                lines.append("\(name)\(host): \(age.map { "silent for \(VantageView.describe($0)), its results count as unknown" } ?? "has not reported")")
            } else {
                let shown = age.map { VantageView.describe($0) } ?? "-"
                segments.append(("\(name) \(shown)", .text))
                lines.append("\(name)\(host): last heartbeat \(shown) ago, every \(PlanDuration.format(board.agents[name]?.every ?? .zero))")
            }
        }
        let detail = ["Where the checks are seen from; a vantage silent for \(state.plan.vantages.staleAfter) heartbeats counts as unknown."] + lines
        return [PaneRow(segments, detail: { detail })]
    }
}
