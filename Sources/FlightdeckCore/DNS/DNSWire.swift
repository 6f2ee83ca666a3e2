// Encoding and decoding of DNS messages. Decoding is strict and bounded: every read is
// checked against the message's length, compression pointers must point backwards into the
// message and may be followed at most 64 times, a length byte over 63 is a reserved label
// type and names are at most 255 bytes; anything else is a `DNSWireError`.

extension DNSMessage {
    /// Decodes a whole message; trailing bytes are an error.
    public init(wire bytes: [UInt8]) throws(DNSWireError) {
        var reader = WireReader(bytes)
        id = try reader.uint16()
        flags = DNSFlags(rawValue: try reader.uint16())
        let questionCount = Int(try reader.uint16())
        let answerCount = Int(try reader.uint16())
        let authorityCount = Int(try reader.uint16())
        let additionalCount = Int(try reader.uint16())
        // Each question takes at least 5 bytes and each record 11: a count that cannot fit is a lie.
        let minimum = questionCount * 5 + (answerCount + authorityCount + additionalCount) * 11
        guard minimum <= reader.remaining else { throw .truncated(offset: bytes.count, needed: minimum - reader.remaining) }
        questions = []
        for _ in 0..<questionCount {
            let name = try reader.name()
            let type = DNSRecordType(code: try reader.uint16())
            questions.append(DNSQuestion(name: name, type: type, recordClass: try reader.uint16()))
        }
        answers = try (0..<answerCount).map { _ throws(DNSWireError) in try reader.record() }
        authority = try (0..<authorityCount).map { _ throws(DNSWireError) in try reader.record() }
        additional = []
        edns = nil
        for _ in 0..<additionalCount {
            let start = reader.offset
            let name = try reader.name()
            let typeCode = try reader.uint16()
            if typeCode == 41, name.text.isEmpty {
                var options = EDNS()
                options.udpPayloadSize = try reader.uint16()
                options.extendedResponseCode = try reader.uint8()
                options.version = try reader.uint8()
                options.dnssecOK = try reader.uint16() & 0x8000 != 0
                let length = Int(try reader.uint16())
                var data = WireReader(try reader.bytes(length), base: reader)
                while data.remaining > 0 {
                    let code = try data.uint16()
                    let optionLength = Int(try data.uint16())
                    options.options.append((code, try data.bytes(optionLength)))
                }
                edns = options
            } else {
                reader.offset = start
                additional.append(try reader.record())
            }
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
    }

    /// Encodes the message, compressing names.
    public func wire() throws(DNSWireError) -> [UInt8] {
        var writer = WireWriter()
        writer.uint16(id)
        writer.uint16(flags.rawValue)
        for count in [questions.count, answers.count, authority.count, additional.count + (edns == nil ? 0 : 1)] {
            guard count <= Int(UInt16.max) else { throw .tooLargeToEncode("a section") }
            writer.uint16(UInt16(count))
        }
        // A lone question's name has nothing before it to point to, nor anything after it
        // that could point to it: it is written without keeping its suffixes.
        let onlyName = questions.count == 1 && answers.isEmpty && authority.isEmpty && additional.isEmpty
        for question in questions {
            try writer.name(question.name, compress: !onlyName)
            writer.uint16(question.type.code)
            writer.uint16(question.recordClass)
        }
        for record in answers + authority + additional { try writer.record(record) }
        if let edns {
            writer.bytes([0])
            writer.uint16(41)
            writer.uint16(edns.udpPayloadSize)
            writer.bytes([edns.extendedResponseCode, edns.version])
            writer.uint16(edns.dnssecOK ? 0x8000 : 0)
            var options = WireWriter()
            for option in edns.options {
                options.uint16(option.code)
                options.uint16(UInt16(option.data.count))
                options.bytes(option.data)
            }
            guard options.bytes.count <= Int(UInt16.max) else { throw .tooLargeToEncode("EDNS options") }
            writer.uint16(UInt16(options.bytes.count))
            writer.bytes(options.bytes)
        }
        return writer.bytes
    }
}

struct WireReader {
    /// The whole message: compression pointers refer to it.
    let message: [UInt8]
    /// Where this reader's window ends.
    let end: Int
    var offset: Int

