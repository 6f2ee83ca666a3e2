import CGlibc
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Authoritative and caching DNS servers for tests: knot and unbound, on loopback.
///
/// Authoritative servers listen on port 53, because resolvers follow referrals to port 53
/// only; each test run picks its own random 127.x.y.0/24, so runs never collide. Binding
/// port 53 needs root (or CAP_NET_BIND_SERVICE): `LoopbackDNS.canBindPort53` tells tests.
public enum LoopbackDNS {
    public static let canBindPort53: Bool = {
        guard let socket = try? LoopbackSocket.listening(host: "127.53.53.53", port: 53) else { return false }
        close(socket.descriptor)
        return true
    }()

    /// A fresh 127.a.b.0 prefix (a in 100...199) for one test's servers.
    public static func randomPrefix() -> String {
        "127.\(Int.random(in: 100...199)).\(Int.random(in: 0...255))"
    }
}

/// A server process, killed (SIGKILL, see NginxServer.stop) and reaped when released.
public final class ServerProcess: @unchecked Sendable {
    private let child: ChildUnderTest
    /// The write end of the server's stdin, held open until it stops: nothing is written,
    /// and no server sees its input end (`openssl s_server` ends every connection at EOF).
    private let input: Int32
    private let stopped = Atomic<Bool>(false)
    public let directory: TestDirectory

    public init(_ executable: String, _ arguments: [String], directory: TestDirectory) throws {
        self.directory = directory
        var ends: [Int32] = [0, 0]
        guard pipe2(&ends, O_CLOEXEC) == 0 else { throw LoopbackSocket.posixError("pipe") }
        defer { close(ends[0]) }
        input = ends[1]
        do {
            child = try ChildUnderTest(executable, arguments, stdin: .descriptor(ends[0]), stderr: .file(directory.file("server.log")))
        } catch {
            close(ends[1])
            throw error
        }
        ExitCleanup.register { [weak self] in self?.stop() }
    }

    deinit { stop() }

    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        child.stop()
        close(input)
    }

    public var log: String { (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? "" }
}

/// knotd serving zones on one or more addresses (port 53), reloadable; zones it signs itself
/// (its automatic DNSSEC signing, keys made on first load) are served with their signatures.
public final class KnotServer: @unchecked Sendable {
    /// How knot signs a zone: its policy's algorithm name and signature lifetime.
    public struct Signing: Sendable {
        public var algorithm: String
        public var signatureLifetime: String

        public init(algorithm: String = "ecdsap256sha256", signatureLifetime: String = "14d") {
            self.algorithm = algorithm
            self.signatureLifetime = signatureLifetime
        }
    }

    public let addresses: [String]
    private let directory: TestDirectory
    private var process: ServerProcess?

