import Foundation

/// One row of a pane: what it says, in which roles, what it is about, and what Enter shows
/// about it (worked out only when asked: a pane may have a thousand rows and one detail view).
public struct PaneRow: Sendable {
    public var segments: [(text: String, role: ThemeRole)]
    public var status: CheckStatus?
    /// What the row is about, for the actions menu.
    public var id: RowID?
    private let detailLines: @Sendable () -> [String]

    public init(_ segments: [(String, ThemeRole)], status: CheckStatus? = nil, id: RowID? = nil,
                detail: @escaping @Sendable () -> [String] = { [] }) {
        self.segments = segments.map { (text: $0.0, role: $0.1) }
        self.status = status
        self.id = id
        detailLines = detail
    }

    public var text: String { segments.map(\.text).joined() }
    /// Whether the row is one of the things a pane lists (a check, an item, a vote, an
    /// alarm), not a heading, a legend or a note: what a pane's count counts.
    public var isItem: Bool { status != nil || id != nil }
    public var detail: [String] { detailLines() }
}

/// What a pane's row is about.
public enum RowID: Sendable, Hashable {
    case check(String)
    case checklistItem(String)
    case role(String)
    /// An override request, by its journal entry.
    case override(Int)
    case alarm(String)
}

/// The mark beside each status word, so no state is told by colour alone; the theme chooses
/// them.
public struct StatusGlyphs: Sendable, Equatable {
    public var pass = "+", warn = "!", fail = "x", unknown = "?"

    public init() {}

    public subscript(status: CheckStatus) -> String {
        switch status {
        case .pass: pass
        case .warn: warn
        case .fail: fail
        case .unknown: unknown
        }
    }
}

/// Where the selection of one pane's list is, and which row is at the top: ratatui's
/// `ListState`, kept by the reducer so moving, clamping and scrolling are decided in one place.
public struct ListCursor: Sendable, Equatable {
    public var selected = 0
    /// The first row on screen.
    public var offset = 0

    /// Moves by `step` rows within `count`, keeping the selection among the `visible` rows on
    /// screen with as little scrolling as possible.
    mutating func move(by step: Int, count: Int, visible: Int) {
        selected += step
        clamp(count: count, visible: visible)
    }

    public mutating func clamp(count: Int, visible: Int) {
        selected = max(0, min(selected, count - 1))
        let visible = max(1, visible)
        if selected < offset { offset = selected }
        if selected >= offset + visible { offset = selected - visible + 1 }
        offset = max(0, min(offset, max(0, count - visible)))
    }
}

/// The screen's size and what follows from it for the panes, known to the reducer (from
/// resize events) and used by the view, so both agree on how many rows a pane shows.
public struct CockpitLayout: Sendable, Equatable {
    public var width: Int
    public var height: Int

    /// How the panes share the screen: one at a time with tabs; two side by side; or, on a
    /// war-room wall, all six at once (two rows of three, in tab order).
    public enum Arrangement: Sendable, Equatable {
        case single, sideBySide, wall
    }

    /// From this width two panes sit side by side; from this size as well all six show.
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
            let column = width / 3
            let top = bodyHeight / 2
            let areas = panes.enumerated().map { index, pane in
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

extension String {
    /// Cut or padded with spaces to `width` characters (no Foundation bridge: this runs for
    /// every row of every frame).
    public func padded(to width: Int) -> String {
        let length = count
        if length >= width { return String(prefix(width)) }
        return self + String(repeating: " ", count: width - length)
    }
}

/// `HH:mm:ss` at a UTC offset, without a formatter: this runs every frame.
public func timeOfDay(_ date: Date, offset: Int = 0) -> String {
    let seconds = (Int(date.timeIntervalSince1970.rounded(.down)) + offset) % 86_400
    let daySeconds = seconds < 0 ? seconds + 86_400 : seconds
    return String(format: "%02d:%02d:%02d", daySeconds / 3600, daySeconds % 3600 / 60, daySeconds % 60)
}
