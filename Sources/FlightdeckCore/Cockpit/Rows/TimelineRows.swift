import Foundation

/// The Timeline pane: the launch day newest first, from the shared record, whoever saw it:
/// each change of a check (the launch's view, and each agent's), each alarm firing and
/// resolving, every journal entry, and the time nobody watched. The filter matches the
/// kind, the severity, the check or alarm and the reason (`/alarm`, `/critical`, `/api`).
extension PaneRows {
    func timeline(_ state: CockpitState, window: Range<Int>?) -> [PaneRow] {
        let entries = state.timelineEntries()
        guard !entries.isEmpty else {
            let waiting = state.timeline.isRead ? "Nothing has happened yet: each change of a check or an alarm, and every journal entry, will show here."
                : "Reading the launch's timeline…"
            return [PaneRow([(waiting, .muted)])]
        }
        return entries.reversed().enumerated().map { index, entry in
            let status = Self.status(of: entry)
            if let window, !window.contains(index) { return PaneRow([], status: status, id: .timelineEntry(index)) }
            let parts = entry.parts(plan: state.plan)
            let role: ThemeRole = status.map { .status($0) } ?? .muted
            let word = (status.map { "\(glyphs[$0]) " } ?? "") + parts.status
            // Narrow, the kind and severity go last: still there for the filter, not in the reason's way.
            let tags = [parts.kind, parts.severity].compactMap { $0 }
            var segments: [(String, ThemeRole)] = [(timeOfDay(entry.at) + " ", .muted)]
            if wide { segments += [(parts.kind.padded(to: 10), .muted), (word.padded(to: 11), role), ((parts.severity ?? "").padded(to: 9), .muted)] }
            else { segments.append((word.padded(to: 11), role)) }
            segments.append((parts.subject.isEmpty ? "" : parts.subject + " ", .text))
            segments.append((parts.text, status == .fail ? .statusFail : .text))
            if !wide { segments.append((" · " + tags.joined(separator: " "), .muted)) }
            return PaneRow(segments, status: status, id: .timelineEntry(index), detail: { Self.detail(entry, state: state) })
        }
    }

    /// What an entry says of the launch: red for a check turning red or a critical alarm
    /// firing, and so on; nil for the journal's entries, which are decisions, not states.
    static func status(of entry: TimelineEntry) -> CheckStatus? {
        switch entry {
        case .change(let change):
            switch change.what {
            case .check(_, _, let status): return status
            case .alarm(_, .firing, let severity, _): return severity == .critical ? .fail : (severity == .warning ? .warn : .unknown)
            case .alarm: return .pass
            }
        case .journal: return nil
        case .unwatched: return .unknown
        }
    }

    static func detail(_ entry: TimelineEntry, state: CockpitState) -> [String] {
        var lines = ["at \(LaunchRecord.timestamp(entry.at))"]
        switch entry {
        case .change(let change):
            switch change.what {
            case .check(let id, let vantage, let status):
                lines.append("check \(id) turned \(status.rawValue) as \(vantage.map { "the vantage \($0)" } ?? "the launch") saw it")
                lines.append(change.reason)
                if let report = state.board.report(for: id) { lines.append("now: \(report.status.rawValue), \(report.detail)") }
                if let runbook = state.plan.runbooks[.check(id)] { lines.append("runbook: \(runbook.line)") }
            case .alarm(let id, let alarmState, let severity, let check):
                lines.append("alarm \(id) (\(severity.rawValue)) \(alarmState.rawValue)\(check.map { ", on check \($0)" } ?? "")")
                lines.append(change.reason)
                if let ack = state.launch?.alarmAcks[id] { lines.append("acknowledged by \(ack.by) at \(LaunchRecord.timestamp(ack.at)): \(ack.reason)") }
                let alarm = Alarm(id: id, severity: severity, source: id.hasPrefix("rule/") ? "rules" : String(id.prefix { $0 != "/" }),
                                  since: .zero, reason: change.reason, checkID: check)
                if let runbook = state.plan.runbook(for: alarm) { lines.append("runbook: \(runbook.line)") }
            }
        case .journal(let record):
            lines.append("journal entry #\(record.seq) (\(record.event.name)), by \(record.actor.summary), proven by \(record.attestation)")
            lines.append(record.event.summary)
        case .unwatched(_, let to):
            lines.append("until \(LaunchRecord.timestamp(to)): no session watched the checks, so nothing is known of them then")
            lines.append("a change in that time shows when the next session saw it: how long a check was red counts only the time watched")
        }
        return lines
    }
}

extension CockpitState {
    /// The timeline as the pane lists it, oldest first: the changes read, the journal's
    /// entries, and the stretches nobody watched since the first of them.
    public func timelineEntries() -> [TimelineEntry] {
        let changes = timeline.recent
        let journal = launch?.history ?? LaunchHistory()
        guard let first = [changes.first?.at, journal.first?.at].compactMap({ $0 }).min() else { return [] }
        let gaps = timeline.isRead ? timeline.unwatched(from: first, to: now) : []
        return TimelineEntry.merged(changes: changes, journal: journal, gaps: gaps)
    }
}
