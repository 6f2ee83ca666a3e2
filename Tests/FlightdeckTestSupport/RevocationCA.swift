import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A CA whose leaves say where their revocation status is published, made with `openssl ca`
/// for each test run: the CRL (DER, made by `openssl ca -gencrl`) as a file the shared nginx
/// serves, and an OCSP responder on loopback. The responder's answers are `openssl ocsp`'s
/// own, made from the CA's index for each request; only the socket is ours, because
/// `openssl ocsp -port` listens on every interface and tests stay on loopback.
public final class RevocationCA: @unchecked Sendable {
    public enum Leaf: String, CaseIterable, Sendable {
        /// Names the CRL and the OCSP responder; not revoked.
        case good
        /// Names both; revoked with reason keyCompromise.
        case revoked
        /// Names neither.
        case unpublished
        /// Names a CRL nginx does not have and a responder nobody listens on.
        case unreachable
    }

    /// Who signs the OCSP responder's answers.
    public enum OCSPSigner: Sendable {
        case issuer
        /// A key that is not the issuer's, under the issuer's name.
        case impostor
    }

    public let directory: TestDirectory
    public let crlURL: String
    public let ocspURL: String
    /// Where `crlURL` is served from.
    private let crlFile: String
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let signer = Mutex<OCSPSigner>(.issuer)

    public var rootCA: String { directory.file("root.pem") }
    public var issuer: String { directory.file("inter.pem") }
    public func certificate(_ leaf: Leaf) -> String { directory.file("\(leaf.rawValue).pem") }
    public func key(_ leaf: Leaf) -> String { directory.file("\(leaf.rawValue).key") }