    /// - Parameters:
    ///   - zones: zone name to zone-file text.
    ///   - signing: the zones knot signs, and how.
    ///   - namespace: the network it runs in, when not this one.
    public init(addresses: [String], zones: [String: String], signing: [String: Signing] = [:], namespace: NetworkNamespace? = nil) throws {
        self.addresses = addresses
        directory = try TestDirectory("knot")
        for (zone, text) in zones { try directory.write(text, to: "\(zone).zone") }
        let listen = addresses.map { "\"\($0)@53\"" }.joined(separator: ", ")
        let zoneList = zones.keys.sorted().map { zone in
            "  - domain: \(zone).\n    file: \"\(zone).zone\""
                + (signing[zone] == nil ? "" : "\n    dnssec-signing: on\n    dnssec-policy: \(zone)")
        }.joined(separator: "\n")
        let policies = signing.keys.sorted().map { zone in
            // The refresh must come before the end of the lifetime; a day less, or half of a short one.
            let lifetime = signing[zone]!.signatureLifetime
            let refresh = lifetime.hasSuffix("d") ? "\(max(1, (Int(lifetime.dropLast()) ?? 2) / 2))d" : lifetime
            return "  - id: \(zone)\n    algorithm: \(signing[zone]!.algorithm)\n    ksk-lifetime: 0\n    zsk-lifetime: 0\n"
                + "    rrsig-lifetime: \(lifetime)\n    rrsig-refresh: \(refresh)\n    rrsig-pre-refresh: 1h"
        }.joined(separator: "\n")
        try directory.write("""
            server:
                rundir: "\(directory.path)"
                listen: [ \(listen) ]
            log:
              - target: stderr
                any: warning
            database:
                storage: "\(directory.path)"
            \(policies.isEmpty ? "" : "policy:\n" + policies)
            template:
              - id: default
                storage: "\(directory.path)"
                zonefile-sync: -1
                zonefile-load: whole
                journal-content: none
            zone:
            \(zoneList)
            """, to: "knot.conf")
        let command = namespace?.command("/usr/sbin/knotd", ["-c", directory.file("knot.conf")])
            ?? (executable: "/usr/sbin/knotd", arguments: ["-c", directory.file("knot.conf")])
        process = try ServerProcess(command.executable, command.arguments, directory: directory)
        for address in addresses {
            if let namespace {
                try namespace.waitUntilListening(host: address, port: 53)
            } else {
                try waitUntilListening(host: address, port: 53)
            }
        }
        // knot makes its keys and signs after it listens (an RSA key takes a moment): wait
        // for the keys, then for a signing pass that is done when knotc returns.
        for zone in signing.keys {
            let deadline = Date().addingTimeInterval(10)
            while try ds(zone).isEmpty, Date() < deadline { usleep(50_000) }
            // The control socket may come a moment after the listening sockets.
            while true {
                do {
                    try runCommand("/usr/sbin/knotc", ["-b", "-s", directory.file("knot.sock"), "zone-sign", "\(zone)."])
                    break
                } catch where Date() < deadline {
                    usleep(50_000)
                }
            }
        }
    }

    /// Replaces a zone's file and has knot load it (bump the serial in `text`).
    public func update(zone: String, _ text: String) throws {
        try directory.write(text, to: "\(zone).zone")
        // Blocking: the reload is done, and every answer after this is from the new zone
        // (without -b knotc only queues it, and a probe racing it saw both zones at once).
        try runCommand("/usr/sbin/knotc", ["-b", "-s", directory.file("knot.sock"), "zone-reload", "\(zone)."])
    }

    public func stop() { process?.stop() }

    /// The DS records of a zone knot signs, as its own `keymgr ds` prints them
    /// (`zone. DS tag algorithm digest-type hex`), SHA-256 first.
    public func ds(_ zone: String) throws -> [String] {
        let output = try runCommand("/usr/sbin/keymgr", ["-c", directory.file("knot.conf"), "\(zone).", "ds"])
        return output.split(separator: "\n").map(String.init).filter { $0.contains(" DS ") }
    }

    /// The zone's DNSKEY records as knot publishes them (`flags 3 algorithm base64`).
    public func dnskeys(_ zone: String) throws -> [String] {
        let output = try runCommand("/usr/sbin/keymgr", ["-c", directory.file("knot.conf"), "\(zone).", "dnskey"])
        return output.split(separator: "\n").map(String.init).filter { $0.contains("DNSKEY") }
    }
}

/// unbound as a caching resolver that starts from a stub for the `test.` parent zone.
public final class UnboundServer: @unchecked Sendable {
    public let address: String
    public let port: UInt16
    /// DNS over TLS and over HTTPS ports, when certificates were given.
    public let tlsPort: UInt16?
    public let httpsPort: UInt16?
    private let process: ServerProcess

