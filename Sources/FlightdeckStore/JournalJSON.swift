import FlightdeckCore
import Foundation

/// A quick reader for the journal's own entries, as `LaunchJournal.encode` writes them.
///
/// Folding and verifying decode every entry, and Foundation's JSONDecoder spends most of
/// that on the Codable machinery. This reads the same text into the same values by hand, and
/// only where it is sure: anything it does not expect (a number that is not a plain integer,
/// a lone surrogate, a key twice, an event it does not know, a member of another type) makes
/// it answer nil, and the entry goes to JSONDecoder, which stays the
/// judge of what an entry is. So an entry reads as the same record either way.
enum JournalJSON {
    /// Not indirect: arrays hold their elements on the heap already, so a value needs no box
    /// of its own. An object's members stay in their order, in a list: entries have a few
    /// each, and looking along a short list is cheaper than hashing every key.
    enum Value {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case null
        case array([Value])
        case object([(key: String, value: Value)])
    }

    static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = Parser(bytes: bytes)
            guard let value = parser.value(depth: 0) else { return nil }
            parser.skipSpace()
            return parser.index == bytes.count ? value : nil
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// Deeper than any entry nests: a hostile file cannot take the stack.
        static let maximumDepth = 16

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x09 || bytes[index] == 0x0D { index += 1 }
        }

        mutating func value(depth: Int) -> Value? {
            guard depth < Self.maximumDepth else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Value.string)
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return integer()
            }
        }

        private mutating func literal(_ word: StaticString, _ value: Value) -> Value? {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return value
        }

        /// A string: its escapes undone (a lone surrogate is left to JSONDecoder), no raw control characters.
        private mutating func string() -> String? {
            index += 1
            let start = index
            var ascii = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    let content = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    // ASCII needs no validating (the generic validation is the slow part).
                    return ascii ? String(decoding: content, as: UTF8.self) : String(validating: content, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
                if byte < 0x20 { return nil }
                ascii = ascii && byte < 0x80
                index += 1
            }
            return nil
        }

        /// The rest of a string that has an escape at `index`.
        private mutating func escapedString(from start: Int) -> String? {
            var text = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return String(validating: text, as: UTF8.self) }
                if byte < 0x20 { return nil }
                guard byte == UInt8(ascii: "\\") else {
                    text.append(byte)
                    continue
                }
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    text.append(contentsOf: Character(unicode).utf8)
                default:
                    return nil
                }
            }
            return nil
        }

        /// Four hex digits after `\u`.
        private mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// An integer as the encoder writes one: an optional minus, then digits.
        private mutating func integer() -> Value? {
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            var magnitude = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (times, overflow) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflowAgain) = times.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
                guard !overflow, !overflowAgain else { return nil }
                magnitude = sum
                digits += 1
                index += 1
            }
            guard digits > 0, index == bytes.count || !".eE".utf8.contains(bytes[index]) else { return nil }
            return .integer(negative ? -magnitude : magnitude)
        }

        private mutating func array(depth: Int) -> Value? {
            index += 1
            var elements: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }

        private mutating func object(depth: Int) -> Value? {
            index += 1
            var members: [(key: String, value: Value)] = []
            members.reserveCapacity(10)
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard !members.contains(where: { $0.key == key }), let member = value(depth: depth + 1) else { return nil }
                members.append((key, member))
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                guard bytes[index] == UInt8(ascii: ",") else { return nil }
                index += 1
            }
        }
    }
}

// MARK: The journal's values, read from the tree

/// The members of one object, read as the synthesized Codable conformances read them: a
/// missing optional is nil, an explicit null too; unknown members are ignored.
private struct Members {
    let list: [(key: String, value: JournalJSON.Value)]

    init?(_ value: JournalJSON.Value?) {
        guard case .object(let list) = value else { return nil }
        self.list = list
    }

    subscript(key: String) -> JournalJSON.Value? {
        list.first { $0.key == key }?.value
    }

    func string(_ key: String) -> String? {
        if case .string(let text) = self[key] { return text }
        return nil
    }

    /// nil when absent or null (`.some(nil)`), nil-nil when of another type.
    func optionalString(_ key: String) -> String?? {
        switch self[key] {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return text
        default: return nil
        }
    }

