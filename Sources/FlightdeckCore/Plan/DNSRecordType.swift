import Foundation

/// A DNS record type by its mnemonic, or `TYPEnnn` (RFC 3597) for any other.
public enum DNSRecordType: Sendable, Hashable, CustomStringConvertible {
    case a, aaaa, cname, ns, soa, mx, txt, caa, srv, ptr, ds, dnskey, rrsig
    case other(UInt16)

    public static let named: [DNSRecordType] = [.a, .aaaa, .cname, .ns, .soa, .mx, .txt, .caa, .srv, .ptr, .ds, .dnskey, .rrsig]

    public var code: UInt16 {
        switch self {
        case .a: 1
        case .ns: 2
        case .cname: 5
        case .soa: 6
        case .ptr: 12
        case .mx: 15
        case .txt: 16
        case .aaaa: 28
        case .srv: 33
        case .ds: 43
        case .rrsig: 46
        case .dnskey: 48
        case .caa: 257
        case .other(let code): code
        }
    }

    public var description: String {
        switch self {
        case .a: "A"
        case .aaaa: "AAAA"
        case .cname: "CNAME"
        case .ns: "NS"
        case .soa: "SOA"
        case .mx: "MX"
        case .txt: "TXT"
        case .caa: "CAA"
        case .srv: "SRV"
        case .ptr: "PTR"
        case .ds: "DS"
        case .rrsig: "RRSIG"
        case .dnskey: "DNSKEY"
        case .other(let code): "TYPE\(code)"
        }
    }

    public init(code: UInt16) {
        self = Self.named.first { $0.code == code } ?? .other(code)
    }

    public static func parse(_ text: String) -> Result<DNSRecordType, ValueError> {
        let upper = text.uppercased()
        if let named = named.first(where: { $0.description == upper }) { return .success(named) }
        if upper.hasPrefix("TYPE"), let code = UInt16(upper.dropFirst(4)), code > 0 {
            return .success(DNSRecordType(code: code))
        }
        return .failure(ValueError(
            "`\(text)` is not a DNS record type",
            hint: "use one of \(named.map(\.description).joined(separator: ", ")), or TYPEnnn for any other"))
    }

    /// Checks one value in presentation format, as the plan writes it for this type.
    public func validate(value: String) -> ValueError? {
        let fields = value.split(whereSeparator: \.isWhitespace).map(String.init)
        func name(_ text: String) -> ValueError? {
            if case .failure(let error) = DNSName.parse(text) { return error }
            return nil
        }
        func number(_ text: String, _ range: ClosedRange<Int>, _ what: String) -> ValueError? {
            guard let value = Int(text), range.contains(value) else {
                return ValueError("`\(text)` is not a valid \(what) (\(range.lowerBound) to \(range.upperBound))")
            }
            return nil
        }
        func shape(_ expected: String) -> ValueError {
            ValueError("`\(value)` is not a valid \(self) value", hint: "write it as `\(expected)`")
        }
        switch self {
        case .a, .aaaa:
            let family: SocketAddress.Family = self == .a ? .ipv4 : .ipv6
            guard case .success(let address) = SocketAddress.parse(value), address.family == family, address.port == nil else {
                return ValueError(
                    "`\(value)` is not an \(family == .ipv4 ? "IPv4" : "IPv6") address",
                    hint: self == .a ? "an A record holds an IPv4 address: 192.0.2.10" : "an AAAA record holds an IPv6 address: 2001:db8::10")
            }
            return nil
        case .cname, .ns, .ptr:
            return fields.count == 1 ? name(fields[0]) : shape("host.example.com")
        case .mx:
            guard fields.count == 2 else { return shape("10 mail.example.com") }
            return number(fields[0], 0...65535, "MX preference") ?? name(fields[1])
        case .srv:
            guard fields.count == 4 else { return shape("10 5 443 host.example.com") }
            return number(fields[0], 0...65535, "SRV priority") ?? number(fields[1], 0...65535, "SRV weight")
                ?? number(fields[2], 0...65535, "SRV port") ?? name(fields[3])
        case .caa:
            guard fields.count >= 3 else { return shape("0 issue \"amazon.com\"") }
            if let error = number(fields[0], 0...255, "CAA flag") { return error }
            let tag = fields[1]
            guard !tag.isEmpty, tag.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                return ValueError("`\(tag)` is not a CAA tag", hint: "tags are issue, issuewild, iodef")
            }
            return nil
        case .soa:
            guard fields.count == 7 else { return shape("ns1.example.com. hostmaster.example.com. 2026112501 7200 900 1209600 300") }
            return name(fields[0]) ?? name(fields[1])
                ?? fields[2...].lazy.compactMap { number($0, 0...Int(UInt32.max), "SOA number") }.first
        case .ds:
            guard fields.count >= 4 else { return shape("12345 13 2 <hex digest>") }
            let digest = fields[3...].joined()
            guard digest.allSatisfy(\.isHexDigit), digest.count.isMultiple(of: 2) else {
                return ValueError("`\(digest)` is not a hexadecimal digest")
            }
            return number(fields[0], 0...65535, "DS key tag") ?? number(fields[1], 0...255, "DS algorithm")
                ?? number(fields[2], 0...255, "DS digest type")
        case .dnskey:
            guard fields.count >= 4 else { return shape("257 3 13 <base64 public key>") }
            guard Data(base64Encoded: fields[3...].joined()) != nil else {
                return ValueError("`\(fields[3...].joined())` is not a base64 public key")
            }
            return number(fields[0], 0...65535, "DNSKEY flags") ?? number(fields[1], 3...3, "DNSKEY protocol")
                ?? number(fields[2], 0...255, "DNSKEY algorithm")
        case .rrsig:
            return ValueError("signatures are not plan values", hint: "the DNSSEC check verifies every record's RRSIG on its own")
        case .txt, .other:
            return value.isEmpty ? ValueError("a record value cannot be empty") : nil
        }
    }
}
