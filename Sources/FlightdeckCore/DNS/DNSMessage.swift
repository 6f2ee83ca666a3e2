/// A DNS message (RFC 1035 section 4) with EDNS0 (RFC 6891), as Flightdeck sends and reads it.
public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    public var flags: DNSFlags
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    /// Additional records other than the OPT pseudo-record, which is `edns`.
    public var additional: [DNSRecord]
    public var edns: EDNS?

    public init(id: UInt16, flags: DNSFlags = DNSFlags(), questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
                authority: [DNSRecord] = [], additional: [DNSRecord] = [], edns: EDNS? = nil) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A query for one name and type; `recursionDesired` is false for authoritative servers.
    /// `dnssec` asks for signatures (DO) and, of a resolver, whether it validated them (AD);
    /// `checkingDisabled` asks a validating resolver for the answer even when it does not validate.
    public static func query(id: UInt16, name: DNSName, type: DNSRecordType, recursionDesired: Bool, dnssec: Bool = false,
                             checkingDisabled: Bool = false) -> DNSMessage {
        var flags = DNSFlags()
        flags.recursionDesired = recursionDesired
        flags.authenticData = dnssec && recursionDesired
        flags.checkingDisabled = checkingDisabled
        var edns = EDNS()
        edns.dnssecOK = dnssec
        return DNSMessage(id: id, flags: flags, questions: [DNSQuestion(name: name, type: type)], edns: edns)
    }

    /// The response code, with EDNS's extended bits.
    public var responseCode: DNSResponseCode {
        DNSResponseCode(rawValue: UInt16(edns?.extendedResponseCode ?? 0) << 4 | UInt16(flags.responseCode))
    }
}

/// The second 16 bits of the header.
public struct DNSFlags: Sendable, Equatable {
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var authenticData = false
    public var checkingDisabled = false
    /// The low four bits of the response code.
    public var responseCode: UInt8 = 0

    public init() {}

    var rawValue: UInt16 {
        var value: UInt16 = 0
        if isResponse { value |= 0x8000 }
        value |= UInt16(opcode & 0x0F) << 11
        if authoritative { value |= 0x0400 }
        if truncated { value |= 0x0200 }
        if recursionDesired { value |= 0x0100 }
        if recursionAvailable { value |= 0x0080 }
        if authenticData { value |= 0x0020 }
        if checkingDisabled { value |= 0x0010 }
        value |= UInt16(responseCode & 0x0F)
        return value
    }

    init(rawValue value: UInt16) {
        isResponse = value & 0x8000 != 0
        opcode = UInt8((value >> 11) & 0x0F)
        authoritative = value & 0x0400 != 0
        truncated = value & 0x0200 != 0
        recursionDesired = value & 0x0100 != 0
        recursionAvailable = value & 0x0080 != 0
        authenticData = value & 0x0020 != 0
        checkingDisabled = value & 0x0010 != 0
        responseCode = UInt8(value & 0x0F)
    }
}

public struct DNSResponseCode: RawRepresentable, Sendable, Equatable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formatError = DNSResponseCode(rawValue: 1)
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    public static let nameError = DNSResponseCode(rawValue: 3)
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)

    public var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        case 9: "NOTAUTH"
        case 16: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

public struct DNSQuestion: Sendable, Equatable {
    public var name: DNSName
    public var type: DNSRecordType
    /// IN (1) unless stated.
    public var recordClass: UInt16

    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

public struct DNSRecord: Sendable, Equatable {
    public var name: DNSName
    public var recordClass: UInt16
    /// The TTL exactly as sent.
    public var wireTTL: UInt32
    /// The TTL to use: the one sent, except that one with the top bit set counts as 0
    /// (RFC 2181 section 8).
    public var ttl: UInt32 {
        get { ttlOutOfRange ? 0 : wireTTL }
        set { wireTTL = newValue }
    }
    public var data: RecordData

    public var type: DNSRecordType { data.type }

    /// Whether the sent TTL had its top bit set (and so counts as 0).
    public var ttlOutOfRange: Bool { wireTTL > UInt32(Int32.max) }

