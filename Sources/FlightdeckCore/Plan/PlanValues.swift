import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The small value types a plan is made of, each with a strict parser that says what is wrong.

/// A fully qualified domain name in its ASCII (A-label) form, lower-cased, without the
/// trailing dot. A leading `*` label marks a wildcard.
public struct DNSName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    public var description: String { text }
    public var labels: [Substring] { text.split(separator: ".", omittingEmptySubsequences: false) }
    public var isWildcard: Bool { text.hasPrefix("*.") }

    public static func < (lhs: DNSName, rhs: DNSName) -> Bool { lhs.text < rhs.text }

    /// Parses a name; returns why it is not one otherwise.
    public static func parse(_ raw: String, allowWildcard: Bool = false) -> Result<DNSName, ValueError> {
        var name = raw
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { return .failure(ValueError("a domain name cannot be empty")) }
        guard name.unicodeScalars.allSatisfy(\.isASCII) else {
            return .failure(ValueError(
                "`\(raw)` is not ASCII",
                hint: "write internationalised names in their A-label form (xn--...)"))
        }
        name = name.lowercased()
        guard name.utf8.count <= 253 else {
            return .failure(ValueError("`\(raw)` is longer than 253 characters"))
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            if label.isEmpty {
                return .failure(ValueError("`\(raw)` has an empty label (two dots in a row?)"))
            }
            if label == "*" {
                guard allowWildcard else {
                    return .failure(ValueError("`\(raw)` is a wildcard, which is not allowed here"))
                }
                guard index == 0, labels.count > 2 else {
                    return .failure(ValueError(
                        "`\(raw)`: a wildcard must be the left-most label of a name below a zone"))
                }
                continue
            }
            guard label.utf8.count <= 63 else {
                return .failure(ValueError("`\(raw)`: the label `\(label)` is longer than 63 characters"))
            }
            let allowed = label.utf8.allSatisfy { byte in
                (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2d || byte == 0x5f
            }
            guard allowed else {
                if label.contains("*") {
                    return .failure(ValueError(
                        "`\(raw)`: a wildcard must be a whole label (`*.example.com`), not part of one"))
                }
                return .failure(ValueError(
                    "`\(raw)`: the label `\(label)` may hold only letters, digits, `-` and `_`"))
            }
            if label.hasPrefix("-") || label.hasSuffix("-") {
                return .failure(ValueError("`\(raw)`: the label `\(label)` cannot start or end with `-`"))
            }
        }
        return .success(DNSName(uncheckedText: name))
    }

    /// For names already known to be well formed (or escaped, from the wire).
    init(uncheckedText text: String) { self.text = text }

    /// Whether this name is `zone` itself or below it.
    public func isWithin(_ zone: DNSName) -> Bool {
        text == zone.text || text.hasSuffix("." + zone.text)
    }
}

