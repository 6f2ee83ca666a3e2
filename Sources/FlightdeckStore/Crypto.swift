import COpenSSL
import FlightdeckCore
import Foundation

/// SHA-256, PIN hashing and PIN checking, through OpenSSL.
public enum Crypto {
    /// Fetched once: `EVP_sha256()` makes OpenSSL 3 look the implementation up again on
    /// every digest, which cost more than hashing a journal entry. Immutable once fetched.
    private nonisolated(unsafe) static let sha256 = EVP_MD_fetch(nil, "SHA256", nil)

    public static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = input.withUnsafeBufferPointer { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, sha256, nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return hex(digest)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&bytes, Int32(count)) == 1, "RAND_bytes failed")
        return bytes
    }

    /// The PIN's hash with the given algorithm and salt; nil if OpenSSL refuses the parameters.
    static func derive(_ pin: String, algorithm: PINHash.Algorithm, salt: [UInt8], length: Int) -> [UInt8]? {
        let secret = Array(pin.utf8)
        var output = [UInt8](repeating: 0, count: length)
        let ok: Int32
        switch algorithm {
        case .pbkdf2SHA256(let iterations):
            ok = PKCS5_PBKDF2_HMAC(secret.map { CChar(bitPattern: $0) }, Int32(secret.count), salt, Int32(salt.count),
                                   Int32(iterations), EVP_sha256(), Int32(length), &output)
        case .scrypt(let n, let r, let p):
            // OpenSSL's default memory cap (32 MiB) is exactly N=2^15, r=8; allow headroom.
            let memory = UInt64(128 * r * (n + p + 2))
            ok = EVP_PBE_scrypt(secret.map { CChar(bitPattern: $0) }, secret.count, salt, salt.count,
                                UInt64(n), UInt64(r), UInt64(p), memory + 1 << 20, &output, length)
        }
        return ok == 1 ? output : nil
    }

    /// Whether `pin` is the one the hash was made from; compared in constant time.
    public static func pinMatches(_ pin: String, _ hash: PINHash) -> Bool {
        guard let derived = derive(pin, algorithm: hash.algorithm, salt: hash.salt, length: hash.hash.count) else { return false }
        return derived.withUnsafeBytes { left in
            hash.hash.withUnsafeBytes { right in CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0 }
        }
    }

    /// A new salted scrypt hash of a PIN, in the plan's `pin_hash` format.
    public static func hashPIN(_ pin: String) -> String {
        let (n, r, p) = (32_768, 8, 1)
        let salt = randomBytes(16)
        let hash = derive(pin, algorithm: .scrypt(n: n, r: r, p: p), salt: salt, length: 32)!
        return "scrypt$\(n)$\(r)$\(p)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// The digest a vote's evidence carries.
    public static func evidence(_ items: [EvidenceItem]) -> VoteEvidence {
        VoteEvidence(items: items, digest: sha256Hex(Array(VoteEvidence.canonicalText(items).utf8)))
    }
}
