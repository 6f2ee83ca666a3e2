import FlightdeckCore

/// A position and size on the screen, in cells.
public struct Rect: Sendable, Equatable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }
}

/// One character cell and the semantic role that decides its colour and attributes. A wide
/// character (CJK, most emoji) fills its cell and the next, which holds a continuation.
public struct Cell: Sendable, Equatable {
    public var character: Character
    /// What the cell shows; the theme turns it into colours and attributes.
    public var role: ThemeRole
    /// 1, 2 for a wide character, 0 for the cell a wide character spills into.
    public var width: UInt8

    public static let blank = Cell(character: " ", role: .text, width: 1)

    public init(character: Character, role: ThemeRole, width: UInt8 = 1) {
        self.character = character
        self.role = role
        self.width = width
    }
}

/// A run of cells on one row that links to `url` (OSC 8, where the terminal has it).
public struct Link: Sendable, Equatable {
    public var x: Int, y: Int, width: Int
    public var url: String

    public func covers(_ cell: (x: Int, y: Int)) -> Bool {
        cell.y == y && cell.x >= x && cell.x < x + width
    }
}

/// The in-memory screen every widget draws into; the terminal backend sends only the cells
/// that differ from the previous frame.
public struct Grid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    private var cells: [Cell]
    /// Runs of cells that are links: only ever to what the plan gives (a runbook's URL),
    /// printable ASCII, never text from the network.
    public private(set) var links: [Link] = []

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` from (x, y), clipped to `area`, and returns the column after it. Text
    /// passes the remote-text sanitiser first, so nothing written here can reach the
    /// terminal as a control or escape sequence; wide characters take two cells and are
    /// never split at the edge.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, role: ThemeRole = .text, clip area: Rect? = nil) -> Int {
        let area = area ?? Rect(x: 0, y: 0, width: width, height: height)
        guard y >= area.y, y < area.y + area.height, y >= 0, y < height else { return x }
        let right = min(area.x + area.width, width)
        var column = x
        for character in RemoteText.sanitize(text, limit: Int.max) {
            let cellWidth = ScreenText.width(character)
            guard cellWidth > 0 else { continue }
            guard column + cellWidth <= right else { break }
            if column >= max(area.x, 0) {
                self[column, y] = Cell(character: character, role: role, width: UInt8(cellWidth))
                if cellWidth == 2 { self[column + 1, y] = Cell(character: " ", role: role, width: 0) }
            }
            column += cellWidth
        }
        return column
    }

    /// Marks the cells from (x, y), `width` wide, as a link to `url`; a URL that is not all
    /// printable ASCII, or a run off the grid, is not marked.
    public mutating func link(x: Int, y: Int, width: Int, url: String) {
        guard y >= 0, y < height, x >= 0, width > 0, x + width <= self.width,
              url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return }
        links.append(Link(x: x, y: y, width: width, url: url))
    }

    /// Fills an area with spaces of one role.
    public mutating func fill(_ area: Rect, role: ThemeRole) {
        for y in max(area.y, 0)..<min(area.y + area.height, height) {
            for x in max(area.x, 0)..<min(area.x + area.width, width) { self[x, y] = Cell(character: " ", role: role) }
        }
    }

    /// The rows as plain text, for tests and snapshots (continuation cells left out).
    public var lines: [String] {
        (0..<height).map { y in String((0..<width).compactMap { self[$0, y].width == 0 ? nil : self[$0, y].character }) }
    }

    /// The positions whose cells differ from `previous` (all of them after a resize).
    public func changes(since previous: Grid) -> [(x: Int, y: Int)] {
        guard previous.width == width, previous.height == height else {
            return (0..<height).flatMap { y in (0..<width).map { (x: $0, y: y) } }
        }
        return cells.indices.compactMap { index in
            cells[index] == previous.cells[index] ? nil : (x: index % width, y: index / width)
        }
    }
}