/// An IP address with an optional port, as written `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1`
/// or `[2001:db8::1]:5353`.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case ipv4, ipv6 }

    /// The address in its canonical text form.
    public let host: String
    public let family: Family
    public let port: UInt16?

    public var description: String {
        let host = family == .ipv6 ? "[\(host)]" : host
        return port.map { "\(host):\($0)" } ?? host
    }

    public func withDefaultPort(_ defaultPort: UInt16) -> SocketAddress {
        SocketAddress(host: host, family: family, port: port ?? defaultPort)
    }

    public var isLoopback: Bool {
        family == .ipv4 ? host.hasPrefix("127.") : host == "::1"
    }

    public static func parse(_ raw: String) -> Result<SocketAddress, ValueError> {
        let notAnAddress = ValueError(
            "`\(raw)` is not an IP address",
            hint: "write 192.0.2.10, 192.0.2.10:8443, 2001:db8::10 or [2001:db8::10]:8443")
        var host = Substring(raw)
        var port: UInt16?
        if raw.hasPrefix("[") {
            guard let close = raw.firstIndex(of: "]") else { return .failure(notAnAddress) }
            host = raw[raw.index(after: raw.startIndex)..<close]
            let rest = raw[raw.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .failure(notAnAddress) }
                switch parsePort(String(rest.dropFirst())) {
                case .success(let value): port = value
                case .failure(let error): return .failure(error)
                }
            }
            guard let canonical = canonicalIP(String(host), family: AF_INET6) else { return .failure(notAnAddress) }
            return .success(SocketAddress(host: canonical, family: .ipv6, port: port))
        }
        if let canonical = canonicalIP(raw, family: AF_INET6) {
            return .success(SocketAddress(host: canonical, family: .ipv6, port: nil))
        }
        if let colon = raw.lastIndex(of: ":") {
            host = raw[..<colon]
            switch parsePort(String(raw[raw.index(after: colon)...])) {
            case .success(let value): port = value
            case .failure(let error): return .failure(error)
            }
        }
        guard isDottedQuad(host), let canonical = canonicalIP(String(host), family: AF_INET) else {
            return .failure(notAnAddress)
        }
        return .success(SocketAddress(host: canonical, family: .ipv4, port: port))
    }

    /// inet_pton accepts only strict dotted quads for AF_INET; this keeps the error message ours.
    private static func isDottedQuad(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCIIDigit) }
    }

    private static func canonicalIP(_ text: String, family: Int32) -> String? {
        var storage = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family, text, &storage) == 1 else { return nil }
        var output = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, storage, &output, socklen_t(output.count)) != nil else { return nil }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private init(host: String, family: Family, port: UInt16?) {
        self.host = host
        self.family = family
        self.port = port
    }
}

/// Parses a TCP or UDP port, 1 to 65535.
public func parsePort(_ text: String) -> Result<UInt16, ValueError> {
    guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), let value = Int(text), (1...65535).contains(value) else {
        return .failure(ValueError("`\(text)` is not a port", hint: "a port is a number from 1 to 65535"))
    }
    return .success(UInt16(value))
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Why a value in a plan was rejected, with a hint on how to write it.
public struct ValueError: Error, Sendable, Equatable {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

// MARK: - Durations

public enum PlanDuration {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Parses `250ms`, `10s`, `5m`, `2h`, `14d` and sums such as `1h30m`.
    public static func parse(_ text: String) -> Result<Duration, ValueError> {
        let invalid = ValueError(
            "`\(text)` is not a duration",
            hint: "write a number with a unit: 250ms, 10s, 5m, 2h, 14d (or 1h30m)")
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            return .failure(ValueError("`\(text)` has no unit", hint: "write \(text)s for seconds or \(text)ms for milliseconds"))
        }
        var total: Int64 = 0
        var rest = Substring(text)
        guard !rest.isEmpty else { return .failure(invalid) }
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCIIDigit)
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return .failure(invalid) }
            rest = rest.dropFirst(digits.count)
            // "ms" must be tried before "m".
            guard let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count })
                .first(where: { rest.hasPrefix($0.suffix) }) else { return .failure(invalid) }
            rest = rest.dropFirst(unit.suffix.count)
            total += number * unit.milliseconds
        }
        return .success(.milliseconds(total))
    }

    /// Formats a duration the way plans write it: `250ms`, `10s`, `1h30m`, `14d`.
    public static func format(_ duration: Duration) -> String {
        var remaining = Int64(duration.components.seconds) * 1_000
            + duration.components.attoseconds / 1_000_000_000_000_000
        if remaining == 0 { return "0s" }
        var parts: [String] = []
        for unit in units.reversed() where remaining >= unit.milliseconds {
            parts.append("\(remaining / unit.milliseconds)\(unit.suffix)")
            remaining %= unit.milliseconds
        }
        return parts.joined()
    }
}

// MARK: - Secrets

