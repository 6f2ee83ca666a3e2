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
    ClosestMatch(candidates).match(word)
}

/// A did-you-mean search over a fixed list of words, made once and asked many times. Its
/// cost is bounded whatever the input: only words of about the same length are compared,
/// each comparison stops once it cannot beat the best so far, and a word longer than any
/// identifier is not searched at all.
public struct ClosestMatch {
    private let candidates: [(word: String, folded: [Character])]

    static let longestWord = 80

    public init(_ candidates: [String]) {
        self.candidates = candidates.map { ($0, Self.folded($0)) }
    }

    static func folded(_ text: String) -> [Character] {
        Array(text.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    public func match(_ word: String) -> String? {
        guard word.count <= Self.longestWord else { return nil }
        let target = Self.folded(word)
        let tolerance = max(1, min(3, target.count / 3))
        var best: (word: String, distance: Int)?
        for candidate in candidates where abs(candidate.folded.count - target.count) <= tolerance {
            let limit = min(tolerance, (best?.distance ?? Int.max) - 1)
            guard limit >= 0, let distance = editDistance(target, candidate.folded, atMost: limit) else { continue }
            best = (candidate.word, distance)
            if distance == 0 { break }
        }
        return best?.word
    }
}

/// Edit distance between two strings of characters, a swap of two neighbours counting as
/// one edit (`oscp` for `ocsp`: optimal string alignment), or nil once it must exceed `limit`.
func editDistance(_ a: [Character], _ b: [Character], atMost limit: Int) -> Int? {
    if a.isEmpty { return b.count <= limit ? b.count : nil }
    if b.isEmpty { return a.count <= limit ? a.count : nil }
    var beforePrevious = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        var rowBest = current[0]
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], beforePrevious[j - 2] + 1)
            }
            rowBest = min(rowBest, current[j])
        }
        // A row past the limit ends it: every later cell, a swap's too, costs at least as much.
        if rowBest > limit { return nil }
        (beforePrevious, previous, current) = (previous, current, beforePrevious)
    }
    return previous[b.count] <= limit ? previous[b.count] : nil
}