    /// - Parameter trustAnchor: a DS or DNSKEY record for `test.`: unbound then validates
    ///   DNSSEC from there down, as a validating public resolver does from the root.
    public init(address: String, parent: String, certificates: TestCertificates? = nil, trustAnchor: String? = nil) throws {
        self.address = address
        port = try FreePort.tcp(host: address)
        tlsPort = certificates == nil ? nil : try FreePort.tcp(host: address)
        httpsPort = certificates == nil ? nil : try FreePort.tcp(host: address)
        let directory = try TestDirectory("unbound")
        var interfaces = "    interface: \(address)@\(port)\n"
        var tls = ""
        if let certificates, let tlsPort, let httpsPort {
            interfaces += "    interface: \(address)@\(tlsPort)\n    interface: \(address)@\(httpsPort)\n"
            tls = """
                    tls-port: \(tlsPort)
                    https-port: \(httpsPort)
                    tls-service-key: "\(certificates.serverKey)"
                    tls-service-pem: "\(certificates.serverCertificate)"
                    http-notls-downstream: no

                """
        }
        try directory.write("""
            server:
            \(interfaces)    port: \(port)
            \(tls)    username: ""
                chroot: ""
                directory: "\(directory.path)"
                pidfile: "\(directory.file("unbound.pid"))"
                use-syslog: no
                logfile: ""
                verbosity: 0
                do-daemonize: no
                num-threads: 1
                so-reuseport: no
                do-not-query-localhost: no
                access-control: 127.0.0.0/8 allow
                module-config: "\(trustAnchor == nil ? "iterator" : "validator iterator")"
                qname-minimisation: no
                prefetch: no
                serve-expired: no
                cache-min-ttl: 0
                infra-host-ttl: 1
                local-zone: "test." nodefault
            \(trustAnchor.map { "    trust-anchor: \"\($0)\"\n    val-bogus-ttl: 1\n    val-log-level: 2" } ?? "    domain-insecure: \"test.\"")
            remote-control:
                control-enable: no
            stub-zone:
                name: "test."
                stub-addr: \(parent)@53

            """, to: "unbound.conf")
        process = try ServerProcess("/usr/sbin/unbound", ["-d", "-c", directory.file("unbound.conf")], directory: directory)
        try waitUntilListening(host: address, port: port)
    }

    public func stop() { process.stop() }
}

/// A zone signed ahead of time with ldns-signzone, for what knot's own signer never makes:
/// signatures already expired, or keys of two algorithms at once (an algorithm roll).
public struct PresignedZone: Sendable {
    /// The signed zone file, for a knot zone that does not sign itself.
    public let text: String
    /// The DS record of each key (`zone. 3600 IN DS tag algorithm 2 hex`), from ldns-key2ds.
    public let ds: [String]
    /// The zone file's path, for ldns-verify-zone.
    public let path: String
    private let directory: TestDirectory

    /// - Parameters:
    ///   - algorithms: ldns-keygen's names (ECDSAP256SHA256, RSASHA256, ED25519): one key-signing key each.
    ///   - inception, expiration: the signatures' window, in seconds since 1970.
    public init(zone: String, text: String, algorithms: [String], inception: Int, expiration: Int) throws {
        let directory = try TestDirectory("presigned")
        self.directory = directory
        try directory.write(text, to: "zone")
        var keys: [String] = []
        var ds: [String] = []
        for algorithm in algorithms {
            let bits = algorithm.hasPrefix("RSA") ? ["-b", "2048"] : []
            let base = try runCommand("/usr/bin/ldns-keygen", ["-a", algorithm, "-k"] + bits + [zone], in: directory.path)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            keys.append(base)
            ds.append(try runCommand("/usr/bin/ldns-key2ds", ["-n", "-2", "\(base).key"], in: directory.path)
                .trimmingCharacters(in: .whitespacesAndNewlines))
        }
        _ = try runCommand("/usr/bin/ldns-signzone", ["-o", zone, "-i", String(inception), "-e", String(expiration), "zone"] + keys,
                           in: directory.path)
        path = directory.file("zone.signed")
        self.text = try String(contentsOfFile: path, encoding: .utf8)
        self.ds = ds
    }
}
