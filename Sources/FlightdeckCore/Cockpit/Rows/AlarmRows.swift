import Foundation

/// The alarms pane: every alarm, firing or not, with where it stands.
extension PaneRows {
    /// Alarms by severity then age: what, since when, where it stands (firing, acknowledged,
    /// silenced, resolved) and why.
    /// - Parameter window: rows outside it carry only their status and id (an alarm storm can
    ///   be hundreds of rows, and a wall shows this pane on every frame).
    func alarms(_ state: CockpitState, window: Range<Int>?) -> [PaneRow] {
        let entries = state.alarms.entries
        guard !entries.isEmpty else {
            return [PaneRow([("No alarms. Rules watch every check; the plan's alarm sources are polled on their interval.", .muted)])]
        }
        return entries.enumerated().map { index, entry in
            let alarm = entry.alarm
            let rowStatus: CheckStatus? = entry.state == .firing && alarm.severity != .info ? .fail : nil
            if let window, !window.contains(index) { return PaneRow([], status: rowStatus, id: .alarm(alarm.id)) }
            let status: CheckStatus = entry.state == .resolved ? .pass : (alarm.severity == .critical ? .fail : (alarm.severity == .warning ? .warn : .unknown))
            let stateWord = entry.state == .firing ? alarm.severity.rawValue.uppercased() : entry.state.rawValue
            let role: ThemeRole = entry.state == .firing ? .status(status) : .muted
            let since = timeOfDay(entry.since)
            let detail: @Sendable () -> [String] = {
                var lines = ["\(alarm.id): \(alarm.severity.rawValue), from \(alarm.source)\(alarm.checkID.map { ", on check \($0)" } ?? "")",
                             alarm.reason, "since \(LaunchRecord.timestamp(entry.since))\(alarm.flapping ? " · flapping" : "")"]
                if let runbook = state.plan.runbook(for: alarm) { lines.append("runbook: \(runbook.line)") }
                if let window = entry.expectedIn { lines.append("expected in the window \(window): no bell, no notification") }
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
            return PaneRow([("\(glyphs[status]) \(stateWord)".padded(to: 14), role), (" \(since) ", .muted),
                            (alarm.flapping ? "FLAPPING " : "", .statusWarn), (entry.expectedIn.map { "expected (\($0)) " } ?? "", .statusWarn),
                            (alarm.reason, entry.state == .firing ? .text : .muted)],
                           status: rowStatus, id: .alarm(alarm.id), detail: detail)
        }
    }
}
