import Foundation

/// One row of a pane: what it says, in which roles, what it is about, and what Enter shows
/// about it (worked out only when asked: a pane may have a thousand rows and one detail view).
public struct PaneRow: Sendable {
    public var segments: [(text: String, role: ThemeRole)]
    public var status: CheckStatus?
    /// What the row is about, for the actions menu.
    public var id: RowID?
    /// A line under an item that shows part of it (one vantage's view of a check): not an
    /// item of its own.
    public var isPart: Bool
    private let detailLines: @Sendable () -> [String]

    public init(_ segments: [(String, ThemeRole)], status: CheckStatus? = nil, id: RowID? = nil,
                detail: @escaping @Sendable () -> [String] = { [] }, isPart: Bool = false) {
        self.segments = segments.map { (text: $0.0, role: $0.1) }
        self.status = status
        self.id = id
        self.isPart = isPart
        detailLines = detail
    }

    public var text: String { segments.map(\.text).joined() }
    /// Whether the row is one of the things a pane lists (a check, an item, a vote, an
    /// alarm), not a heading, a legend, a note or a part of another: what a pane's count counts.
    public var isItem: Bool { !isPart && (status != nil || id != nil) }
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
    /// An entry of the Timeline pane, by its place from the newest.
    case timelineEntry(Int)
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