    public init(name: DNSName, ttl: UInt32, data: RecordData, recordClass: UInt16 = 1) {
        self.name = name
        self.recordClass = recordClass
        wireTTL = ttl
        self.data = data
    }
}

/// The EDNS0 OPT pseudo-record's fields.
public struct EDNS: Sendable, Equatable {
    /// The largest UDP response we accept: 1232, the DNS Flag Day 2020 value that avoids fragmentation.
    public var udpPayloadSize: UInt16 = 1232
    public var extendedResponseCode: UInt8 = 0
    public var version: UInt8 = 0
    public var dnssecOK = false
    /// Options, kept as code and raw bytes.
    public var options: [(code: UInt16, data: [UInt8])] = []

    public init() {}

    public static func == (lhs: EDNS, rhs: EDNS) -> Bool {
        lhs.udpPayloadSize == rhs.udpPayloadSize && lhs.extendedResponseCode == rhs.extendedResponseCode
            && lhs.version == rhs.version && lhs.dnssecOK == rhs.dnssecOK
            && lhs.options.map(\.code) == rhs.options.map(\.code) && lhs.options.map(\.data) == rhs.options.map(\.data)
    }
}

/// Record data by type; any type without a case here is kept as raw bytes (RFC 3597).
public enum RecordData: Sendable, Equatable {
    case a([UInt8])
    case aaaa([UInt8])
    case cname(DNSName)
    case ns(DNSName)
    case ptr(DNSName)
    case soa(SOA)
    case mx(preference: UInt16, exchange: DNSName)
    /// The character-strings, each at most 255 bytes.
    case txt([[UInt8]])
    case caa(flags: UInt8, tag: String, value: [UInt8])
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName)
    case ds(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8])
    case dnskey(DNSKey)
    case rrsig(DNSSignature)
    case unknown(type: UInt16, data: [UInt8])

    public struct SOA: Sendable, Equatable {
        public var primary: DNSName
        public var mailbox: DNSName
        public var serial: UInt32
        public var refresh: UInt32
        public var retry: UInt32
        public var expire: UInt32
        public var minimum: UInt32

        public init(primary: DNSName, mailbox: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32, minimum: UInt32) {
            self.primary = primary
            self.mailbox = mailbox
            self.serial = serial
            self.refresh = refresh
            self.retry = retry
            self.expire = expire
            self.minimum = minimum
        }
    }

    public var type: DNSRecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .ns: .ns
        case .ptr: .ptr
        case .soa: .soa
        case .mx: .mx
        case .txt: .txt
        case .caa: .caa
        case .srv: .srv
        case .ds: .ds
        case .dnskey: .dnskey
        case .rrsig: .rrsig
        case .unknown(let type, _): DNSRecordType(code: type)
        }
    }
}

/// Why bytes are not a DNS message. Decoding never reads outside the bytes it was given.
public enum DNSWireError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(offset: Int, needed: Int)
    case pointerLoop(offset: Int)
    case pointerOutOfRange(offset: Int)
    case nameTooLong(offset: Int)
    case reservedLabelType(offset: Int)
    case badRecordLength(type: DNSRecordType, offset: Int)
    case trailingBytes(count: Int)
    case invalidName(String)
    case tooLargeToEncode(String)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed): "message ends at byte \(offset), \(needed) more needed"
        case .pointerLoop(let offset): "compression pointers loop (at byte \(offset))"
        case .pointerOutOfRange(let offset): "compression pointer at byte \(offset) points outside the message or forward"
        case .nameTooLong(let offset): "name longer than 255 bytes at byte \(offset)"
        case .reservedLabelType(let offset): "label length byte over 63 (a reserved label type) at byte \(offset)"
        case .badRecordLength(let type, let offset): "\(type) record data at byte \(offset) has the wrong length"
        case .trailingBytes(let count): "\(count) bytes after the last record"
        case .invalidName(let reason): "invalid name: \(reason)"
        case .tooLargeToEncode(let what): "\(what) is too large to encode"
        }
    }
}