    func integer<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) -> T? {
        if case .integer(let number) = self[key] { return T(exactly: number) }
        return nil
    }

    func optionalInteger<T: FixedWidthInteger>(_ key: String, as type: T.Type = T.self) -> T?? {
        switch self[key] {
        case nil, .null?: return .some(nil)
        case .integer(let number)?: return T(exactly: number).map { .some($0) } ?? nil
        default: return nil
        }
    }

    func bool(_ key: String) -> Bool? {
        if case .bool(let flag) = self[key] { return flag }
        return nil
    }

    func strings(_ key: String) -> [String]? {
        guard case .array(let elements) = self[key] else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { return nil }
            strings.append(text)
        }
        return strings
    }

    func raw<T: RawRepresentable<String>>(_ key: String, as type: T.Type = T.self) -> T? {
        string(key).flatMap(T.init(rawValue:))
    }
}

extension LaunchJournal.StoredRecord {
    /// The entry read quickly, or nil to let JSONDecoder read it (see `JournalJSON`).
    init?(quick text: String) {
        guard let record = Members(JournalJSON.parse(text)), let seq: Int = record.integer("seq"), let at = record.string("at"),
              let prev = record.string("prev"), let actor = LaunchActor(quick: record["actor"]),
              let event = LaunchEvent(quick: record["event"]) else { return nil }
        self.init(seq: seq, at: at, actor: actor, event: event, prev: prev)
    }
}

extension LaunchActor {
    fileprivate init?(quick value: JournalJSON.Value?) {
        guard let actor = Members(value), let login = actor.string("login"), let effectiveUser = actor.string("effectiveUser"),
              let loginUID = actor.optionalInteger("loginUID", as: UInt32.self), let sshConnection = actor.optionalString("sshConnection"),
              let tty = actor.optionalString("tty"), let pid = actor.integer("pid", as: Int32.self), let host = actor.string("host"),
              let approver = actor.optionalString("approver"), let pinUsed = actor.bool("pinUsed") else { return nil }
        self.init(login: login, effectiveUser: effectiveUser, loginUID: loginUID, sshConnection: sshConnection, tty: tty, pid: pid,
                  host: host, approver: approver, pinUsed: pinUsed)
    }
}

