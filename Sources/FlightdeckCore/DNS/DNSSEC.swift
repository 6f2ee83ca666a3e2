// The DNSSEC records (RFC 4034) and the bytes that are hashed and signed: a DNSKEY's key tag
// (Appendix B), the owner name and key a DS digests (section 5.1.4), and an RRset in
// canonical form under its RRSIG (sections 3.1.8.1 and 6). The cryptography itself is the
// verifier's (OpenSSL, in the probes); everything here is plain bytes.

/// A DNSKEY record's data.
public struct DNSKey: Sendable, Equatable, Hashable {
    public var flags: UInt16
    public var protocolField: UInt8
    public var algorithm: UInt8
    public var publicKey: [UInt8]

    public init(flags: UInt16, protocolField: UInt8 = 3, algorithm: UInt8, publicKey: [UInt8]) {
        self.flags = flags
        self.protocolField = protocolField
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    /// The record data as it is on the wire, which the key tag and a DS digest are computed over.
    public var rdata: [UInt8] {
        [UInt8(flags >> 8), UInt8(flags & 0xFF), protocolField, algorithm] + publicKey
    }

    /// RFC 4034 Appendix B: the ones'-complement-style sum of the record data.
    public var keyTag: UInt16 {
        var sum: UInt32 = 0
        for (index, byte) in rdata.enumerated() { sum += index.isMultiple(of: 2) ? UInt32(byte) << 8 : UInt32(byte) }
        sum += (sum >> 16) & 0xFFFF
        return UInt16(sum & 0xFFFF)
    }

    /// Bit 7: a key that signs the zone's records. Without it the key may not sign anything.
    public var isZoneKey: Bool { flags & 0x0100 != 0 }
    /// Bit 15 (SEP): by convention the key-signing key, the one a DS points at.
    public var isSecureEntryPoint: Bool { flags & 0x0001 != 0 }
    /// RFC 5011: a key its owner has revoked.
    public var isRevoked: Bool { flags & 0x0080 != 0 }

    /// `KSK 12345 ECDSAP256SHA256` for people.
    public var label: String {
        "\(isSecureEntryPoint ? "KSK" : "ZSK") \(keyTag) \(DNSSECAlgorithm.name(algorithm))" + (isRevoked ? " (revoked)" : "")
    }
}

/// An RRSIG record's data.
public struct DNSSignature: Sendable, Equatable {
    public var typeCovered: DNSRecordType
    public var algorithm: UInt8
    public var labels: UInt8
    public var originalTTL: UInt32
    /// Seconds since 1970, modulo 2^32 (RFC 4034 section 3.1.5: serial number arithmetic).
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    public var signer: DNSName
    public var signature: [UInt8]

    public init(typeCovered: DNSRecordType, algorithm: UInt8, labels: UInt8, originalTTL: UInt32, expiration: UInt32,
                inception: UInt32, keyTag: UInt16, signer: DNSName, signature: [UInt8]) {
        self.typeCovered = typeCovered
        self.algorithm = algorithm
        self.labels = labels
        self.originalTTL = originalTTL
        self.expiration = expiration
        self.inception = inception
        self.keyTag = keyTag
        self.signer = signer
        self.signature = signature
    }

    /// The signature's time fields as seconds since 1970, taken as the ones nearest `now`
    /// (RFC 1982 serial arithmetic, so a 32-bit field keeps working after 2106).
    public func window(near now: Int64) -> (inception: Int64, expiration: Int64) {
        (Self.nearest(inception, to: now), Self.nearest(expiration, to: now))
    }

    static func nearest(_ field: UInt32, to now: Int64) -> Int64 {
        let difference = Int32(bitPattern: field &- UInt32(truncatingIfNeeded: now))
        return now + Int64(difference)
    }

