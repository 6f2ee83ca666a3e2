import Foundation
import Yams

/// Reads a YAML file (plan, theme or keymap) into typed values while collecting every problem
/// it finds, each with its line, column and key path, instead of stopping at the first.
///
/// Readers return nil for a value they could not read, after reporting why; the caller keeps
/// going so that one run shows every problem.
public final class YAMLDocument {
    public let file: String
    public private(set) var diagnostics: [PlanDiagnostic] = []
    /// What is worth knowing but does not stop the plan loading.
    public private(set) var warnings: [PlanDiagnostic] = []
    /// Checking a plan, not running it: a secret the environment lacks is a warning, so a
    /// plan can be linted (in a pull request) without production secrets.
    public var secretsMayBeMissing = false
    /// The root node, or nil when the text is not YAML (the problem is already reported).
    /// Made on demand: a node holds its document, so the document must not hold a node.
    public var root: YAMLNode? { composed.map { YAMLNode(node: $0, path: "", document: self) } }
    private var composed: Node?

    /// Beyond this many nodes a file is refused: no plan is this big, but a few lines of
    /// nested aliases can expand to billions.
    static let nodeLimit = 200_000

    public init(file: String, text: String) {
        self.file = file
        guard reportIndentationTabs(in: text) else { return }
        do {
            // Values are typed by the readers, not by YAML's tag regexes (a third of the load time).
            guard let node = try Yams.compose(yaml: text, .basic) else {
                report(at: SourceLocation(line: 1, column: 1), path: "", ValueError("the file is empty"))
                return
            }
            // One walk before anything reads a value bounds every later step: the tree's size
            // (aliases can expand to billions) and each value's length (a time zone's lookup,
            // a did-you-mean search).
            switch Self.measure(node) {
            case .tooManyNodes:
                report(at: SourceLocation(line: 1, column: 1), path: "", ValueError(
                    "the file expands to more than \(Self.nodeLimit) values",
                    hint: "look for aliases (*name) that refer to each other"))
                return
            case .longScalar(let length, let mark):
                let location = mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? SourceLocation(line: 1, column: 1)
                report(at: location, path: "", ValueError(
                    "a value of \(length) characters: no value in a plan is longer than \(Self.scalarLimit)",
                    hint: "a long text (a request body, a certificate) belongs in a file the plan names"))
                return
            case .withinLimits:
                break
            }
            composed = node
        } catch let error as YamlError {
            reportSyntaxError(error, in: text)
        } catch {
            report(at: SourceLocation(line: 1, column: 1), path: "", ValueError("cannot read YAML: \(error)"))
        }
    }

    public func warn(at location: SourceLocation, path: String, _ message: String, hint: String? = nil) {
        warnings.append(PlanDiagnostic(file: file, location: location, path: path, message: message, hint: hint))
    }

    public func report(at location: SourceLocation, path: String, _ error: ValueError) {
        diagnostics.append(PlanDiagnostic(file: file, location: location, path: path, message: error.message, hint: error.hint))
    }

