import COpenSSL
import FlightdeckCore
import Foundation

/// The old provider's DNSSEC signer: one Ed25519 key (RFC 8080) made at start that signs
/// the DNSKEY set and every answer, as a real signer would, so the probes verify real
/// signatures. The new provider does not sign: the demo's DNSSEC story is the DS at the
/// parent that has to go before the cutover.
final class DemoSigner: @unchecked Sendable {
    let zone: DNSName
    let key: DNSKey
    /// EVP_PKEY.
    private let privateKey: OpaquePointer

    init(zone: DNSName) throws {
        self.zone = zone
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw DemoError("cannot make an Ed25519 key") }
        defer { EVP_PKEY_CTX_free(context) }
        var made: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &made) == 1, let made else {
            throw DemoError("cannot make an Ed25519 key")
        }
        var length = 32
        var publicKey = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_get_raw_public_key(made, &publicKey, &length) == 1 else { throw DemoError("cannot read the Ed25519 key") }
        privateKey = made
        // 257: a zone key that signs the DNSKEY set (one key for both roles).
        key = DNSKey(flags: 257, algorithm: 15, publicKey: Array(publicKey.prefix(length)))
    }

    deinit { EVP_PKEY_free(privateKey) }

    /// The parent's DS for the key (SHA-256), with the TTL given.
    func ds(ttl: UInt32) -> DNSRecord? {
        guard let owner = zone.canonicalWire else { return nil }
        let data = owner + key.rdata
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var size: UInt32 = 0
        guard EVP_Digest(data, data.count, &digest, &size, EVP_sha256(), nil) == 1 else { return nil }
        return DNSRecord(name: zone, ttl: ttl, data: .ds(keyTag: key.keyTag, algorithm: 15, digestType: 2, digest: Array(digest.prefix(Int(size)))))
    }

    var dnskey: RecordData { .dnskey(key) }

    /// An RRSIG over `records` (one set: same name, type and TTL), valid from an hour ago for 30 days.
    func sign(_ records: [DNSRecord]) -> DNSRecord? {
        guard let first = records.first else { return nil }
        let now = UInt32(Date().timeIntervalSince1970)
        var signature = DNSSignature(typeCovered: first.type, algorithm: 15, labels: UInt8(first.name.labels.count), originalTTL: first.ttl,
                                     expiration: now + 30 * 86400, inception: now - 3600, keyTag: key.keyTag, signer: zone, signature: [])
        guard let data = signature.signedData(over: records), let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var length = 64
        var bytes = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSignInit(context, nil, nil, nil, privateKey) == 1,
              EVP_DigestSign(context, &bytes, &length, data, data.count) == 1 else { return nil }
        signature.signature = Array(bytes.prefix(length))
        return DNSRecord(name: first.name, ttl: first.ttl, data: .rrsig(signature))
    }
}
