import Foundation

/// Text as a terminal shows it: how many cells it takes, wrapped into lines, or cut to fit.
public enum ScreenText {
    /// How many cells a character takes: 2 for East Asian wide and fullwidth characters and
    /// emoji, 0 for combining marks and zero-width characters, otherwise 1.
    public static func width(_ character: Character) -> Int {
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
    public static func width(_ text: String) -> Int {
        text.reduce(0) { $0 + width($1) }
    }

    /// `text` in lines of at most `width` columns, broken between words (a word longer than
    /// a line is broken where it must be); its indentation is kept on every line.
    public static func wrap(_ text: String, width: Int) -> [String] {
        let indent = String(text.prefix { $0 == " " })
        let room = width - indent.count
        guard room > 0 else { return [String(text.prefix(max(0, width)))] }
        var pieces: [(text: String, width: Int)] = []
        for word in text.split(separator: " ") {
            var chunk = ""
            var chunkWidth = 0
            for character in word {
                let characterWidth = Self.width(character)
                if chunkWidth + characterWidth > room, !chunk.isEmpty {
                    pieces.append((chunk, chunkWidth))
                    chunk = ""
                    chunkWidth = 0
                }
                chunk.append(character)
                chunkWidth += characterWidth
            }
            pieces.append((chunk, chunkWidth))
        }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        for piece in pieces {
            if lineWidth > 0, lineWidth + 1 + piece.width > room {
                lines.append(indent + line)
                line = ""
                lineWidth = 0
            }
            line += lineWidth > 0 ? " " + piece.text : piece.text
            lineWidth += (lineWidth > 0 ? 1 : 0) + piece.width
        }
        if !line.isEmpty || lines.isEmpty { lines.append(indent + line) }
        return lines
    }

    /// `text` cut to `width` columns: whole, or ended with `…` at a word boundary where one
    /// is near enough.
    public static func fit(_ text: String, width: Int) -> String {
        guard Self.width(text) > width else { return text }
        guard width > 1 else { return width == 1 ? "…" : "" }
        var cut = ""
        var cutWidth = 0
        for character in text {
            let characterWidth = Self.width(character)
            if cutWidth + characterWidth > width - 1 { break }
            cut.append(character)
            cutWidth += characterWidth
        }
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) >= cut.count * 2 / 3 {
            cut = String(cut[..<space])
        }
        while cut.last == " " { cut.removeLast() }
        return cut + "…"
    }
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

extension String {
    /// The rest after `prefix`, or nil when it does not start with it.
    func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