    public init(nginx: NginxServer) throws {
        directory = try TestDirectory("revocation")
        let published = "\(nginx.filesDirectory)/\(URL(fileURLWithPath: directory.path).lastPathComponent)"
        try FileManager.default.createDirectory(atPath: published, withIntermediateDirectories: true)
        crlFile = "\(published)/inter.crl"
        crlURL = nginx.url("/files/\(URL(fileURLWithPath: published).lastPathComponent)/inter.crl")
        let socket = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        listener = socket.descriptor
        ocspURL = "http://127.0.0.1:\(socket.port)/"
        let nobody = try FreePort.tcp()

        for ca in ["root", "inter", "impostor"] {
            try directory.write("", to: "\(ca).index")
            try directory.write("2000\n", to: "\(ca).serial")
            try directory.write("""
                [ ca ]
                default_ca = this
                [ this ]
                database = \(directory.file("\(ca).index"))
                serial = \(directory.file("\(ca).serial"))
                new_certs_dir = \(directory.path)
                default_md = sha256
                default_crl_days = 7
                policy = anything
                unique_subject = no
                copy_extensions = copy
                [ anything ]
                commonName = supplied
                [ ca_ext ]
                basicConstraints = critical,CA:TRUE
                keyUsage = critical,keyCertSign,cRLSign
                [ good_ext ]
                basicConstraints = CA:FALSE
                extendedKeyUsage = serverAuth
                crlDistributionPoints = URI:\(crlURL)
                authorityInfoAccess = OCSP;URI:\(ocspURL)
                [ unreachable_ext ]
                basicConstraints = CA:FALSE
                extendedKeyUsage = serverAuth
                crlDistributionPoints = URI:\(nginx.url("/files/nothing-here/inter.crl"))
                authorityInfoAccess = OCSP;URI:http://127.0.0.1:\(nobody)/
                [ unpublished_ext ]
                basicConstraints = CA:FALSE
                extendedKeyUsage = serverAuth
                """, to: "\(ca).cnf")
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "root.key", "-out", "root.pem", "-days", "3650", "-subj", "/CN=Revocation Root CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req"] + ec + ["-keyout", "inter.key", "-out", "inter.csr", "-subj", "/CN=Revocation Intermediate"])
        try openssl(["ca", "-batch", "-config", "root.cnf", "-cert", "root.pem", "-keyfile", "root.key", "-in", "inter.csr",
                     "-out", "inter.pem", "-extensions", "ca_ext", "-days", "365", "-notext"])
        // The impostor: another key under the intermediate's very name.
        try openssl(["req", "-x509"] + ec + ["-keyout", "impostor.key", "-out", "impostor.pem", "-days", "365",
                     "-subj", "/CN=Revocation Intermediate", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        for leaf in Leaf.allCases {
            let name = leaf.rawValue
            let section = leaf == .revoked ? "good" : name
            try openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=rev.test",
                         "-addext", "subjectAltName=DNS:rev.test"])
            try openssl(["ca", "-batch", "-config", "inter.cnf", "-cert", "inter.pem", "-keyfile", "inter.key", "-in", "\(name).csr",
                         "-out", "\(name).pem", "-extensions", "\(section)_ext", "-days", "90", "-notext"])
        }
        try openssl(["ca", "-batch", "-config", "inter.cnf", "-cert", "inter.pem", "-keyfile", "inter.key",
                     "-revoke", "revoked.pem", "-crl_reason", "keyCompromise"])
        try publishCRL()
        Thread { [self] in acceptLoop() }.start()
        ExitCleanup.register { [self] in stop() }
    }

    deinit { stop() }

    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // The accepting thread closes it once out of accept() (see HostileServer.stop).
        shutdown(listener, Int32(SHUT_RDWR))
    }

    // MARK: The CRL as nginx serves it

    /// The intermediate's current CRL, valid for 7 days.
    public func publishCRL() throws {
        try openssl(["ca", "-batch", "-config", "inter.cnf", "-cert", "inter.pem", "-keyfile", "inter.key", "-gencrl", "-out", "inter.crl.pem"])
        try openssl(["crl", "-in", "inter.crl.pem", "-outform", "DER", "-out", crlFile])
    }

    /// A CRL whose nextUpdate has passed.
    public func publishExpiredCRL() throws {
        try openssl(["ca", "-batch", "-config", "inter.cnf", "-cert", "inter.pem", "-keyfile", "inter.key", "-gencrl",
                     "-crl_lastupdate", "20250101000000Z", "-crl_nextupdate", "20250108000000Z", "-out", "expired.crl.pem"])
        try openssl(["crl", "-in", "expired.crl.pem", "-outform", "DER", "-out", crlFile])
    }

    /// A CRL under the intermediate's name, signed by the impostor's key, that lists nothing.
    public func publishForgedCRL() throws {
        try openssl(["ca", "-batch", "-config", "impostor.cnf", "-cert", "impostor.pem", "-keyfile", "impostor.key", "-gencrl", "-out", "forged.crl.pem"])
        try openssl(["crl", "-in", "forged.crl.pem", "-outform", "DER", "-out", crlFile])
    }

    /// Bytes in place of the CRL.
    public func publish(_ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: crlFile))
    }

    public func signOCSP(with signer: OCSPSigner) { self.signer.withLock { $0 = signer } }

    // MARK: The OCSP responder

    private func acceptLoop() {
        defer { close(listener) }
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Thread { [self] in answer(client) }.start()
        }
    }

    private func answer(_ client: Int32) {
        defer { close(client) }
        guard let request = readPost(client) else { return }
        let name = UUID().uuidString
        let (ca, key) = signer.withLock { $0 } == .issuer ? ("inter", "inter") : ("impostor", "impostor")
        var response: [UInt8] = []
        if (try? Data(request).write(to: URL(fileURLWithPath: directory.file("\(name).req")))) != nil,
           (try? ChildUnderTest("/usr/bin/openssl", ["ocsp", "-index", "inter.index", "-rsigner", "\(ca).pem", "-rkey", "\(key).key",
                                                     "-CA", "inter.pem", "-reqin", "\(name).req", "-respout", "\(name).resp",
                                                     "-ndays", "1"], directory: directory.path).wait()) == .exited(0),
           let bytes = FileManager.default.contents(atPath: directory.file("\(name).resp")) {
            response = Array(bytes)
        }
        let head = response.isEmpty ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: \(response.count)\r\nConnection: close\r\n\r\n"
        let all = Array(head.utf8) + response
        _ = all.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The body of one POST, by its Content-Length (at most 64 KiB).
    private func readPost(_ client: Int32) -> [UInt8]? {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var bodyStart: Int?
        var length = 0
        while received.count < 1 << 16 {
            if let bodyStart, received.count - bodyStart >= length { return Array(received[bodyStart..<(bodyStart + length)]) }
            let count = recv(client, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received.append(contentsOf: buffer.prefix(count))
            if bodyStart == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                bodyStart = end.upperBound
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            }
        }
        return nil
    }

    private func openssl(_ arguments: [String]) throws {
        try runCommand("/usr/bin/openssl", arguments, in: directory.path)
    }
}