    init(_ message: [UInt8]) {
        self.message = message
        offset = 0
        end = message.count
    }

    /// A reader over `slice`'s bytes alone, which came from `base` at its offset before the read.
    init(_ slice: [UInt8], base: WireReader) {
        message = slice
        offset = 0
        end = slice.count
    }

    /// A reader over `length` bytes of the same message from the current offset, for record
    /// data, which may hold compressed names pointing anywhere before it.
    func window(_ length: Int) throws(DNSWireError) -> WireReader {
        guard length <= remaining else { throw .truncated(offset: offset, needed: length - remaining) }
        var window = WireReader(message, end: offset + length)
        window.offset = offset
        return window
    }

    private init(_ message: [UInt8], end: Int) {
        self.message = message
        self.end = end
        offset = 0
    }

    var remaining: Int { end - offset }

    mutating func uint8() throws(DNSWireError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(offset: offset, needed: 1) }
        defer { offset += 1 }
        return message[offset]
    }

    mutating func uint16() throws(DNSWireError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated(offset: offset, needed: 2 - remaining) }
        defer { offset += 2 }
        return UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
    }

    mutating func uint32() throws(DNSWireError) -> UInt32 {
        UInt32(try uint16()) << 16 | UInt32(try uint16())
    }

    mutating func bytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(offset: offset, needed: count - remaining) }
        defer { offset += count }
        return Array(message[offset..<offset + count])
    }

    /// A possibly compressed name. Pointers must point strictly before where they are found.
    mutating func name() throws(DNSWireError) -> DNSName {
        var labels: [[UInt8]] = []
        var length = 1
        var position = offset
        var jumped = false
        var jumps = 0
        while true {
            guard position < (jumped ? message.count : end) else { throw .truncated(offset: position, needed: 1) }
            let byte = message[position]
            switch byte & 0xC0 {
            case 0x00:
                let count = Int(byte)
                if count == 0 {
                    if !jumped { offset = position + 1 }
                    return DNSName(wireLabels: labels)
                }
                let limit = jumped ? message.count : end
                guard position + 1 + count <= limit else { throw .truncated(offset: position + 1, needed: count) }
                length += count + 1
                guard length <= 255 else { throw .nameTooLong(offset: position) }
                labels.append(Array(message[(position + 1)...(position + count)]))
                position += count + 1
            case 0xC0:
                guard position + 1 < (jumped ? message.count : end) else { throw .truncated(offset: position, needed: 2) }
                let target = Int(byte & 0x3F) << 8 | Int(message[position + 1])
                guard target < position else { throw .pointerOutOfRange(offset: position) }
                jumps += 1
                guard jumps <= 64 else { throw .pointerLoop(offset: position) }
                if !jumped { offset = position + 2 }
                jumped = true
                position = target
            default:
                throw .reservedLabelType(offset: position)
            }
        }
    }

    mutating func record() throws(DNSWireError) -> DNSRecord {
        let name = try name()
        let type = DNSRecordType(code: try uint16())
        let recordClass = try uint16()
        let ttl = try uint32()
        let length = Int(try uint16())
        var data = try window(length)
        let start = offset
        offset += length
        let value = try data.recordData(type: type, length: length, start: start)
        guard data.remaining == 0 else { throw .badRecordLength(type: type, offset: start) }
        return DNSRecord(name: name, ttl: ttl, data: value, recordClass: recordClass)
    }

    private mutating func recordData(type: DNSRecordType, length: Int, start: Int) throws(DNSWireError) -> RecordData {
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordLength(type: type, offset: start) }
            return .a(try bytes(4))
        case .aaaa:
            guard length == 16 else { throw .badRecordLength(type: type, offset: start) }
            return .aaaa(try bytes(16))
        case .cname: return .cname(try name())
        case .ns: return .ns(try name())
        case .ptr: return .ptr(try name())
        case .soa:
            return .soa(RecordData.SOA(primary: try name(), mailbox: try name(), serial: try uint32(), refresh: try uint32(),
                                       retry: try uint32(), expire: try uint32(), minimum: try uint32()))
        case .mx:
            return .mx(preference: try uint16(), exchange: try name())
        case .txt:
            var strings: [[UInt8]] = []
            while remaining > 0 { strings.append(try bytes(Int(try uint8()))) }
            guard !strings.isEmpty else { throw .badRecordLength(type: type, offset: start) }
            return .txt(strings)
        case .caa:
            let flags = try uint8()
            let tagLength = Int(try uint8())
            guard tagLength > 0 else { throw .badRecordLength(type: type, offset: start) }
            let tag = String(decoding: try bytes(tagLength), as: UTF8.self)
            return .caa(flags: flags, tag: tag, value: try bytes(remaining))
        case .srv:
            return .srv(priority: try uint16(), weight: try uint16(), port: try uint16(), target: try name())
        case .ds:
            let keyTag = try uint16()
            let algorithm = try uint8()
            let digestType = try uint8()
            return .ds(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: try bytes(remaining))
        case .dnskey:
            guard length >= 4 else { throw .badRecordLength(type: type, offset: start) }
            let flags = try uint16()
            let protocolField = try uint8()
            return .dnskey(DNSKey(flags: flags, protocolField: protocolField, algorithm: try uint8(), publicKey: try bytes(remaining)))
        case .rrsig:
            let covered = DNSRecordType(code: try uint16())
            let algorithm = try uint8()
            let labels = try uint8()
            let originalTTL = try uint32()
            let expiration = try uint32()
            let inception = try uint32()
            let keyTag = try uint16()
            let signer = try name()
            return .rrsig(DNSSignature(typeCovered: covered, algorithm: algorithm, labels: labels, originalTTL: originalTTL,
                                       expiration: expiration, inception: inception, keyTag: keyTag, signer: signer,
                                       signature: try bytes(remaining)))
        case .other(let code):
            return .unknown(type: code, data: try bytes(length))
        }
    }
}

