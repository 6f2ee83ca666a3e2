import Foundation

/// The checklist pane: each item by phase, marked by hand or proved by its checks.
extension PaneRows {
    /// The checklist by phase: each item's state (marked by hand, or proved by its checks),
    /// its owner, severity and mode, and why.
    func checklist(_ state: CockpitState, reports: [CheckReport]) -> [PaneRow] {
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
            let by = itemState.manual.map { " · \($0.mark.rawValue) by \($0.by) \(timeOfDay($0.at))" } ?? ""
            let linked = item.checks.compactMap { id in reports.first { $0.check.id == id } }
            rows.append(PaneRow([("\(glyphs[itemState.status]) \(itemState.mark.rawValue.uppercased())".padded(to: 9), .status(itemState.status)),
                                 (" \(item.title)", .text), (" · \(itemState.why)", itemState.status == .fail ? .statusFail : .muted),
                                 (" · \(item.owner), \(item.severity.rawValue), \(mode)", .muted)],
                                status: itemState.status, id: .checklistItem(item.id),
                                detail: { ["\(item.id): \(item.title)", "phase \(item.phase), owner \(item.owner), \(item.severity.rawValue), \(mode)",
                                           "\(itemState.mark.rawValue): \(itemState.why)\(by)"]
                                          + (state.plan.runbooks[.checklistItem(item.id)].map { ["runbook: \($0.line)"] } ?? [])
                                          + (itemState.manual?.note.map { ["note: \($0)"] } ?? [])
                                          + linked.map { "\($0.check.id): \($0.status.rawValue), \($0.detail)" } }))
        }
        return rows
    }
}