/// What hides the plan's secrets in text that came back from a target: each secret as it
/// was sent and as a server commonly echoes it (base64 at any alignment, as inside a Basic
/// `user:password`; percent-encoded; JSON-escaped), and a secret cut off at the end of the
/// text. Apply it before the text is cut for display, so no fragment is left to show.
public struct SecretMask: Sendable {
    /// Every form of every secret, the longest first, with the `${NAME}` it shows as.
    private let forms: [(text: String, name: String)]

    /// Fragments shorter than this at the edge of a text are left alone: too short to give
    /// a secret away, and too likely to match by chance.
    static let shortestFragment = 4

    public init(_ values: [SecretText]) {
        var forms: [(String, String)] = []
        for value in values {
            for (name, secret) in value.secretValues where !secret.isEmpty {
                let shown = "${\(name)}"
                var encodings = [secret]
                encodings += Self.base64Forms(Array(secret.utf8))
                if let percent = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) { encodings.append(percent) }
                if let json = try? JSONEncoder().encode(secret) {
                    let escaped = String(decoding: json.dropFirst().dropLast(), as: UTF8.self)
                    encodings += [escaped, escaped.replacingOccurrences(of: "/", with: "\\/")]
                }
                forms += Set(encodings).filter { $0.count >= Self.shortestFragment || $0 == secret }.map { ($0, shown) }
            }
        }
        self.forms = forms.sorted { $0.0.count > $1.0.count }
    }

    public var isEmpty: Bool { forms.isEmpty }

    /// The base64 characters that depend on the secret's bytes alone, at each of the three
    /// alignments it can have inside a longer encoded text.
    public static func base64Forms(_ bytes: [UInt8]) -> [String] {
        (0..<3).compactMap { offset -> String? in
            let encoded = Array(Data(repeating: 0, count: offset) + Data(bytes)).base64Encoded()
            let start = (8 * offset + 5) / 6
            let end = 8 * (offset + bytes.count) / 6
            guard end - start >= shortestFragment else { return nil }
            return String(encoded[start..<end])
        }
    }

    public func apply(_ text: String) -> String {
        guard !forms.isEmpty else { return text }
        var result = text
        for form in forms where result.contains(form.text) {
            result = result.replacingOccurrences(of: form.text, with: form.name)
        }
        // A secret cut off at either end of the text still gives most of itself away.
        for form in forms where form.text.count > Self.shortestFragment {
            for length in stride(from: form.text.count - 1, through: Self.shortestFragment, by: -1) {
                if result.hasSuffix(form.text.prefix(length)) {
                    result = String(result.dropLast(length)) + form.name
                    break
                }
                if result.hasPrefix(form.text.suffix(length)) {
                    result = form.name + String(result.dropFirst(length))
                    break
                }
            }
        }
        return result
    }
}

private extension Array where Element == UInt8 {
    func base64Encoded() -> [Character] {
        let text = Data(self).base64EncodedString()
        return [Character](text)
    }
}

