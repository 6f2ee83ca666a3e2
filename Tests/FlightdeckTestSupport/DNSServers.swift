import Foundation
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

/// A Process that is killed (SIGKILL, see NginxServer.stop) when released.
public final class ServerProcess: @unchecked Sendable {
    private let process = Process()
    public let directory: TestDirectory

    public init(_ executable: String, _ arguments: [String], directory: TestDirectory) throws {
        self.directory = directory
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = directory.file("server.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        ExitCleanup.register { [process] in if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    deinit { stop() }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? "" }
}

/// knotd serving zones on one or more addresses (port 53), reloadable.
public final class KnotServer: @unchecked Sendable {
    public let addresses: [String]
    private let directory: TestDirectory
    private var process: ServerProcess?

    /// - Parameter zones: zone name to zone-file text.
    public init(addresses: [String], zones: [String: String]) throws {
        self.addresses = addresses
        directory = try TestDirectory("knot")
        for (zone, text) in zones { try directory.write(text, to: "\(zone).zone") }
        let listen = addresses.map { "\"\($0)@53\"" }.joined(separator: ", ")
        let zoneList = zones.keys.sorted().map { "  - domain: \($0).\n    file: \"\($0).zone\"" }.joined(separator: "\n")
        try directory.write("""
            server:
                rundir: "\(directory.path)"
                listen: [ \(listen) ]
            log:
              - target: stderr
                any: warning
            database:
                storage: "\(directory.path)"
            template:
              - id: default
                storage: "\(directory.path)"
                zonefile-sync: -1
                zonefile-load: whole
                journal-content: none
            zone:
            \(zoneList)
            """, to: "knot.conf")
        process = try ServerProcess("/usr/sbin/knotd", ["-c", directory.file("knot.conf")], directory: directory)
        for address in addresses { try waitUntilListening(host: address, port: 53) }
    }

    /// Replaces a zone's file and has knot load it (bump the serial in `text`).
    public func update(zone: String, _ text: String) throws {
        try directory.write(text, to: "\(zone).zone")
        // Blocking: the reload is done, and every answer after this is from the new zone
        // (without -b knotc only queues it, and a probe racing it saw both zones at once).
        try runCommand("/usr/sbin/knotc", ["-b", "-s", directory.file("knot.sock"), "zone-reload", "\(zone)."])
    }

    public func stop() { process?.stop() }
}

/// unbound as a caching resolver that starts from a stub for the `test.` parent zone.
public final class UnboundServer: @unchecked Sendable {
    public let address: String
    public let port: UInt16
    /// DNS over TLS and over HTTPS ports, when certificates were given.
    public let tlsPort: UInt16?
    public let httpsPort: UInt16?
    private let process: ServerProcess

    public init(address: String, parent: String, certificates: TestCertificates? = nil) throws {
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
                module-config: "iterator"
                qname-minimisation: no
                prefetch: no
                serve-expired: no
                cache-min-ttl: 0
                infra-host-ttl: 1
                local-zone: "test." nodefault
                domain-insecure: "test."
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
