import Foundation

/// The screen's size and what follows from it for the panes, known to the reducer (from
/// resize events) and used by the view, so both agree on how many rows a pane shows.
public struct CockpitLayout: Sendable, Equatable {
    public var width: Int
    public var height: Int

    /// How the panes share the screen: one at a time with tabs; two side by side; or, on a
    /// war-room wall, the six live panes at once (two rows of three, in tab order).
    public enum Arrangement: Sendable, Equatable {
        case single, sideBySide, wall
    }

    /// From this width two panes sit side by side; from this size as well all six live ones show.
    public static let sideBySideWidth = 160
    public static let wallHeight = 48
    /// Below this width a pane's rows give the latency columns up to the reason.
    public static let wideRowWidth = 100

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var arrangement: Arrangement {
        guard width >= Self.sideBySideWidth else { return .single }
        return height >= Self.wallHeight ? .wall : .sideBySide
    }

    /// The body between the tab row and the key bar.
    public var bodyHeight: Int { max(0, height - 4) }

    /// Where each pane on screen goes, relative to the body's top left corner; the focused
    /// pane's first when only some show.
    public func paneAreas(focus: Pane) -> [(pane: Pane, x: Int, y: Int, width: Int, height: Int)] {
        let panes = Pane.allCases
        switch arrangement {
        case .single:
            return [(focus, 0, 0, width, bodyHeight)]
        case .sideBySide:
            let other = panes[(panes.firstIndex(of: focus)! + 1) % panes.count]
            return [(focus, 0, 0, width / 2, bodyHeight), (other, width / 2, 0, width - width / 2, bodyHeight)]
        case .wall:
            // The timeline is the day's record, not a live pane: focused, it has the wall to itself.
            if focus == .timeline { return [(focus, 0, 0, width, bodyHeight)] }
            let column = width / 3
            let top = bodyHeight / 2
            let areas = Pane.live.enumerated().map { index, pane in
                (pane: pane, x: (index % 3) * column, y: index < 3 ? 0 : top,
                 width: index % 3 == 2 ? width - 2 * column : column, height: index < 3 ? top : bodyHeight - top)
            }
            return areas.filter { $0.pane == focus } + areas.filter { $0.pane != focus }
        }
    }

    /// A pane's width when it has the focus.
    public func paneWidth(_ pane: Pane) -> Int { paneAreas(focus: pane)[0].width }
    /// The rows a pane shows when it has the focus: its area less its title.
    public func paneRows(_ pane: Pane) -> Int { max(1, paneAreas(focus: pane)[0].height - 1) }
    /// A detail view's lines on screen, between its title and its footer, and their width.
    public var detailRows: Int { max(1, height - 6) }
    public var detailWidth: Int { max(1, width - 4) }
}