/// Text that may hold `${ENV_NAME}` references to secrets.
///
/// `template` is the text as written in the plan, safe to show anywhere; `value` has the
/// references replaced by the environment's values and is only ever sent to a target.
public struct SecretText: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let template: String
    public let value: String
    /// Each referenced variable's value, by name, for ``redacting(_:)``.
    private let secrets: [String: String]

    public init(template: String, value: String, secrets: [String: String] = [:]) {
        self.template = template
        self.value = value
        self.secrets = secrets
    }

    /// Literal text without references.
    public init(literal: String) {
        self.init(template: literal, value: literal)
    }

    /// `text` with every secret this value references replaced by its `${NAME}`: for text
    /// that came back from a target, which may echo what it was sent.
    public func redacting(_ text: String) -> String {
        SecretMask([self]).apply(text)
    }

    /// The referenced variables' values, by name.
    var secretValues: [String: String] { secrets }

    public var referencesSecrets: Bool { !Self.references(in: template).isEmpty }
    public var description: String { template }
    public var debugDescription: String { template }
    public var customMirror: Mirror { Mirror(self, children: ["template": template]) }

    /// The names of the `${NAME}` references in `text`, or an error for a malformed one.
    public static func references(in text: String) -> [String] {
        (try? parse(text).names) ?? []
    }

    /// Splits `text` into literal parts and references; `$${` writes a literal `${`.
    static func parse(_ text: String) throws(ValueError) -> (parts: [Part], names: [String]) {
        var parts: [Part] = []
        var names: [String] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                literal += "${"
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("${") {
                guard let close = rest.firstIndex(of: "}") else {
                    throw ValueError("`${` is not closed", hint: "write a secret as ${ENV_NAME}")
                }
                let name = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
                guard isEnvironmentName(name) else {
                    throw ValueError(
                        "`${\(name)}` is not an environment variable name",
                        hint: "names are letters, digits and `_`, not starting with a digit: ${API_TOKEN}")
                }
                if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                parts.append(.reference(name))
                names.append(name)
                index = text.index(after: close)
            } else {
                literal.append(text[index])
                index = text.index(after: index)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return (parts, names)
    }

    enum Part { case literal(String), reference(String) }

    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty else { return false }
        let isStart = { (c: Unicode.Scalar) in c == "_" || (c.isASCII && c.properties.isAlphabetic) }
        return isStart(first) && name.unicodeScalars.allSatisfy { isStart($0) || ("0"..."9").contains($0) }
    }
}

/// A salted PIN hash as stored in a plan: `pbkdf2-sha256$ITERATIONS$SALT$HASH` or
/// `scrypt$N$r$p$SALT$HASH`, salt and hash in base64.
public struct PINHash: Sendable, Equatable, CustomStringConvertible {
    public enum Algorithm: Sendable, Equatable {
        case pbkdf2SHA256(iterations: Int)
        case scrypt(n: Int, r: Int, p: Int)
    }

    public let algorithm: Algorithm
    public let salt: [UInt8]
    public let hash: [UInt8]

    public var description: String { "<PIN hash>" }

    public static let minimumPBKDF2Iterations = 100_000
    private static let format = "pbkdf2-sha256$ITERATIONS$SALT$HASH or scrypt$N$r$p$SALT$HASH (salt and hash in base64)"

    public static func parse(_ text: String) -> Result<PINHash, ValueError> {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        let malformed = ValueError("this is not a PIN hash", hint: "expected \(format)")
        func bytes(_ field: String) -> [UInt8]? {
            Data(base64Encoded: field).map(Array.init).flatMap { $0.count >= 16 ? $0 : nil }
        }
        switch fields.first {
        case "pbkdf2-sha256":
            guard fields.count == 4, let iterations = Int(fields[1]),
                  let salt = bytes(fields[2]), let hash = bytes(fields[3]) else { return .failure(malformed) }
            guard iterations >= minimumPBKDF2Iterations else {
                return .failure(ValueError(
                    "PBKDF2 with \(iterations) iterations is too weak for a 4 to 8 digit PIN",
                    hint: "hash it again with at least \(minimumPBKDF2Iterations) iterations"))
            }
            return .success(PINHash(algorithm: .pbkdf2SHA256(iterations: iterations), salt: salt, hash: hash))
        case "scrypt":
            guard fields.count == 6, let n = Int(fields[1]), let r = Int(fields[2]), let p = Int(fields[3]),
                  n > 1, n & (n - 1) == 0, r > 0, p > 0,
                  let salt = bytes(fields[4]), let hash = bytes(fields[5]) else { return .failure(malformed) }
            return .success(PINHash(algorithm: .scrypt(n: n, r: r, p: p), salt: salt, hash: hash))
        default:
            return .failure(malformed)
        }
    }
}

extension Duration {
    /// In seconds, for arithmetic with dates.
    public var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