struct WireWriter {
    private(set) var bytes: [UInt8] = []
    /// Where each name suffix already written starts, for compression.
    private var suffixes: [[[UInt8]]: Int] = [:]
    /// False for DNSSEC's canonical form, where no name is compressed.
    private let compresses: Bool

    init(compressing: Bool = true) {
        compresses = compressing
    }

    mutating func uint16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func uint32(_ value: UInt32) {
        uint16(UInt16(value >> 16))
        uint16(UInt16(value & 0xFFFF))
    }

    mutating func bytes(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    mutating func name(_ name: DNSName, compress: Bool = true) throws(DNSWireError) {
        let labels = try name.wireLabels()
        let compress = compress && compresses
        for index in labels.indices {
            if compress {
                let suffix = Array(labels[index...].map { $0.map(lowercased) })
                if let target = suffixes[suffix] {
                    uint16(0xC000 | UInt16(target))
                    return
                }
                if bytes.count < 0x4000 { suffixes[suffix] = bytes.count }
            }
            bytes.append(UInt8(labels[index].count))
            bytes.append(contentsOf: labels[index])
        }
        bytes.append(0)
    }

    mutating func record(_ record: DNSRecord) throws(DNSWireError) {
        try name(record.name)
        uint16(record.type.code)
        uint16(record.recordClass)
        uint32(record.wireTTL)
        let lengthAt = bytes.count
        uint16(0)
        try recordData(record.data)
        let length = bytes.count - lengthAt - 2
        guard length <= Int(UInt16.max) else { throw .tooLargeToEncode("record data") }
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xFF)
    }

