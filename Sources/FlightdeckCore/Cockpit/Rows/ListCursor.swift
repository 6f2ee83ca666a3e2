import Foundation

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
