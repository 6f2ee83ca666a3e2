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
            let cellWidth = Self.displayWidth(character)
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

    /// How many cells a character takes: 2 for East Asian wide and fullwidth characters and
    /// emoji, 0 for combining marks and zero-width characters, otherwise 1.
    public static func displayWidth(_ character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        // Most of a frame is Latin text: answer it without Unicode property lookups.
        if value < 0x300, character.unicodeScalars.count == 1 { return 1 }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// The width `text` takes on screen.
    public static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { $0 + displayWidth($1) }
    }
}