extension LaunchEvent {
    /// One case, as the synthesized conformance writes it: `{"case": {"label": value...}}`.
    fileprivate init?(quick value: JournalJSON.Value?) {
        guard case .object(let outer) = value, outer.count == 1, let (name, inner) = outer.first, let fields = Members(inner) else {
            return nil
        }
        switch name {
        case "checklistMarked":
            guard let item = fields.string("item"), let mark: ChecklistMark = fields.raw("mark"), let note = fields.optionalString("note") else { return nil }
            self = .checklistMarked(item: item, mark: mark, note: note)
        case "pollOpened": self = .pollOpened
        case "voteCast":
            guard let role = fields.string("role"), let choice: VoteChoice = fields.raw("choice"), let reason = fields.optionalString("reason"),
                  let evidence = VoteEvidence(quick: fields["evidence"]) else { return nil }
            self = .voteCast(role: role, choice: choice, reason: reason, evidence: evidence)
        case "voteStale":
            guard let role = fields.string("role"), let blockers = fields.strings("blockers") else { return nil }
            self = .voteStale(role: role, blockers: blockers)
        case "holdStarted":
            guard let kind = HoldKind(quick: fields["kind"]), let reason = fields.string("reason") else { return nil }
            self = .holdStarted(kind: kind, reason: reason)
        case "resumed":
            guard let reason = fields.string("reason") else { return nil }
            self = .resumed(reason: reason)
        case "overrideRequested":
            guard let waive = fields.strings("waive"), let reason = fields.string("reason") else { return nil }
            self = .overrideRequested(waive: waive, reason: reason)
        case "overrideApproved":
            guard let request: Int = fields.integer("request") else { return nil }
            self = .overrideApproved(request: request)
        case "countdownStarted": self = .countdownStarted
        case "launched": self = .launched
        case "scrubbed":
            guard let reason = fields.string("reason") else { return nil }
            self = .scrubbed(reason: reason)
        case "alarmAcknowledged":
            guard let alarm = fields.string("alarm"), let reason = fields.string("reason") else { return nil }
            self = .alarmAcknowledged(alarm: alarm, reason: reason)
        case "alarmSilenced":
            guard let alarm = fields.string("alarm"), let reason = fields.string("reason"), let untilText = fields.optionalString("until") else { return nil }
            var until: Date?
            if let untilText {
                guard let date = LaunchRecord.parseTimestamp(untilText) else { return nil }
                until = date
            }
            self = .alarmSilenced(alarm: alarm, until: until, reason: reason)
        case "rerunRequested":
            guard let check = fields.string("check") else { return nil }
            self = .rerunRequested(check: check)
        case "pinTried":
            guard let approver = fields.string("approver") else { return nil }
            self = .pinTried(approver: approver)
        case "pinAccepted":
            guard let approver = fields.string("approver") else { return nil }
            self = .pinAccepted(approver: approver)
        case "pinRejected":
            guard let approver = fields.string("approver") else { return nil }
            self = .pinRejected(approver: approver)
        case "notificationClaimed":
            guard let key = fields.string("key") else { return nil }
            self = .notificationClaimed(key: key)
        case "notificationSent":
            guard let key = fields.string("key"), let target = fields.string("target"), let delivered = fields.bool("delivered"),
                  let outcome = fields.string("outcome") else { return nil }
            self = .notificationSent(key: key, target: target, delivered: delivered, outcome: outcome)
        case "journalRestarted":
            guard let brokenAt: Int = fields.integer("brokenAt"), let problem = fields.string("problem"),
                  let lastGoodHead = fields.string("lastGoodHead"), let reason = fields.string("reason") else { return nil }
            self = .journalRestarted(brokenAt: brokenAt, problem: problem, lastGoodHead: lastGoodHead, reason: reason)
        case "windowOpened":
            guard let window = fields.string("window") else { return nil }
            self = .windowOpened(window: window)
        case "windowClosed":
            guard let window = fields.string("window") else { return nil }
            self = .windowClosed(window: window)
        case "notificationSuppressed":
            guard let key = fields.string("key"), let window = fields.string("window") else { return nil }
            self = .notificationSuppressed(key: key, window: window)
        default:
            return nil
        }
    }
}

extension HoldKind {
    fileprivate init?(quick value: JournalJSON.Value?) {
        guard case .object(let outer) = value, outer.count == 1, let (name, inner) = outer.first, let fields = Members(inner) else {
            return nil
        }
        switch name {
        case "manual": self = .manual
        case "builtIn":
            guard let holdName = fields.string("name"), let seconds: Int = fields.integer("seconds") else { return nil }
            self = .builtIn(name: holdName, seconds: seconds)
        case "noGo":
            guard let role = fields.string("role") else { return nil }
            self = .noGo(role: role)
        case "staleVote":
            guard let role = fields.string("role") else { return nil }
            self = .staleVote(role: role)
        default:
            return nil
        }
    }
}

extension VoteEvidence {
    fileprivate init?(quick value: JournalJSON.Value?) {
        guard let evidence = Members(value), let digest = evidence.string("digest"), case .array(let elements)? = evidence["items"] else {
            return nil
        }
        var items: [EvidenceItem] = []
        items.reserveCapacity(elements.count)
        for element in elements {
            guard let item = Members(element), let id = item.string("id"), let status: CheckStatus = item.raw("status") else { return nil }
            var vantages: [EvidenceVantage]?
            switch item["vantages"] {
            case nil, .null?: break
            case .array(let seen)?:
                var list: [EvidenceVantage] = []
                for one in seen {
                    guard let vantage = Members(one), let name = vantage.string("vantage"), let status: CheckStatus = vantage.raw("status") else {
                        return nil
                    }
                    list.append(EvidenceVantage(vantage: name, status: status))
                }
                vantages = list
            default:
                return nil
            }
            items.append(EvidenceItem(id: id, status: status, vantages: vantages))
        }
        self.init(items: items, digest: digest)
    }
}

extension KeySignature {
    init?(quick text: String) {
        guard let signature = Members(JournalJSON.parse(text)), let key = signature.string("key"),
              let value = signature.string("signature") else { return nil }
        self.init(key: key, signature: value)
    }
}
