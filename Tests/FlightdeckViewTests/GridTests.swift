import FlightdeckCore
import FlightdeckView
import Testing

@Suite("Grid")
struct GridTests {
    @Test("text is clipped to its area and the grid")
    func clipping() {
        var grid = Grid(width: 10, height: 2)
        grid.write("launch bar overflow", x: 0, y: 0)
        grid.write("abcdef", x: 2, y: 1, clip: Rect(x: 3, y: 1, width: 3, height: 1))
        #expect(grid.lines == ["launch bar", "   bcd    "])
    }

    @Test("control characters from remote text never reach the terminal")
    func controlCharacters() {
        var grid = Grid(width: 12, height: 1)
        grid.write("ok\u{1B}[2Jbad\u{7}", x: 0, y: 0)
        #expect(grid.lines == ["ok\u{FFFD}[2Jbad\u{FFFD}  "])
    }

    @Test("wide characters take two cells and are never split at the edge")
    func wideCharacters() {
        var grid = Grid(width: 7, height: 1)
        let end = grid.write("漢字ab漢", x: 0, y: 0)
        #expect(end == 6)
        #expect(grid.lines == ["漢字ab "])
        #expect(ScreenText.width("漢字ab") == 6)
        #expect(ScreenText.width("🚀") == 2)
        #expect(ScreenText.width("e\u{301}") == 1)
    }

    @Test("only changed cells are reported; a resize repaints everything")
    func changes() {
        var before = Grid(width: 4, height: 2)
        before.write("GO", x: 0, y: 0)
        var after = before
        after.write("NO", x: 0, y: 1, role: .statusFail)
        #expect(after.changes(since: before).map { [$0.x, $0.y] } == [[0, 1], [1, 1]])
        #expect(Grid(width: 5, height: 2).changes(since: before).count == 10)
    }
}
