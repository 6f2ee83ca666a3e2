import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An in-process DNS server on 127.0.0.1 (UDP, and TCP on the same port) whose answers a
/// test writes byte by byte, for what real servers never send.
public final class HostileDNSServer: @unchecked Sendable {
    /// Given the query's bytes, the datagrams to send back, in order.
    public typealias Responder = @Sendable (_ query: [UInt8]) -> [[UInt8]]

    public let port: UInt16
    private let udp: Int32
    private let tcp: Int32
    private let servesTCP: Bool
    private let stopped = Atomic<Bool>(false)

    public init(udp udpResponder: @escaping Responder, tcp tcpResponder: Responder? = nil) throws {
        servesTCP = tcpResponder != nil
        (tcp, udp, port) = try Self.bindBoth()
        Thread { [self] in serveUDP(udpResponder) }.start()
        if let tcpResponder { Thread { [self] in serveTCP(tcpResponder) }.start() }
    }

    deinit { stop() }

    /// A TCP listener on a port the kernel picks, and a UDP socket on the same number. That
    /// number can be some other socket's UDP port already (a DNS client's source port, in a
    /// busy run): then both go and another is picked.
    private static func bindBoth() throws -> (tcp: Int32, udp: Int32, port: UInt16) {
        var attempt = 0
        while true {
            attempt += 1
            let listener = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            // Room for a burst of thousands of queries while the machine is busy with other tests.
            var buffer: Int32 = 4 << 20
            setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = listener.port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return (listener.descriptor, udp, listener.port) }
            let failure = LoopbackSocket.posixError("bind UDP \(listener.port)")
            let inUse = errno == EADDRINUSE
            close(udp)
            close(listener.descriptor)
            guard inUse, attempt < 20 else { throw failure }
        }
    }

    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // Shut down, not closed: each serving thread closes its socket once out of its wait
        // (see HostileServer.stop); the TCP listener without a thread is closed here.
        shutdown(udp, Int32(SHUT_RDWR))
        shutdown(tcp, Int32(SHUT_RDWR))
        if !servesTCP { close(tcp) }
    }

    private func serveUDP(_ respond: Responder) {
        defer { close(udp) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .sequentiallyConsistent) {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { continue }
            for datagram in respond(Array(buffer[0..<count])) {
                _ = withUnsafePointer(to: &from) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, datagram, datagram.count, 0, $0, length) }
                }
            }
        }
    }

    private func serveTCP(_ respond: Responder) {
        defer { close(tcp) }
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(tcp, nil, nil)
            guard client >= 0 else { continue }
            var header = [UInt8](repeating: 0, count: 2)
            guard recv(client, &header, 2, Int32(MSG_WAITALL)) == 2 else { close(client); continue }
            var query = [UInt8](repeating: 0, count: Int(header[0]) << 8 | Int(header[1]))
            _ = recv(client, &query, query.count, Int32(MSG_WAITALL))
            for message in respond(query) {
                let frame = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
                _ = send(client, frame, frame.count, Int32(MSG_NOSIGNAL))
            }
            close(client)
        }
    }
}
