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
        case .alarms: return alarms(state)
        case .poll: return poll(state)
        }
    }

    private func status(_ status: CheckStatus) -> (String, ThemeRole) {
        ("\(theme.glyph(status)) \(status.rawValue.uppercased())".padded(to: 9), .status(status))
    }

    private func checks(_ state: CockpitState, reports: [CheckReport], kind: CheckKind, window: Range<Int>?) -> [PaneRow] {
        let reports = reports.filter { $0.check.kind == kind }
        guard !reports.isEmpty else { return [PaneRow([("The plan has no \(kind.rawValue.uppercased()) checks.", .muted)])] }
        return reports.enumerated().map { index, report in
            if let window, !window.contains(index) { return PaneRow([], status: report.status) }
            let health = state.board.health[report.check.id]
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), .text)]
            if kind == .http, wide, let health {
                let p95 = health.window.p95.map { HTTPEvaluation.milliseconds($0) } ?? "-"
                segments.append((" p95 \(p95.padded(to: 9))", .muted))
                segments.append((Self.sparkline(health.history.suffix(12).map(\.latency)) + " ", .muted))
            }
            segments.append((" " + report.detail, report.status == .fail ? .statusFail : .text))
            return PaneRow(segments, status: report.status, detail: { Self.detail(report, state: state) })
        }
    }

    /// The evidence behind a check, line by line, for the detail view.
    private static func detail(_ report: CheckReport, state: CockpitState) -> [String] {
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
        case .alias: "CN"
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
        var rows: [PaneRow] = []
        if !servers.isEmpty {
            let header = labels.map { $0.padded(to: 5) }.joined()
            rows.append(PaneRow([("".padded(to: 38), .muted), (header, .muted)], detail: { legend }))
        }
        for report in reports {
            var segments = [status(report.status), (" " + report.check.id.padded(to: 22), .text)]
            if case .dnsRecord(let grid)? = state.latest[report.check.id]?.evidence {
                segments.append((String(format: " %3.0f%% ", grid.converged * 100), .muted))
                for server in servers {
                    let cell = grid.cells.first { $0.server == server }
                    let code = cell.map { Self.code($0.state) } ?? "-"
                    let role: ThemeRole = cell.map { $0.state == .match ? .statusPass : ($0.state == .previous ? .statusWarn : .statusFail) } ?? .muted
                    segments.append((code.padded(to: 5), role))
                }
            }
            segments.append((" " + report.detail, report.status == .fail ? .statusFail : .text))
            rows.append(PaneRow(segments, status: report.status, detail: { Self.detail(report, state: state) }))
        }
        if !legend.isEmpty { rows.append(PaneRow([(legend.joined(separator: " · "), .muted)], detail: { legend })) }
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

    /// The checklist by phase: each item's state (marked by hand, or proved by its checks),
    /// its owner, severity and mode, and why.
    private func checklist(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
        guard !state.plan.checklist.isEmpty else { return [PaneRow([("The plan has no checklist.", .muted)])] }
        let launch = state.launch ?? LaunchState(plan: state.plan)
        let statuses = state.checkStatuses
        var rows: [PaneRow] = []
        var phase = ""
        for item in state.plan.checklist {
            if item.phase != phase {
                phase = item.phase
                rows.append(PaneRow([(phase, .title)]))
            }
            let itemState = launch.checklistItem(item, checks: statuses)
            let mode = item.mode == .readDo ? "READ-DO" : "DO-CONFIRM"
            let by = itemState.manual.map { " · \($0.mark.rawValue) by \($0.by) \(CockpitView.timeOfDay($0.at, offset: 0))" } ?? ""
            let linked = item.checks.compactMap { id in reports.first { $0.check.id == id } }
            rows.append(PaneRow([("\(theme.glyph(itemState.status)) \(itemState.mark.rawValue.uppercased())".padded(to: 9), .status(itemState.status)),
                                 (" \(item.title)", .text), (" · \(itemState.why)", itemState.status == .fail ? .statusFail : .muted),
                                 (" · \(item.owner), \(item.severity.rawValue), \(mode)", .muted)],
                                status: itemState.status, id: .checklistItem(item.id),
                                detail: { ["\(item.id): \(item.title)", "phase \(item.phase), owner \(item.owner), \(item.severity.rawValue), \(mode)",
                                           "\(itemState.mark.rawValue): \(itemState.why)\(by)"]
                                          + (itemState.manual?.note.map { ["note: \($0)"] } ?? [])
                                          + linked.map { "\($0.check.id): \($0.status.rawValue), \($0.detail)" } }))
        }
        return rows
    }

    /// Alarms by severity then age: what, since when, where it stands (firing, acknowledged,
    /// silenced, resolved) and why.
    private func alarms(_ state: CockpitState) -> [PaneRow] {
        let entries = state.alarms.entries
        guard !entries.isEmpty else {
            return [PaneRow([("No alarms. Rules watch every check; the plan's alarm sources are polled on their interval.", .muted)])]
        }
        return entries.map { entry in
            let alarm = entry.alarm
            let status: CheckStatus = entry.state == .resolved ? .pass : (alarm.severity == .critical ? .fail : (alarm.severity == .warning ? .warn : .unknown))
            let stateWord = entry.state == .firing ? alarm.severity.rawValue.uppercased() : entry.state.rawValue
            let role: ThemeRole = entry.state == .firing ? .status(status) : .muted
            let since = CockpitView.timeOfDay(entry.since, offset: 0)
            let detail: @Sendable () -> [String] = {
                var lines = ["\(alarm.id): \(alarm.severity.rawValue), from \(alarm.source)\(alarm.checkID.map { ", on check \($0)" } ?? "")",
                             alarm.reason, "since \(LaunchRecord.timestamp(entry.since))\(alarm.flapping ? " · flapping" : "")"]
                if let resolved = entry.resolvedAt { lines.append("resolved at \(LaunchRecord.timestamp(resolved))") }
                if let ack = entry.acknowledgement { lines.append("acknowledged by \(ack.by) at \(LaunchRecord.timestamp(ack.at)): \(ack.reason)") }
                for delivery in state.launch?.deliveries["alarm/\(alarm.id)"] ?? [] {
                    lines.append("notified \(delivery.target) at \(LaunchRecord.timestamp(delivery.at)): \(delivery.delivered ? "delivered" : "NOT delivered"), \(delivery.outcome)")
                }
                if let silence = entry.silence {
                    lines.append("silenced by \(silence.by) \(silence.until.map { "until \(LaunchRecord.timestamp($0))" } ?? "until it recovers"): \(silence.reason)")
                }
                return lines
            }
            return PaneRow([("\(theme.glyph(status)) \(stateWord)".padded(to: 14), role), (" \(since) ", .muted),
                            (alarm.flapping ? "FLAPPING " : "", .statusWarn), (alarm.reason, entry.state == .firing ? .text : .muted)],
                           status: entry.state == .firing && alarm.severity != .info ? .fail : nil, id: .alarm(alarm.id), detail: detail)
        }
    }

    /// The poll: where the launch stands, each role in poll order with its vote, the final
    /// GO, overrides, built-in holds, and the newest journal entries.
    private func poll(_ state: CockpitState) -> [PaneRow] {
        guard state.plan.hasPoll else {
            return [PaneRow([("The plan has no go/no-go poll: its checks alone give the verdict.", .muted)])]
        }
        guard let launch = state.launch else {
            return [PaneRow([("The shared launch state is not available: \(state.launchProblem ?? "opening it")", .statusFail)], status: .fail)]
        }
        var rows: [PaneRow] = []
        var headline = "\(launch.phaseName) · \(LaunchState.clock(launch.tMinus(at: state.now)))"
        if let next = launch.nextRole, launch.phase == .pollOpen { headline += " · next to vote: \(next)" }
        if let hold = launch.hold {
            headline += launch.holdExpired(at: state.now) ? " · HOLD EXPIRED: resume or scrub" : " · hold: \(hold.reason)"
            if let expiry = hold.expiresAt, !launch.holdExpired(at: state.now) {
                headline += " (decision in \(LaunchState.clock(expiry.timeIntervalSince(state.now)).dropFirst(2)))"
            }
        }
        rows.append(PaneRow([(headline, launch.hold != nil ? .statusFail : .title)]))
        let now = launch.blockerStatuses(checks: state.checkStatuses)
        for role in launch.requiredRoles + [state.plan.poll.director] {
            let title = state.plan.roles.first { $0.id == role }?.title ?? role
            let label = role == state.plan.poll.director ? "\(title) (final GO)" : title
            guard let vote = launch.votes[role] else {
                let people = state.plan.approvers.filter { $0.role == role }.map(\.name).joined(separator: ", ")
                rows.append(PaneRow([status(.unknown), (" \(label.padded(to: 28)) ", .text), ("no vote · \(people)", .muted)],
                                    status: .unknown, id: .role(role), detail: { ["\(label): no vote yet", "approvers: \(people)"] }))
                continue
            }
            let voteStatus: CheckStatus = vote.staleBecause != nil ? .warn : (vote.choice == .go ? .pass : .fail)
            var text = "\(vote.choice.rawValue.padded(to: 6)) \(vote.approver) \(CockpitView.timeOfDay(vote.at, offset: 0))"
            if let stale = vote.staleBecause { text += " · STALE: \(stale.joined(separator: ", ")) turned red, vote again" }
            if let earlier = vote.supersedes { text += " · supersedes #\(earlier)" }
            if let reason = vote.reason { text += " · \(reason)" }
            let evidence = vote.evidence.items.map { "  \($0.id): \($0.status.rawValue) (now \((now[$0.id] ?? .unknown).rawValue))" }
            rows.append(PaneRow([status(voteStatus), (" \(label.padded(to: 28)) ", .text), (text, voteStatus == .pass ? .text : .status(voteStatus))],
                                status: voteStatus == .warn ? .fail : voteStatus, id: .role(role),
                                detail: { ["\(label): \(vote.choice.rawValue) by \(vote.approver) at \(LaunchRecord.timestamp(vote.at)) (entry \(vote.seq)"
                                           + "\(vote.supersedes.map { ", superseding #\($0)" } ?? ""))",
                                           vote.reason.map { "reason: \($0)" } ?? "no reason given",
                                           vote.staleBecause.map { "STALE: \($0.joined(separator: ", ")) turned red since" } ?? "current",
                                           "evidence \(vote.evidence.digest), the blockers as the voter saw them:"] + evidence }))
        }
        for override in launch.overrides {
            let approved = override.approvedBy.map { "approved by \($0)" } ?? "awaiting a second approver"
            rows.append(PaneRow([status(override.approvedBy == nil ? .unknown : .warn),
                                 (" BREAK-GLASS #\(override.seq) waive \(override.waive.joined(separator: ", ")): \(override.reason) · asked by \(override.requestedBy), \(approved)", .statusWarn)],
                                id: .override(override.seq)))
        }
        for hold in state.plan.holds {
            let taken = launch.builtInHoldsTaken.contains(hold.name)
            rows.append(PaneRow([(" built-in hold \(hold.name) at T-\(PlanDuration.format(hold.beforeT0)) for \(PlanDuration.format(hold.duration))\(taken ? " · taken" : "")", .muted)]))
        }
        if !launch.history.isEmpty {
            rows.append(PaneRow([("Journal (newest first)", .title)]))
            for record in launch.history.suffix(8).reversed() {
                rows.append(PaneRow([(" #\(record.seq) \(CockpitView.timeOfDay(record.at, offset: 0)) \(record.actor.approver ?? record.actor.login) · \(record.event.summary)", .muted)],
                                    detail: { ["#\(record.seq) at \(LaunchRecord.timestamp(record.at))", "by \(record.actor.summary), pid \(record.actor.pid)",
                                               record.actor.sshConnection.map { "SSH \($0)" } ?? "not over SSH", record.event.summary] }))
            }
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
