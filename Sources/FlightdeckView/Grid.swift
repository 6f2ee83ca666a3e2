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

/// One character cell and the semantic role that decides its colour and attributes.
public struct Cell: Sendable, Equatable {
    public var character: Character
    /// A theme role such as `status.go`; the theme turns it into colours and attributes.
    public var role: String

    public static let blank = Cell(character: " ", role: "text")

    public init(character: Character, role: String) {
        self.character = character
        self.role = role
    }
}

/// The in-memory screen every widget draws into; the terminal backend sends only the cells
/// that differ from the previous frame.
public struct Grid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    private var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes `text` from (x, y), clipped to `area`; control characters become `?` so nothing
    /// written here can reach the terminal as an escape sequence.
    public mutating func write(_ text: String, x: Int, y: Int, role: String = "text", clip area: Rect? = nil) {
        let area = area ?? Rect(x: 0, y: 0, width: width, height: height)
        guard y >= area.y, y < area.y + area.height, y < height else { return }
        var column = x
        for character in text {
            guard column < area.x + area.width, column < width else { break }
            if column >= area.x, column >= 0 {
                let safe = character.unicodeScalars.contains { $0.properties.generalCategory == .control } ? "?" : character
                self[column, y] = Cell(character: safe, role: role)
            }
            column += 1
        }
    }

    /// The rows as plain text, for tests and snapshots.
    public var lines: [String] {
        (0..<height).map { y in String((0..<width).map { self[$0, y].character }) }
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
