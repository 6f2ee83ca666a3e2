/// A line and column in a source file, both counted from 1.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One problem found in a plan, theme or keymap file: where, which key, what is wrong and how
/// to put it right.
public struct PlanDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var location: SourceLocation
    /// The key path (`http[2].expect.status`); empty for problems of the file as a whole.
    public var path: String
    public var message: String
    public var hint: String?

    public init(file: String, location: SourceLocation, path: String, message: String, hint: String? = nil) {
        self.file = file
        self.location = location
        self.path = path
        self.message = message
        self.hint = hint
    }

    /// `FILE:LINE:COLUMN: key.path: message`, without the hint.
    public var headline: String {
        let prefix = "\(file):\(location.line):\(location.column):"
        return path.isEmpty ? "\(prefix) \(message)" : "\(prefix) \(path): \(message)"
    }

    /// The headline and, on the next line, the hint.
    public var description: String {
        hint.map { "\(headline)\n    hint: \($0)" } ?? headline
    }
}

/// Why a file could not be loaded: every problem found, in file order.
public struct PlanLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [PlanDiagnostic]

    public init(_ diagnostics: [PlanDiagnostic]) {
        self.diagnostics = diagnostics.sorted { $0.location < $1.location }
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// The known word closest to `word`, when it is close enough to be a likely typo.
public func closestMatch(to word: String, among candidates: [String]) -> String? {
    func folded(_ text: String) -> [Character] {
        Array(text.lowercased().filter { $0 != "_" && $0 != "-" })
    }
    let target = folded(word)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(target, folded(candidate))
        if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let tolerance = max(1, min(3, target.count / 3))
    return best.distance <= tolerance ? best.candidate : nil
}

/// Levenshtein distance between two strings of characters.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
