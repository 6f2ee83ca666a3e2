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

    /// From this width two panes sit side by side.
    public static let sideBySideWidth = 160
    /// Below this width a pane's rows give the latency columns up to the reason.
    public static let wideRowWidth = 100

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var sideBySide: Bool { width >= Self.sideBySideWidth }
    /// The focused pane's width: all of it, or the left half.
    public var paneWidth: Int { sideBySide ? width / 2 : width }
    /// Rows a pane shows: the screen less the launch bar, tabs, key bar and the pane's title.
    public var paneRows: Int { max(1, height - 5) }
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
