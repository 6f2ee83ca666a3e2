import Foundation

/// What each pane lists, from the cockpit state: the rows the reducer moves through and acts
/// on, and the view draws. One file per pane beside this one.
struct PaneRows {
    let glyphs: StatusGlyphs
    /// The pane's width: narrow panes give columns up to the reason, which matters more.
    var width: Int

    var wide: Bool { width >= CockpitLayout.wideRowWidth }

    /// - Parameter window: when given, only rows in it are built in full; the others carry
    /// just their status and id (enough for counting, acting and the red-only switch, not
    /// for the filter).
    func rows(_ pane: Pane, state: CockpitState, reports: [CheckReport], window: Range<Int>? = nil) -> [PaneRow] {
        switch pane {
        case .checklist: return checklist(state, reports: reports)
        case .health:
            let top = vantages(state)
            return top + checks(state, reports: reports, kinds: [.http, .aws, .metric, .command],
                                empty: "The plan has no HTTP checks, AWS resources, metrics or commands.", window: window.map { $0.shifted(by: -top.count) })
        case .dns: return vantages(state) + dns(state, reports: reports)
        case .certificates:
            let top = vantages(state)
            return top + checks(state, reports: reports, kinds: [.tls], empty: "The plan has no TLS checks.", window: window.map { $0.shifted(by: -top.count) })
                + coverage(state)
        case .alarms: return alarms(state, window: window)
        case .poll: return poll(state)
        case .timeline: return timeline(state, window: window)
        }
    }

    func status(_ status: CheckStatus) -> (String, ThemeRole) {
        ("\(glyphs[status]) \(status.rawValue.uppercased())".padded(to: 9), .status(status))
    }
}

extension CockpitState {
    /// The rows of a pane after the filter and the red-only switch.
    /// - Parameters:
    ///   - width: the pane's width (the focused pane's by default), which decides the columns.
    ///   - window: the rows to build in full when nothing filters them; all when nil.
    ///   - filtered: false for every row, as if no filter or red-only switch were on.
    public func rows(_ pane: Pane, width: Int? = nil, reports: [CheckReport]? = nil, window: Range<Int>? = nil,
                     filtered: Bool = true) -> [PaneRow] {
        let builder = PaneRows(glyphs: glyphs, width: width ?? layout.paneWidth(focus))
        let narrowed = filtered && (redOnly || !filter.isEmpty)
        let all = builder.rows(pane, state: self, reports: reports ?? board.reports, window: narrowed ? nil : window)
        guard narrowed else { return all }
        return all.filter { row in
            (!redOnly || row.status == .fail) && (filter.isEmpty || row.text.localizedCaseInsensitiveContains(filter))
        }
    }
}

extension Range<Int> {
    /// The same rows counted from `offset` further on.
    func shifted(by offset: Int) -> Range<Int> { (lowerBound + offset)..<(upperBound + offset) }
}
