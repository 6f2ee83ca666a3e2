import Foundation

// One comparable text form per record value, so a plan's `10 MX.example.com.` and an answer's
// MX record compare equal, and one display form, safe for the terminal.

extension RecordData {
    /// The value in the form plan values are normalised to (see ``RecordValue/normalize``).
    public var comparable: String {
        switch self {
        case .a(let bytes), .aaaa(let bytes):
            return RecordValue.address(bytes) ?? RecordValue.hex(bytes)
        case .cname(let name), .ns(let name), .ptr(let name):
            return name.text
        case .soa(let soa):
            return "\(soa.primary) \(soa.mailbox) \(soa.serial) \(soa.refresh) \(soa.retry) \(soa.expire) \(soa.minimum)"
        case .mx(let preference, let exchange):
            return "\(preference) \(exchange)"
        case .txt(let strings):
            return String(decoding: strings.joined(), as: UTF8.self)
        case .caa(let flags, let tag, let value):
            return "\(flags) \(tag.lowercased()) \(String(decoding: value, as: UTF8.self))"
        case .srv(let priority, let weight, let port, let target):
            return "\(priority) \(weight) \(port) \(target)"
        case .ds(let keyTag, let algorithm, let digestType, let digest):
            return "\(keyTag) \(algorithm) \(digestType) \(RecordValue.hex(digest))"
        case .dnskey(let key):
            return "\(key.flags) \(key.protocolField) \(key.algorithm) \(RecordValue.base64(key.publicKey))"
        case .rrsig(let signature):
            return "\(signature.typeCovered) \(signature.algorithm) \(signature.labels) \(signature.originalTTL) "
                + "\(signature.expiration) \(signature.inception) \(signature.keyTag) \(signature.signer) \(RecordValue.base64(signature.signature))"
        case .unknown(_, let data):
            return "\\# \(data.count) \(RecordValue.hex(data))"
        }
    }

    /// The value for people: remote text is sanitised, TXT strings quoted.
    public var display: String {
        switch self {
        case .txt(let strings):
            return strings.map { "\"" + RemoteText.sanitize($0, limit: 255) + "\"" }.joined(separator: " ")
        case .caa(let flags, let tag, let value):
            return "\(flags) \(RemoteText.sanitize(tag, limit: 40)) \"\(RemoteText.sanitize(value, limit: 255))\""
        default:
            return RemoteText.sanitize(comparable, limit: 512)
        }
    }
}

public enum RecordValue {
    /// A plan value in the comparable form of its type: names lower-cased without the final
    /// dot, addresses canonical, TXT and CAA values unquoted, DS digests in upper-case hex.
    public static func normalize(_ value: String, type: DNSRecordType) -> String {
        let fields = value.split(whereSeparator: \.isWhitespace).map(String.init)
        func name(_ text: String) -> String {
            (try? DNSName.parse(text).get())?.text ?? text.lowercased()
        }
        switch type {
        case .a, .aaaa:
            return (try? SocketAddress.parse(value).get())?.host ?? value
        case .cname, .ns, .ptr:
            return name(value)
        case .mx where fields.count == 2:
            return "\(Int(fields[0]).map(String.init) ?? fields[0]) \(name(fields[1]))"
        case .srv where fields.count == 4:
            return fields[0..<3].map { Int($0).map(String.init) ?? $0 }.joined(separator: " ") + " " + name(fields[3])
        case .soa where fields.count == 7:
            return ([name(fields[0]), name(fields[1])] + fields[2...]).joined(separator: " ")
        case .txt:
            return unquote(value)
        case .caa where fields.count >= 3:
            let rest = fields[2...].joined(separator: " ")
            return "\(fields[0]) \(fields[1].lowercased()) \(unquote(rest))"
        case .ds where fields.count >= 4:
            return fields[0..<3].joined(separator: " ") + " " + fields[3...].joined().uppercased()
        case .dnskey where fields.count >= 4:
            return fields[0..<3].joined(separator: " ") + " " + fields[3...].joined()
        case .other where fields.first == "\\#" && fields.count >= 2:
            return "\\# \(fields[1]) " + fields.dropFirst(2).joined().uppercased()
        default:
            return value
        }
    }

    /// `"a" "b"` becomes `ab` (TXT strings are joined, as SPF and DKIM read them); text without
    /// quotes is kept as it is.
    static func unquote(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("\"") else { return text }
        var result = ""
        var inside = false
        var escaped = false
        for character in trimmed {
            if escaped {
                result.append(character)
                escaped = false
            } else if character == "\\" && inside {
                escaped = true
            } else if character == "\"" {
                inside.toggle()
            } else if inside {
                result.append(character)
            }
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02X", $0) }.joined()
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func address(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            return (try? SocketAddress.parse(groups.joined(separator: ":")).get())?.host
        default:
            return nil
        }
    }
}
