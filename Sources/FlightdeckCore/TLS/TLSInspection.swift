import Foundation

/// One certificate of a served chain, as the TLS probe read it.
public struct CertificateInfo: Sendable, Equatable {
    public var subject: String
    public var issuer: String
    /// Hex, upper case.
    public var serial: String
    /// SHA-256 of the DER, hex, upper case.
    public var fingerprint: String
    public var notBefore: Date
    public var notAfter: Date
    /// `RSA`, `EC`, `Ed25519`...
    public var keyType: String
    public var keyBits: Int
    /// `sha256WithRSAEncryption`, `ecdsa-with-SHA256`...
    public var signatureAlgorithm: String
    /// DNS names of the subjectAltName extension, as given (lower-cased).
    public var dnsNames: [String]
    public var isCA: Bool

    public init(subject: String, issuer: String, serial: String, fingerprint: String, notBefore: Date, notAfter: Date,
                keyType: String, keyBits: Int, signatureAlgorithm: String, dnsNames: [String], isCA: Bool) {
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.fingerprint = fingerprint
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.keyType = keyType
        self.keyBits = keyBits
        self.signatureAlgorithm = signatureAlgorithm
        self.dnsNames = dnsNames
        self.isCA = isCA
    }

    public var isSelfIssued: Bool { subject == issuer }
    public var usesSHA1: Bool { signatureAlgorithm.lowercased().contains("sha1") }
}

/// What a TLS handshake with an endpoint showed.
public struct TLSInspection: Sendable, Equatable {
    /// What the stapled OCSP response says about the leaf. Always asked for: a server that
    /// staples "revoked" is telling every client so.
    public enum StapledOCSP: String, Sendable, Equatable {
        case good, revoked, unknown, none, malformed
        /// A response about some other certificate.
        case otherCertificate = "for another certificate"
        /// Outside its thisUpdate..nextUpdate window.
        case stale = "out of date"
    }

    /// `TLSv1.3`.
    public var protocolVersion: String
    public var cipher: String
    /// The chain exactly as served, leaf first.
    public var chain: [CertificateInfo]
    /// OpenSSL's verification result against the trust store or the plan's CA file.
    public var verificationCode: Int
    /// OpenSSL's words for it (`ok` when it verified).
    public var verificationReason: String
    public var ocsp: StapledOCSP
    /// Signed certificate timestamps embedded in the leaf.
    public var embeddedSCTs: Int
    public var remoteAddress: String
    /// Which protocol versions the server accepts when offered alone (`TLSv1` ... `TLSv1.3`),
    /// when they were tried.
    public var acceptedVersions: [String: Bool]?
    public var connected: Duration
    public var handshakeDone: Duration
    /// What asking the CRL or OCSP responder about the leaf needs; nil when no leaf came.
    public var revocationPointers: RevocationPointers?

    public init(protocolVersion: String, cipher: String, chain: [CertificateInfo], verificationCode: Int,
                verificationReason: String, ocsp: StapledOCSP, embeddedSCTs: Int, remoteAddress: String,
                connected: Duration, handshakeDone: Duration) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.chain = chain
        self.verificationCode = verificationCode
        self.verificationReason = verificationReason
        self.ocsp = ocsp
        self.embeddedSCTs = embeddedSCTs
        self.remoteAddress = remoteAddress
        self.connected = connected
        self.handshakeDone = handshakeDone
    }

    public var verified: Bool { verificationCode == 0 }
}

/// RFC 6125 host name matching against a certificate's DNS names.
public enum HostnameCoverage {
    /// Whether `pattern` (a SAN, possibly `*.example.com`) covers `host`: case-insensitive, a
    /// wildcard only as the whole left-most label and covering exactly one label, never the
    /// parent itself. Internationalised names compare in their A-label form, as the plan and
    /// certificates both carry them.
    public static func covers(_ pattern: String, _ host: String) -> Bool {
        let pattern = pattern.lowercased().trimmingSuffix(".")
        let host = host.lowercased().trimmingSuffix(".")
        guard pattern.hasPrefix("*.") else { return pattern == host }
        let suffix = pattern.dropFirst(2)
        // A wildcard must sit under at least two labels (`*.com` covers nothing).
        guard suffix.contains("."), !suffix.contains("*") else { return false }
        guard let dot = host.firstIndex(of: ".") else { return false }
        let first = host[..<dot]
        return !first.isEmpty && host[host.index(after: dot)...] == suffix
    }

    /// The first of `names` that covers `host`, if any.
    public static func coveringName(_ names: [String], _ host: String) -> String? {
        names.first { covers($0, host) }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
