import COpenSSL
import Foundation

/// The launch's certificates, made with OpenSSL when the demo starts: a root CA (written to
/// `ca.pem`, which the demo plan trusts), an intermediate, and the leaves the web servers
/// choose by SNI:
/// - the apex's own certificate (apex and www);
/// - a wildcard for the subdomains, which does not cover the apex;
/// - the stream's certificate, 12 days from expiry.
final class DemoCertificates: @unchecked Sendable {
    /// An X509 and its EVP_PKEY, owned by this object for the life of the process.
    struct Issued {
        let certificate: OpaquePointer
        let key: OpaquePointer
    }

    let caFile: String
    let apex: Issued
    let wildcard: Issued
    let stream: Issued
    let intermediate: Issued
    static let streamDaysLeft = 12

    init(zone: String, directory: String) throws {
        let day: TimeInterval = 86_400
        let now = Date()
        let root = try Self.issue(commonName: "DirectFanz Demo Root CA", names: [], issuer: nil,
                                  from: now - day, until: now + 3650 * day, isCA: true)
        intermediate = try Self.issue(commonName: "DirectFanz Demo Issuing CA 1", names: [], issuer: root,
                                      from: now - day, until: now + 1825 * day, isCA: true)
        apex = try Self.issue(commonName: zone, names: [zone, "www.\(zone)"], issuer: intermediate,
                              from: now - day, until: now + 89 * day, isCA: false)
        wildcard = try Self.issue(commonName: "*.\(zone)", names: ["*.\(zone)"], issuer: intermediate,
                                  from: now - 30 * day, until: now + 60 * day, isCA: false)
        // A whole day more than the days shown, so the count does not drop a day while the demo runs.
        stream = try Self.issue(commonName: "stream.\(zone)", names: ["stream.\(zone)"], issuer: intermediate,
                                from: now - 78 * day, until: now + Double(Self.streamDaysLeft) * day + day / 2, isCA: false)
        caFile = "\(directory)/ca.pem"
        guard let file = BIO_new_file(caFile, "w") else { throw DemoError("cannot write \(caFile)") }
        defer { BIO_free(file) }
        guard PEM_write_bio_X509(file, root.certificate) == 1 else { throw DemoError("cannot write \(caFile)") }
    }

    /// A TLS server context serving `leaf` and the intermediate after it.
    func serverContext(_ leaf: Issued) throws -> OpaquePointer {
        guard let context = SSL_CTX_new(TLS_server_method()),
              SSL_CTX_use_certificate(context, leaf.certificate) == 1,
              SSL_CTX_use_PrivateKey(context, leaf.key) == 1,
              fd_ssl_ctx_add1_chain_cert(context, intermediate.certificate) == 1 else {
            throw DemoError("OpenSSL could not set up a server context: \(Self.lastError())")
        }
        return context
    }

    private static func newKey() throws -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw DemoError("OpenSSL has no EC keys") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &key) == 1, let key else {
            throw DemoError("OpenSSL could not make a key: \(lastError())")
        }
        return key
    }

    private static func issue(commonName: String, names: [String], issuer: Issued?, from: Date, until: Date, isCA: Bool) throws -> Issued {
        let key = try newKey()
        guard let certificate = X509_new() else { throw DemoError("OpenSSL could not make a certificate") }
        X509_set_version(certificate, 2)
        let serial = BN_new()
        defer { BN_free(serial) }
        BN_rand(serial, 120, -1, 0)
        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate))
        ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(from.timeIntervalSince1970))
        ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(until.timeIntervalSince1970))
        X509_set_pubkey(certificate, key)
        let subject = X509_get_subject_name(certificate)
        X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, "DirectFanz demo", -1, -1, 0)
        X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, commonName, -1, -1, 0)
        X509_set_issuer_name(certificate, issuer.map { X509_get_subject_name($0.certificate) } ?? subject)

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate ?? certificate, certificate, nil, nil, 0)
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, isCA ? "critical,CA:TRUE" : "critical,CA:FALSE"),
            (NID_key_usage, isCA ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"),
            (NID_subject_key_identifier, "hash"),
        ]
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid")) }
        if !isCA {
            extensions.append((NID_ext_key_usage, "serverAuth"))
            extensions.append((NID_subject_alt_name, names.map { "DNS:\($0)" }.joined(separator: ",")))
        }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw DemoError("OpenSSL refused the extension \(value): \(lastError())")
            }
            X509_add_ext(certificate, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(certificate, issuer?.key ?? key, EVP_sha256()) > 0 else {
            throw DemoError("OpenSSL could not sign \(commonName): \(lastError())")
        }
        return Issued(certificate: certificate, key: key)
    }

    private static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(ERR_get_error(), &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Which certificate a TLS client gets for the name it asks for (SNI): the apex is served
/// the wildcard, which does not cover it, until its own certificate is deployed. OpenSSL
/// contexts, once set up, are safe to share between threads.
final class DemoCertificateChoice: @unchecked Sendable {
    let initial: OpaquePointer
    private let apex: OpaquePointer
    private let stream: OpaquePointer
    private let zone: String
    private let clock: DemoClock

    init(_ certificates: DemoCertificates, zone: String, clock: DemoClock) throws {
        initial = try certificates.serverContext(certificates.wildcard)
        apex = try certificates.serverContext(certificates.apex)
        stream = try certificates.serverContext(certificates.stream)
        self.zone = zone
        self.clock = clock
    }

    func context(for name: String) -> OpaquePointer {
        switch name {
        case zone, "www.\(zone)": DemoScript.apexHasItsCertificate(at: clock.world) ? apex : initial
        case "stream.\(zone)": stream
        default: initial
        }
    }
}