    /// What the signature covers, byte for byte: its own data without the signature, then
    /// the RRset in canonical form with the original TTL. Nil when the records cannot be
    /// encoded or the labels field is more than the owner name has.
    public func signedData(over records: [DNSRecord]) -> [UInt8]? {
        var header = WireWriter(compressing: false)
        header.uint16(typeCovered.code)
        header.bytes([algorithm, labels])
        header.uint32(originalTTL)
        header.uint32(expiration)
        header.uint32(inception)
        header.uint16(keyTag)
        guard (try? header.name(signer)) != nil else { return nil }
        var canonical: [(rdata: [UInt8], entry: [UInt8])] = []
        for record in records {
            // A wildcard expansion is signed as the wildcard: `labels` says how many labels
            // the signed owner had (section 3.1.3).
            let all = record.name.labels
            let counted = all.first == "*" ? all.count - 1 : all.count
            guard counted >= Int(labels) else { return nil }
            let owner = counted > Int(labels) ? DNSName(uncheckedText: (["*"] + all.suffix(Int(labels))).joined(separator: ".")) : record.name
            var name = WireWriter(compressing: false)
            guard (try? name.name(owner)) != nil else { return nil }
            var data = WireWriter(compressing: false)
            guard (try? data.recordData(record.data)) != nil else { return nil }
            var entry = name.bytes
            entry += [UInt8(record.type.code >> 8), UInt8(record.type.code & 0xFF)]
            entry += [UInt8(record.recordClass >> 8), UInt8(record.recordClass & 0xFF)]
            entry += [UInt8(originalTTL >> 24), UInt8((originalTTL >> 16) & 0xFF), UInt8((originalTTL >> 8) & 0xFF), UInt8(originalTTL & 0xFF)]
            entry += [UInt8(data.bytes.count >> 8), UInt8(data.bytes.count & 0xFF)] + data.bytes
            canonical.append((data.bytes, entry))
        }
        // Section 6.3: ordered by their record data alone as unsigned bytes (not by the length
        // before it), duplicates removed.
        var seen = Set<[UInt8]>()
        let ordered = canonical.sorted { $0.rdata.lexicographicallyPrecedes($1.rdata) }.filter { seen.insert($0.rdata).inserted }
        return header.bytes + ordered.map(\.entry).joined()
    }
}

extension DNSName {
    /// The name in canonical wire form (uncompressed, lower case): what a DS digest starts with.
    public var canonicalWire: [UInt8]? {
        var writer = WireWriter(compressing: false)
        guard (try? writer.name(self)) != nil else { return nil }
        return writer.bytes
    }
}

/// DNSSEC algorithm and digest numbers (IANA's registries) by name.
public enum DNSSECAlgorithm {
    public static func name(_ number: UInt8) -> String {
        switch number {
        case 5: "RSASHA1"
        case 7: "RSASHA1-NSEC3-SHA1"
        case 8: "RSASHA256"
        case 10: "RSASHA512"
        case 13: "ECDSAP256SHA256"
        case 14: "ECDSAP384SHA384"
        case 15: "ED25519"
        case 16: "ED448"
        default: "algorithm \(number)"
        }
    }

    public static func digestName(_ number: UInt8) -> String {
        switch number {
        case 1: "SHA-1"
        case 2: "SHA-256"
        case 4: "SHA-384"
        default: "digest type \(number)"
        }
    }
}

/// The cryptography DNSSEC needs, given to the judgement from outside (OpenSSL in the probes).
public protocol DNSSECCrypto: Sendable {
    /// The digest of `data` by DS digest type; nil for a type this build cannot compute.
    func digest(type: UInt8, of data: [UInt8]) -> [UInt8]?
    /// Whether `signature` over `data` verifies with `key`; nil for an algorithm this build cannot verify.
    func verify(_ signature: [UInt8], over data: [UInt8], key: DNSKey) -> Bool?
}

extension DNSSECCrypto {
    /// The DS digest of `key` as owned by `zone` (RFC 4034 section 5.1.4).
    public func dsDigest(of key: DNSKey, zone: DNSName, type: UInt8) -> [UInt8]? {
        guard let owner = zone.canonicalWire else { return nil }
        return digest(type: type, of: owner + key.rdata)
    }
}