    /// YAML indents with spaces only; libyaml's own message for a tab is cryptic.
    private func reportIndentationTabs(in text: String) -> Bool {
        var clean = true
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            guard let tab = indentation.firstIndex(of: "\t") else { continue }
            clean = false
            report(at: SourceLocation(line: index + 1, column: line.distance(from: line.startIndex, to: tab) + 1), path: "",
                   ValueError("a tab in the indentation", hint: "YAML indents with spaces only; replace the tab with spaces"))
        }
        return clean
    }

    private func reportSyntaxError(_ error: YamlError, in text: String) {
        switch error {
        case .parser(let context?, let problem, let mark, _)
            where problem.hasPrefix("did not find expected ',' or") && mark.line > context.mark.line:
            // A bracket left open is found only where the file (or the next key) ends it:
            // point at the bracket, as a compiler does for an unclosed delimiter.
            let opener = problem.hasSuffix("']'") ? "[" : "{"
            report(at: SourceLocation(line: context.mark.line, column: context.mark.column), path: "",
                   ValueError("YAML syntax: this \(opener) is never closed", hint: "close it with \(opener == "[" ? "]" : "}") on this line, or put a comma between its items"))
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            report(at: SourceLocation(line: mark.line, column: mark.column), path: "", Self.explain(problem))
        case .composer(_, let problem, let mark, _):
            let hint = problem.contains("undefined alias") ? "define the anchor (&name) before using the alias (*name)" : nil
            report(at: SourceLocation(line: mark.line, column: mark.column), path: "", ValueError("YAML: \(problem)", hint: hint))
        case .duplicatedKeysInMapping(let keys, let context):
            reportDuplicateKeys(keys, firstAt: context.mark, in: text)
        case .reader(let problem, let offset, _, _):
            let location = offset.map { Self.location(ofUTF8Offset: $0, in: text) } ?? SourceLocation(line: 1, column: 1)
            report(at: location, path: "", ValueError("the file cannot be read as text: \(problem)",
                                                      hint: "plans are UTF-8 text without control characters"))
        default:
            report(at: SourceLocation(line: 1, column: 1), path: "", ValueError("cannot read YAML: \(error)"))
        }
    }

    private static func explain(_ problem: String) -> ValueError {
        let hints: [(String, String)] = [
            ("mapping values are not allowed", "a value holding `: ` must be quoted, or the line is indented wrongly"),
            ("did not find expected key", "check the indentation of this line against the keys above it"),
            ("did not find expected '-' indicator", "list items must line up under each other"),
            ("could not find expected ':'", "a key needs a colon after it, or a multi-line value must be quoted"),
            ("found undefined tag handle", "remove the `!` tag or quote the value"),
            ("found character that cannot start any token", "quote a value that starts with `@` or a backquote"),
            ("found unexpected end of stream", "a quoted value is not closed"),
            ("did not find expected ',' or ']'",
             "items of a [list] are separated by commas; a TXT record of several strings (DKIM) is one value: '\"first part\" \"second part\"'"),
        ]
        let hint = hints.first { problem.contains($0.0) }?.1
        return ValueError("YAML syntax: \(problem)", hint: hint)
    }

    /// Yams names the duplicated keys and the first one's position; the position worth showing
    /// is the repeat, found as the next line that holds the same key at the same column.
    private func reportDuplicateKeys(_ keys: [String], firstAt mark: Mark, in text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let firstLine = mark.line
        for key in keys {
            var repeatLine: Int?
            for lineNumber in (firstLine + 1)...max(firstLine + 1, lines.count) where lineNumber <= lines.count {
                let line = lines[lineNumber - 1]
                let column = line.prefix { $0 == " " || $0 == "-" }.count
                guard column == mark.column - 1 else { continue }
                let rest = line.dropFirst(column)
                if rest.hasPrefix(key), rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                    repeatLine = lineNumber
                    break
                }
            }
            let location = SourceLocation(line: repeatLine ?? mark.line, column: mark.column)
            report(at: location, path: "", ValueError(
                "duplicate key `\(key)` (first at line \(mark.line))",
                hint: "YAML would silently keep only one of them; remove or rename one"))
        }
    }

    private static func location(ofUTF8Offset offset: Int, in text: String) -> SourceLocation {
        let prefix = text.utf8.prefix(offset)
        let line = prefix.filter { $0 == 0x0a }.count + 1
        let column = prefix.reversed().prefix { $0 != 0x0a }.count + 1
        return SourceLocation(line: line, column: column)
    }

    /// The longest value a plan, theme or keymap may hold.
    static let scalarLimit = 16_384

    private enum Measure {
        case withinLimits, tooManyNodes
        case longScalar(length: Int, mark: Mark?)
    }

    private static func measure(_ node: Node) -> Measure {
        var count = 0
        var pending = [node]
        while let next = pending.popLast() {
            count += 1
            if count > nodeLimit { return .tooManyNodes }
            switch next {
            case .mapping(let mapping):
                for (key, value) in mapping { pending.append(key); pending.append(value) }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence)
            case .scalar(let scalar):
                if scalar.string.utf8.count > scalarLimit { return .longScalar(length: scalar.string.count, mark: next.mark) }
            case .alias:
                break
            }
        }
        return .withinLimits
    }
}

