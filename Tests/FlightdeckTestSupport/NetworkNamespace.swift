import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network of its own for a test: a Linux network namespace with its loopback up (so
/// 127.0.0.0/8 inside is its own) and a veth pair to this one, each end on a /30 of
/// 198.18.0.0/15 (the range set aside for benchmarking networks, routed nowhere). Programs
/// run inside with `ip netns exec`; it and the pair are deleted when it stops.
public final class NetworkNamespace: @unchecked Sendable {
    /// Why no namespace can be made here, or nil when one can.
    public static let unavailable: String? = {
        guard getuid() == 0 else { return "network namespaces need root (ip netns add)" }
        guard FileManager.default.isExecutableFile(atPath: ip) else { return "no \(ip) (apt install iproute2)" }
        let probe = "fdprobe\(getpid())"
        guard let added = try? runProcess(ip, ["netns", "add", probe]), added.status == 0 else {
            return "ip netns add is not allowed here"
        }
        _ = try? runProcess(ip, ["netns", "delete", probe])
        return nil
    }()

    static let ip = "/usr/sbin/ip"
    /// This run's /24 of 198.18.0.0/15: two runs at once do not share addresses.
    private static let subnet = "198.18.\(Int.random(in: 0...255))"

    public let name: String
    /// This end of the pair: where programs inside reach this network.
    public let hostAddress: String
    /// The far end, inside.
    public let address: String
    private let link: String

    /// - Parameter index: which of this run's namespaces (0 to 62): it decides the addresses.
    public init(index: Int) throws {
        precondition((0...62).contains(index))
        name = "fd\(getpid())n\(index)"
        link = "fd\(getpid())v\(index)"
        hostAddress = "\(Self.subnet).\(index * 4 + 1)"
        address = "\(Self.subnet).\(index * 4 + 2)"
        try Self.ip(["netns", "add", name])
        ExitCleanup.register { [name] in _ = try? runProcess(Self.ip, ["netns", "delete", name]) }
        try Self.ip(["-n", name, "link", "set", "lo", "up"])
        try Self.ip(["link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", name])
        try Self.ip(["addr", "add", "\(hostAddress)/30", "dev", link])
        try Self.ip(["link", "set", link, "up"])
        try Self.ip(["-n", name, "addr", "add", "\(address)/30", "dev", "eth0"])
        try Self.ip(["-n", name, "link", "set", "eth0", "up"])
    }

    deinit { stop() }

    /// Deletes the namespace; its end of the pair goes with it, and so does this one.
    public func stop() {
        _ = try? runProcess(Self.ip, ["netns", "delete", name])
    }

    /// `executable` with `arguments`, as run inside (ip execs it: the process is the program's own).
    public func command(_ executable: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        (Self.ip, ["netns", "exec", name, executable] + arguments)
    }

    /// Waits until something inside accepts TCP connections on `host:port`.
    public func waitUntilListening(host: String, port: UInt16, within seconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(seconds)
        let (executable, arguments) = command("/bin/bash", ["-c", "exec 3<>/dev/tcp/\(host)/\(port)"])
        while Date() < deadline {
            if try runProcess(executable, arguments).status == 0 { return }
            usleep(50_000)
        }
        throw CommandFailure(command: "connect \(host):\(port) in \(name)", status: -1, stderr: "nothing listening after \(seconds) s")
    }

    private static func ip(_ arguments: [String]) throws {
        let result = try runProcess(ip, arguments)
        guard result.status == 0 else { throw CommandFailure(command: "ip \(arguments.joined(separator: " "))", status: result.status, stderr: result.stderr) }
    }
}