    mutating func recordData(_ data: RecordData) throws(DNSWireError) {
        switch data {
        case .a(let address), .aaaa(let address): bytes(address)
        case .cname(let target), .ns(let target), .ptr(let target): try name(target)
        case .soa(let soa):
            try name(soa.primary)
            try name(soa.mailbox)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { uint32(value) }
        case .mx(let preference, let exchange):
            uint16(preference)
            try name(exchange)
        case .txt(let strings):
            for string in strings {
                guard string.count <= 255 else { throw .tooLargeToEncode("a TXT string over 255 bytes") }
                bytes.append(UInt8(string.count))
                bytes(string)
            }
        case .caa(let flags, let tag, let value):
            guard !tag.isEmpty, tag.utf8.count <= 255 else { throw .tooLargeToEncode("a CAA tag") }
            bytes.append(flags)
            bytes.append(UInt8(tag.utf8.count))
            bytes(Array(tag.utf8))
            bytes(value)
        case .srv(let priority, let weight, let port, let target):
            uint16(priority)
            uint16(weight)
            uint16(port)
            // RFC 2782: the target is never compressed.
            try name(target, compress: false)
        case .ds(let keyTag, let algorithm, let digestType, let digest):
            uint16(keyTag)
            bytes([algorithm, digestType])
            bytes(digest)
        case .dnskey(let key):
            bytes(key.rdata)
        case .rrsig(let signature):
            uint16(signature.typeCovered.code)
            bytes([signature.algorithm, signature.labels])
            uint32(signature.originalTTL)
            uint32(signature.expiration)
            uint32(signature.inception)
            uint16(signature.keyTag)
            // RFC 4034 section 3.1.7: the signer's name is never compressed.
            try name(signature.signer, compress: false)
            bytes(signature.signature)
        case .unknown(_, let data):
            bytes(data)
        }
    }

    private func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }
}

extension DNSName {
    /// A name from wire labels: lower-cased, with any byte outside letters, digits, `-`, `_`
    /// and `*` written as `\DDD` (the zone-file escape), so hostile bytes stay visible and inert.
    init(wireLabels labels: [[UInt8]]) {
        var text: [UInt8] = []
        text.reserveCapacity(labels.reduce(labels.count) { $0 + $1.count })
        for (index, label) in labels.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ".")) }
            for byte in label {
                let lower = (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
                switch lower {
                case 0x61...0x7A, 0x30...0x39, 0x2D, 0x5F, 0x2A:
                    text.append(lower)
                default:
                    text += [UInt8(ascii: "\\"), 0x30 + byte / 100, 0x30 + byte / 10 % 10, 0x30 + byte % 10]
                }
            }
        }
        self.init(uncheckedText: String(decoding: text, as: UTF8.self))
    }

    /// The wire labels of this name, undoing `\DDD` escapes.
    func wireLabels() throws(DNSWireError) -> [[UInt8]] {
        guard !text.isEmpty else { return [] }
        // Without a `\DDD` escape, the labels are the text's bytes between dots.
        if !text.utf8.contains(0x5C) {
            return try checked(text.utf8.split(separator: 0x2E, omittingEmptySubsequences: false).map(Array.init))
        }
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            switch byte {
            case 0x2E:
                labels.append(current)
                current = []
            case 0x5C:
                let digits = bytes.prefix(3)
                guard digits.count == 3, digits.allSatisfy({ (0x30...0x39).contains($0) }),
                      let value = Int(String(decoding: digits, as: UTF8.self)), value <= 255 else {
                    throw .invalidName("bad escape in \(text)")
                }
                current.append(UInt8(value))
                bytes = bytes.dropFirst(3)
            default:
                current.append(byte)
            }
        }
        labels.append(current)
        return try checked(labels)
    }

    private func checked(_ labels: [[UInt8]]) throws(DNSWireError) -> [[UInt8]] {
        guard labels.allSatisfy({ !$0.isEmpty && $0.count <= 63 }) else { throw .invalidName(text) }
        guard labels.reduce(1, { $0 + $1.count + 1 }) <= 255 else { throw .invalidName("\(text) is longer than 255 bytes") }
        return labels
    }

    /// The root name, which DNS messages use for EDNS and referrals.
    public static let root = DNSName(uncheckedText: "")
}

