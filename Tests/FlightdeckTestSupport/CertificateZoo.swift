import Foundation

/// Certificates with every flaw a launch can meet, made with the openssl command (`openssl
/// ca`, so validity dates can lie in the past or the future) for each test run.
public struct CertificateZoo: Sendable {
    public let directory: String

    /// Leaves: each has `NAME.pem` (the certificate), `NAME.key`, and `NAME.chain.pem` (as a
    /// server should send it).
    public enum Leaf: String, CaseIterable, Sendable {
        case valid, ecdsa, expired, notYetValid, expiredIntermediate, wrongHost, wildcard, selfSigned
        case rsa1024, sha1, revoked
        /// Issued by an intermediate that expires (in 20 days) long before the leaf (89 days).
        case shortIntermediate
    }

    public var rootCA: String { "\(directory)/root.pem" }
    public func certificate(_ leaf: Leaf) -> String { "\(directory)/\(leaf.rawValue).pem" }
    public func key(_ leaf: Leaf) -> String { "\(directory)/\(leaf.rawValue).key" }
    public func chain(_ leaf: Leaf) -> String { "\(directory)/\(leaf.rawValue).chain.pem" }
    /// Extra certificates in the wrong order: the root before the intermediate.
    public var misorderedExtras: String { "\(directory)/misordered.extras.pem" }
    /// The certificate that issued `leaf`, as a server sends it after the leaf.
    public func issuer(_ leaf: Leaf) -> String {
        switch leaf {
        case .expiredIntermediate: "\(directory)/oldinter.pem"
        case .shortIntermediate: "\(directory)/shortinter.pem"
        default: "\(directory)/inter.pem"
        }
    }
    public func ocspResponse(_ leaf: Leaf) -> String { "\(directory)/\(leaf.rawValue).ocsp.der" }

    public static let names = ["zoo.test", "api.zoo.test"]

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws { try runCommand("/usr/bin/openssl", arguments, in: directory) }
        func write(_ text: String, _ name: String) throws { try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8) }

        // Two CA databases: the root signs intermediates, the intermediates sign leaves.
        for ca in ["root", "inter", "oldinter", "shortinter"] {
            try write("", "\(ca).index")
            try write("1000\n", "\(ca).serial")
            try write("""
                [ ca ]
                default_ca = this
                [ this ]
                database = \(directory)/\(ca).index
                serial = \(directory)/\(ca).serial
                new_certs_dir = \(directory)
                default_md = sha256
                policy = anything
                unique_subject = no
                copy_extensions = copy
                [ anything ]
                commonName = supplied
                [ ca_ext ]
                basicConstraints = critical,CA:TRUE
                keyUsage = critical,keyCertSign,cRLSign
                [ leaf_ext ]
                basicConstraints = CA:FALSE
                extendedKeyUsage = serverAuth
                """, "\(ca).cnf")
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let rsa2048 = ["-newkey", "rsa:2048", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "root.key", "-out", "root.pem", "-days", "3650", "-subj", "/CN=Zoo Root CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

        func sign(_ ca: String, csr: String, out: String, extensions: String, start: String? = nil, end: String? = nil,
                  days: Int = 90, digest: String = "sha256") throws {
            var arguments = ["ca", "-batch", "-config", "\(ca == "root" ? "root" : ca).cnf", "-cert", "\(ca).pem", "-keyfile", "\(ca).key",
                             "-in", csr, "-out", out, "-extensions", extensions, "-md", digest, "-notext"]
            if let start, let end { arguments += ["-startdate", start, "-enddate", end] } else { arguments += ["-days", String(days)] }
            try openssl(arguments)
        }
        // The intermediates: a good one, one that expired a year ago, and one with 20 days left.
        for (name, subject, start, end, days) in [("inter", "Zoo Intermediate", nil, nil, 365),
                                                  ("oldinter", "Zoo Old Intermediate", "20240101000000Z", "20250101000000Z", 365),
                                                  ("shortinter", "Zoo Short Intermediate", nil, nil, 21)] as [(String, String, String?, String?, Int)] {
            try openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(subject)"])
            try sign("root", csr: "\(name).csr", out: "\(name).pem", extensions: "ca_ext", start: start, end: end, days: days)
        }

        func leaf(_ leaf: Leaf, names: [String], keyOptions: [String] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
                  issuer: String = "inter", start: String? = nil, end: String? = nil, digest: String = "sha256") throws {
            let name = leaf.rawValue
            try openssl(["req"] + keyOptions + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(names[0])",
                         "-addext", "subjectAltName=" + names.map { "DNS:\($0)" }.joined(separator: ",")])
            try sign(issuer, csr: "\(name).csr", out: "\(name).pem", extensions: "leaf_ext", start: start, end: end, days: 90, digest: digest)
            let issuerText = try String(contentsOfFile: "\(directory)/\(issuer).pem", encoding: .utf8)
            try write(try String(contentsOfFile: "\(directory)/\(name).pem", encoding: .utf8) + issuerText, "\(name).chain.pem")
        }
        try leaf(.valid, names: Self.names, keyOptions: rsa2048)
        try leaf(.ecdsa, names: Self.names)
        try leaf(.expired, names: Self.names, start: "20240101000000Z", end: "20250101000000Z")
        try leaf(.notYetValid, names: Self.names, start: "20990101000000Z", end: "20991231000000Z")
        try leaf(.expiredIntermediate, names: Self.names, issuer: "oldinter")
        try leaf(.wrongHost, names: ["other.test"])
        try leaf(.wildcard, names: ["*.zoo.test"])
        try leaf(.rsa1024, names: Self.names, keyOptions: ["-newkey", "rsa:1024", "-nodes"])
        try leaf(.sha1, names: Self.names, digest: "sha1")
        try leaf(.revoked, names: Self.names)
        try leaf(.shortIntermediate, names: Self.names, issuer: "shortinter")
        try openssl(["req", "-x509"] + ec + ["-keyout", "selfSigned.key", "-out", "selfSigned.pem", "-days", "90", "-subj", "/CN=zoo.test",
                     "-addext", "subjectAltName=DNS:zoo.test,DNS:api.zoo.test"])
        try fm.copyItem(atPath: "\(directory)/selfSigned.pem", toPath: "\(directory)/selfSigned.chain.pem")
        let inter = try String(contentsOfFile: "\(directory)/inter.pem", encoding: .utf8)
        try write((try String(contentsOfFile: rootCA, encoding: .utf8)) + inter, "misordered.extras.pem")

        // OCSP answers as a responder would give them: good for one leaf, revoked for another.
        try openssl(["ca", "-batch", "-config", "inter.cnf", "-cert", "inter.pem", "-keyfile", "inter.key", "-revoke", "revoked.pem"])
        for subject in [Leaf.valid, .revoked] {
            try openssl(["ocsp", "-issuer", "inter.pem", "-cert", "\(subject.rawValue).pem", "-no_nonce", "-reqout", "\(subject.rawValue).ocspreq"])
            try openssl(["ocsp", "-index", "inter.index", "-rsigner", "inter.pem", "-rkey", "inter.key", "-CA", "inter.pem",
                         "-reqin", "\(subject.rawValue).ocspreq", "-respout", "\(subject.rawValue).ocsp.der", "-ndays", "1"])
        }
    }
}
