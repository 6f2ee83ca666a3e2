import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Free ports on loopback, picked at run time so parallel runs and other users never collide.
public enum FreePort {
    /// A port for a server that binds it itself, later (seconds later, for moto or
    /// PostgreSQL). It is picked below the kernel's ephemeral range, so no socket bound to
    /// port 0 meanwhile (another test's server, a client's source port) can take it, and never
    /// twice in one test run; it is free for TCP and UDP when picked.
    public static func tcp(host: String = "127.0.0.1") throws -> UInt16 {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let port = UInt16.random(in: range, using: &random)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            guard let socket = try? LoopbackSocket.listening(host: host, port: port) else { continue }
            close(socket.descriptor)
            guard LoopbackSocket.udpIsFree(host: host, port: port) else { continue }
            return port
        }
        throw CommandFailure(command: "a free port on \(host)", status: -1, stderr: "none free in \(range)")
    }

    private static let handedOut = Mutex<Set<UInt16>>([])

    /// From 10000 to just below the ephemeral ports (`ip_local_port_range`, 32768 by default).
    private static let range: ClosedRange<UInt16> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { UInt16($0) } ?? 32768
        return 10000...max(10001, low - 1)
    }()
}

/// Waits until something accepts TCP connections on host:port, or the time is up.
public func waitUntilListening(host: String = "127.0.0.1", port: UInt16, within seconds: Double = 10) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let descriptor = try? LoopbackSocket.connect(host: host, port: port) {
            close(descriptor)
            return
        }
        usleep(20_000)
    }
    throw CommandFailure(command: "connect \(host):\(port)", status: -1, stderr: "nothing listening after \(seconds) s")
}

/// Minimal POSIX socket helpers for test servers on 127.0.0.0/8 and ::1.
public struct LoopbackSocket {
    public let descriptor: Int32
    public let port: UInt16

    public static func listening(host: String, port: UInt16) throws -> LoopbackSocket {
        let (family, address) = try socketAddress(host: host, port: port)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw posixError("socket") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withUnsafeBytes { bind(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        guard bound == 0, listen(descriptor, 128) == 0 else {
            close(descriptor)
            throw posixError("bind \(host):\(port)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(descriptor, $0, &length) }
        }
        let boundPort = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        return LoopbackSocket(descriptor: descriptor, port: boundPort)
    }

    /// Whether a UDP socket can bind host:port now (it is closed again at once).
    static func udpIsFree(host: String, port: UInt16) -> Bool {
        guard let (family, address) = try? socketAddress(host: host, port: port) else { return false }
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return address.withUnsafeBytes { bind(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) } == 0
    }

    public static func connect(host: String, port: UInt16) throws -> Int32 {
        let (family, address) = try socketAddress(host: host, port: port)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw posixError("socket") }
        let result = address.withUnsafeBytes { Glibc.connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        guard result == 0 else {
            close(descriptor)
            throw posixError("connect")
        }
        return descriptor
    }

    private static func socketAddress(host: String, port: UInt16) throws -> (Int32, [UInt8]) {
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw posixError("address \(host)") }
            return (AF_INET6, withUnsafeBytes(of: address) { Array($0) })
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw posixError("address \(host)") }
        return (AF_INET, withUnsafeBytes(of: address) { Array($0) })
    }

    static func posixError(_ what: String) -> CommandFailure {
        CommandFailure(command: what, status: errno, stderr: String(cString: strerror(errno)))
    }
}

/// One HTTP/1.1 request over a plain loopback socket, for test servers' own APIs: the
/// status and body of the answer.
public func plainHTTP(_ method: String, port: UInt16, path: String, body: [UInt8] = [],
                      contentType: String = "application/json", headers: [String] = []) throws -> (status: Int, body: String) {
    let descriptor = try LoopbackSocket.connect(host: "127.0.0.1", port: port)
    defer { close(descriptor) }
    let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: \(contentType)\r\n"
        + headers.map { "\($0)\r\n" }.joined() + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
    let request = Array(head.utf8) + body
    var sent = 0
    while sent < request.count {
        // A server that hangs up early (one still starting) is an error here, not SIGPIPE
        // for the whole test process.
        let written = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard written > 0 else { throw LoopbackSocket.posixError("write") }
        sent += written
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(descriptor, &buffer, buffer.count)
        // A signal (a server of another test exiting: SIGCHLD) is no end of the answer.
        if count < 0, errno == EINTR { continue }
        if count <= 0 { break }
        response += buffer[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
    let payload = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, payload)
}