/// A node of a ``YAMLDocument`` with its key path, read into typed values.
public struct YAMLNode {
    let node: Node
    public let path: String
    let document: YAMLDocument

    public var location: SourceLocation {
        node.mark.map { SourceLocation(line: $0.line, column: $0.column) } ?? SourceLocation(line: 1, column: 1)
    }

    public func report(_ error: ValueError) {
        document.report(at: location, path: path, error)
    }

    public func report(_ message: String, hint: String? = nil) {
        report(ValueError(message, hint: hint))
    }

    func child(_ node: Node, key: String) -> YAMLNode {
        YAMLNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", document: document)
    }

    func element(_ node: Node, index: Int) -> YAMLNode {
        YAMLNode(node: node, path: "\(path)[\(index)]", document: document)
    }

    /// A short description of what this node is, for "expected X, got Y".
    var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull { return "nothing" }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            return "`\(text)`"
        }
    }

    /// Whether this is the plain word `word` (a keyword standing where a list may be).
    func isWord(_ word: String) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return scalar.string == word
    }

    /// A plain scalar YAML reads as null: nothing at all, `~` or `null`.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    // MARK: Containers

    /// Reads a mapping whose keys must all be among `keys`; an unknown key is reported with the
    /// closest known one, or with what `misplaced` says of it (a key that belongs elsewhere).
    public func mapping(keys: [String], misplaced: (String) -> String? = { _ in nil }) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping of keys to values, got \(kindDescription)")
            return nil
        }
        var entries: [(key: String, value: YAMLNode)] = []
        var misspelled: Set<String> = []
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !keyScalar.string.isEmpty else {
                YAMLNode(node: keyNode, path: path, document: document).report("a key must be a plain word")
                continue
            }
            let key = keyScalar.string
            guard keys.contains(key) else {
                let guess = closestMatch(to: key, among: keys)
                if let guess { misspelled.insert(guess) }
                let hint = guess.map { "did you mean `\($0)`?" } ?? misplaced(key) ?? "known keys here: \(keys.joined(separator: ", "))"
                YAMLNode(node: keyNode, path: path, document: document).report("unknown key `\(key)`", hint: hint)
                continue
            }
            entries.append((key, child(valueNode, key: key)))
        }
        return YAMLMapping(node: self, entries: entries, misspelled: misspelled)
    }

    /// Reads a mapping whose keys are data (header names, say) rather than a fixed set.
    public func entries() -> [(key: String, keyNode: YAMLNode, value: YAMLNode)]? {
        guard case .mapping(let mapping) = node else {
            report("expected a mapping, got \(kindDescription)")
            return nil
        }
        return mapping.map { keyNode, valueNode in
            let key = keyNode.string ?? ""
            return (key, YAMLNode(node: keyNode, path: path, document: document), child(valueNode, key: key))
        }
    }

    /// Reads a list, each element with its own path (`http[2]`).
    public func list() -> [YAMLNode]? {
        guard case .sequence(let sequence) = node else {
            report("expected a list, got \(kindDescription)", hint: isNull ? "write [] for an empty list" : "start each item with `- `")
            return nil
        }
        return sequence.enumerated().map { element($1, index: $0) }
    }

    /// Reads a list whose elements are each read by `read`; nil when it is not a list. Elements
    /// that fail to read are dropped after being reported.
    public func list<T>(_ read: (YAMLNode) -> T?) -> [T]? {
        list()?.compactMap(read)
    }

    // MARK: Scalars

    /// The text of any scalar, whatever YAML would resolve it to; for numbers and keywords
    /// whose own parser checks them.
    public func scalarText() -> String? {
        guard case .scalar(let scalar) = node, !isNull else {
            report(isNull ? "a value is missing here" : "expected a single value, got \(kindDescription)")
            return nil
        }
        return scalar.string
    }

    /// Reads text. A bare word YAML reads as a boolean or null (`no`, `on`, `~`) is refused,
    /// because other YAML tools would not read it as text.
    public func string() -> String? {
        guard let text = scalarText() else { return nil }
        if case .scalar(let scalar) = node, scalar.style == .plain, Self.booleanWords.contains(text) {
            report("`\(text)` is read by YAML as a boolean, not as text",
                   hint: "quote it: \"\(text)\"")
            return nil
        }
        return text
    }

    /// Reads text that must not be empty and must not reference secrets.
    public func word() -> String? {
        guard let text = string() else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            report("this cannot be empty")
            return nil
        }
        if !SecretText.references(in: text).isEmpty {
            report("`${...}` is not expanded here",
                   hint: "secrets are expanded only in URLs, headers, bodies, proxies, PIN hashes and a command's env")
            return nil
        }
        return text
    }

    /// YAML 1.1 booleans, which Yams and many other tools still honour.
    static let booleanWords: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    public func bool() -> Bool? {
        guard let text = scalarText() else { return nil }
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default:
            report("expected true or false, got \(kindDescription)")
            return nil
        }
    }

    public func int(in range: ClosedRange<Int>) -> Int? {
        guard let text = scalarText() else { return nil }
        guard let value = Int(text), range.contains(value) else {
            report("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(kindDescription)")
            return nil
        }
        return value
    }

    /// Reads text and parses it, reporting the parser's error at this node.
    public func parse<T>(_ parser: (String) -> Result<T, ValueError>) -> T? {
        guard let text = string() else { return nil }
        switch parser(text) {
        case .success(let value): return value
        case .failure(let error):
            report(error)
            return nil
        }
    }

    /// Reads one of an enumeration's raw values.
    public func choice<E: RawRepresentable & CaseIterable>(_ type: E.Type, named noun: String) -> E? where E.RawValue == String {
        guard let text = scalarText() else { return nil }
        if let value = E(rawValue: text) { return value }
        let options = E.allCases.map(\.rawValue)
        let guess = closestMatch(to: text, among: options).map { " (did you mean `\($0)`?)" } ?? ""
        report("`\(text)` is not a \(noun)\(guess)", hint: "expected one of \(options.joined(separator: ", "))")
        return nil
    }

    public func duration() -> Duration? { parse(PlanDuration.parse) }
    public func address() -> SocketAddress? { parse(SocketAddress.parse) }
    public func dnsName(allowWildcard: Bool = false) -> DNSName? { parse { DNSName.parse($0, allowWildcard: allowWildcard) } }

    /// Reads text that may reference `${ENV_NAME}` secrets, resolved from `environment`.
    public func secretText(environment: [String: String]) -> SecretText? {
        guard let template = string() else { return nil }
        let parts: [SecretText.Part]
        do {
            parts = try SecretText.parse(template).parts
        } catch {
            report(error)
            return nil
        }
        var value = ""
        var secrets: [String: String] = [:]
        var complete = true
        for part in parts {
            switch part {
            case .literal(let text):
                value += text
            case .reference(let name):
                guard let resolved = environment[name] else {
                    if document.secretsMayBeMissing {
                        document.warn(at: location, path: path, "the environment variable \(name) is not set",
                                      hint: "fine for checking the plan; every command that runs its probes needs it")
                        continue
                    }
                    report("the environment variable \(name) is not set",
                           hint: "export \(name) before starting Flightdeck; the plan only names secrets")
                    complete = false
                    continue
                }
                guard !resolved.isEmpty else {
                    report("the environment variable \(name) is empty")
                    complete = false
                    continue
                }
                value += resolved
                secrets[name] = resolved
            }
        }
        return complete ? SecretText(template: template, value: value, secrets: secrets) : nil
    }
}

/// A mapping of a ``YAMLDocument`` whose keys have been checked.
public struct YAMLMapping {
    public let node: YAMLNode
    let entries: [(key: String, value: YAMLNode)]
    /// Known keys an unknown key was taken for; their absence is already explained.
    let misspelled: Set<String>

    public subscript(key: String) -> YAMLNode? {
        entries.first { $0.key == key }?.value
    }

    /// The value of a key that must be present; reports it missing otherwise.
    public func required(_ key: String) -> YAMLNode? {
        if let value = self[key] { return value }
        if !misspelled.contains(key) { node.report("missing required key `\(key)`") }
        return nil
    }
}
