import COpenSSL
import FlightdeckCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// DNSSEC's digests and signature checks through OpenSSL: SHA-1, SHA-256 and SHA-384 DS
/// digests; RSA (RFC 3110, 5702), ECDSA P-256 and P-384 (RFC 6605), Ed25519 and Ed448 (RFC 8080).
public struct OpenSSLDNSSEC: DNSSECCrypto {
    public init() {}

    public func digest(type: UInt8, of data: [UInt8]) -> [UInt8]? {
        guard let md = Self.digestAlgorithm(type) else { return nil }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(data, data.count, &output, &length, md, nil) == 1 else { return nil }
        return Array(output.prefix(Int(length)))
    }

    public func verify(_ signature: [UInt8], over data: [UInt8], key: DNSKey) -> Bool? {
        let md: OpaquePointer?
        var signatureBytes = signature
        switch key.algorithm {
        case 5, 7, 8, 10:
            md = key.algorithm == 8 ? Digests.sha256 : key.algorithm == 10 ? Digests.sha512 : Digests.sha1
        case 13, 14:
            let size = key.algorithm == 13 ? 32 : 48
            md = key.algorithm == 13 ? Digests.sha256 : Digests.sha384
            guard key.publicKey.count == 2 * size, signature.count == 2 * size,
                  let der = Self.derSignature(signature, size: size) else { return false }
            signatureBytes = der
        case 15, 16:
            md = nil
        default:
            return nil
        }
        guard let parsed = ParsedKeys.shared.key(for: key, parse: Self.publicKey) else { return false }
        return withExtendedLifetime(parsed) {
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, md, nil, parsed.pointer) == 1 else {
                ERR_clear_error()
                return false
            }
            let verified = EVP_DigestVerify(context, signatureBytes, signatureBytes.count, data, data.count) == 1
            ERR_clear_error()
            return verified
        }
    }

    /// The DNSKEY's public key as OpenSSL holds it; nil when it is not a key of its algorithm.
    private static func publicKey(_ key: DNSKey) -> OpaquePointer? {
        switch key.algorithm {
        case 5, 7, 8, 10: rsaKey(key.publicKey)
        case 13, 14: key.publicKey.count == (key.algorithm == 13 ? 64 : 96)
            ? ecKey(key.publicKey, group: key.algorithm == 13 ? "prime256v1" : "secp384r1") : nil
        case 15, 16: key.publicKey.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(key.algorithm == 15 ? EVP_PKEY_ED25519 : EVP_PKEY_ED448, nil, $0.baseAddress, $0.count)
        }
        default: nil
        }
    }

    private static func digestAlgorithm(_ type: UInt8) -> OpaquePointer? {
        switch type {
        case 1: EVP_sha1()
        case 2: EVP_sha256()
        case 4: EVP_sha384()
        default: nil
        }
    }

    /// RFC 3110: an exponent length (one byte, or zero and two more), the exponent, the modulus.
    private static func rsaKey(_ bytes: [UInt8]) -> OpaquePointer? {
        guard let first = bytes.first else { return nil }
        var offset = 1
        var exponentLength = Int(first)
        if first == 0 {
            guard bytes.count >= 3 else { return nil }
            exponentLength = Int(bytes[1]) << 8 | Int(bytes[2])
            offset = 3
        }
        guard exponentLength > 0, bytes.count > offset + exponentLength else { return nil }
        let exponent = Array(bytes[offset..<offset + exponentLength])
        let modulus = Array(bytes[(offset + exponentLength)...])
        let n = BN_bin2bn(modulus, Int32(modulus.count), nil)
        let e = BN_bin2bn(exponent, Int32(exponent.count), nil)
        defer { BN_free(n); BN_free(e) }
        return fromData(type: "RSA") { builder, name in
            OSSL_PARAM_BLD_push_BN(builder, name("n"), n) == 1 && OSSL_PARAM_BLD_push_BN(builder, name("e"), e) == 1
        }
    }

    /// RFC 6605: the point's X and Y, which OpenSSL takes uncompressed (0x04 first).
    private static func ecKey(_ point: [UInt8], group: String) -> OpaquePointer? {
        let uncompressed = [0x04] + point
        return uncompressed.withUnsafeBufferPointer { bytes in
            fromData(type: "EC") { builder, name in
                OSSL_PARAM_BLD_push_utf8_string(builder, name("group"), name(group), 0) == 1
                    && OSSL_PARAM_BLD_push_octet_string(builder, name("pub"), bytes.baseAddress, bytes.count) == 1
            }
        }
    }

    /// A public key from parameters. The builder keeps the pointers it is given (names and
    /// buffers) until it makes the parameters, so `push` gets names that live that long.
    private static func fromData(type: String, push: (OpaquePointer, (String) -> UnsafePointer<CChar>) -> Bool) -> OpaquePointer? {
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        var names: [UnsafeMutablePointer<CChar>] = []
        defer { names.forEach { free($0) } }
        func name(_ text: String) -> UnsafePointer<CChar> {
            let copy = strdup(text)!
            names.append(copy)
            return UnsafePointer(copy)
        }
        guard push(builder, name), let parameters = OSSL_PARAM_BLD_to_param(builder) else { return nil }
        defer { OSSL_PARAM_free(parameters) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, fd_evp_pkey_public_key, parameters) == 1 else {
            ERR_clear_error()
            return nil
        }
        return key
    }

    /// RFC 6605 signatures are r and s side by side; OpenSSL verifies their DER form.
    private static func derSignature(_ raw: [UInt8], size: Int) -> [UInt8]? {
        guard let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        guard let r = BN_bin2bn(raw, Int32(size), nil), let s = BN_bin2bn(Array(raw[size...]), Int32(size), nil) else { return nil }
        guard ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        let length = i2d_ECDSA_SIG(signature, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_ECDSA_SIG(signature, &cursor)
        }
        return der
    }
}

/// Digests fetched from OpenSSL's provider once: `EVP_sha256()` and friends fetch again on
/// every use, which costs about as much as hashing a record set.
private enum Digests {
    nonisolated(unsafe) static let sha1 = EVP_MD_fetch(nil, "SHA1", nil)
    nonisolated(unsafe) static let sha256 = EVP_MD_fetch(nil, "SHA256", nil)
    nonisolated(unsafe) static let sha384 = EVP_MD_fetch(nil, "SHA384", nil)
    nonisolated(unsafe) static let sha512 = EVP_MD_fetch(nil, "SHA512", nil)
}

/// Public keys parsed once, not once per signature: building an RSA key from its parameters
/// costs more than verifying with it. At most 64 are kept (a zone has a handful; a hostile
/// server can only churn them). OpenSSL allows one key to verify on many threads at once.
final class ParsedKeys: Sendable {
    static let shared = ParsedKeys()
    static let limit = 64

    final class Key: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { EVP_PKEY_free(pointer) }
    }

    private let keys = Mutex<[DNSKey: Key]>([:])

    func key(for key: DNSKey, parse: (DNSKey) -> OpaquePointer?) -> Key? {
        if let found = keys.withLock({ $0[key] }) { return found }
        guard let pointer = parse(key) else { return nil }
        let parsed = Key(pointer)
        keys.withLock { keys in
            if keys.count >= Self.limit { keys.removeAll() }
            keys[key] = parsed
        }
        return parsed
    }
}
