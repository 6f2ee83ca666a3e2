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
