import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a demo server could not start.
public struct DemoError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    static func posix(_ what: String) -> DemoError {
        DemoError("\(what): \(String(cString: strerror(errno)))")
    }
}

/// Sockets on loopback addresses. Every demo server has its own 127.0.0.x address, so one
/// address names one server, and takes a port the kernel says is free.
enum DemoSocket {
    static func address(_ ip: String, port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, ip, &address.sin_addr) == 1 else { throw DemoError("not an IPv4 address: \(ip)") }
        return address
    }

    /// A socket of `type` bound to ip:port (0: any free port), with the port it got.
    static func bound(_ type: Int32, ip: String, port: UInt16) throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, type, 0)
        guard descriptor >= 0 else { throw DemoError.posix("socket") }
        var yes: Int32 = 1
        if type == Int32(SOCK_STREAM.rawValue) {
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        } else {
            // Room for a burst of queries from every probe at once.
            var buffer: Int32 = 1 << 20
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = try address(ip, port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = DemoError.posix("bind \(ip):\(port)")
            close(descriptor)
            throw error
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: bound.sin_port))
    }

    static func listener(ip: String) throws -> (descriptor: Int32, port: UInt16) {
        let socket = try bound(Int32(SOCK_STREAM.rawValue), ip: ip, port: 0)
        guard listen(socket.descriptor, 256) == 0 else {
            close(socket.descriptor)
            throw DemoError.posix("listen \(ip)")
        }
        return socket
    }

    /// A UDP socket and a TCP listener on the same free port, as a DNS server needs.
    static func udpAndTCP(ip: String) throws -> (udp: Int32, tcp: Int32, port: UInt16) {
        for _ in 0..<20 {
            let tcp = try listener(ip: ip)
            if let udp = try? bound(Int32(SOCK_DGRAM.rawValue), ip: ip, port: tcp.port) {
                return (udp.descriptor, tcp.descriptor, tcp.port)
            }
            close(tcp.descriptor)
        }
        throw DemoError("no port on \(ip) was free for both UDP and TCP")
    }

    /// Reads and writes on an accepted connection give up after this long.
    static func setTimeouts(_ descriptor: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Wakes the thread blocked on the socket. That thread closes it once it is out of its
    /// wait: closed here, its number could pass to a new socket the thread then waits on.
    static func wake(_ descriptor: Int32) {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    static func receiveExactly(_ descriptor: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = bytes[received...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { return nil }
            received += got
        }
        return bytes
    }

    static func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard wrote > 0 else { return }
            sent += wrote
        }
    }
}
