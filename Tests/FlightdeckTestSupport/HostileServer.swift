import COpenSSL
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An in-process HTTP server on loopback that misbehaves on purpose, for the faults real
/// servers will not produce on demand. Each connection gets its own thread; `stop()` (or
/// release) closes everything.
public final class HostileServer: @unchecked Sendable {
    public enum Behaviour: Sendable {
        /// Accepts, reads the request, never answers.
        case neverAnswer
        /// A status line, then headers that never end.
        case endlessHeaders
        /// Claims a body of `declared` bytes and streams zeros until the client hangs up.
        case hugeBody(declared: Int64)
        /// Sends the headers, then one byte of body now and then, forever.
        case trickleBody
        /// Reads the request and closes the connection without a word.
        case closeWithoutAnswer
        /// Sends exactly these bytes, then closes.
        case raw(String)
        /// Waits, then sends these bytes and closes: a slow but correct server.
        case delayed(milliseconds: Int, String)
        /// Answers a WebSocket upgrade; `wrongAccept` sends an accept for another key.
        case websocket(wrongAccept: Bool)
        /// On the first bytes from the client (a TLS ClientHello, say), sends these and then
        /// nothing more, holding the connection open: a handshake that stalls halfway.
        case stallAfter([UInt8])
    }

    public let port: UInt16
    private let behaviour: Behaviour
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    /// How many it has taken, and the descriptors of those still open: only those may be
    /// shut down, as a closed one's number soon belongs to another test's socket.
    private let connections = Mutex<(accepted: Int, open: Set<Int32>)>((0, []))

    public init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        let socket = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        listener = socket.descriptor
        port = socket.port
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    public var url: String { "http://127.0.0.1:\(port)/" }

    /// How many connections it has taken, for counting a client's retries.
    public var connectionsAccepted: Int { connections.withLock { $0.accepted } }

    /// How many of them are still open.
    public var connectionsOpen: Int { connections.withLock { $0.open.count } }

    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // Shut down, not closed: the accepting thread closes the listener once it is out of
        // accept(), so no other socket can take its number while that thread still uses it.
        shutdown(listener, Int32(SHUT_RDWR))
        connections.withLock { $0.open.forEach { shutdown($0, Int32(SHUT_RDWR)) } }
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            connections.withLock {
                $0.accepted += 1
                $0.open.insert(client)
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        defer {
            connections.withLock {
                $0.open.remove(client)
                close(client)
            }
        }
        if case .stallAfter(let bytes) = behaviour {
            var buffer = [UInt8](repeating: 0, count: 4096)
            guard recv(client, &buffer, buffer.count, 0) > 0, send(client, bytes) else { return }
            while !stopped.load(ordering: .sequentiallyConsistent), recv(client, nil, 0, Int32(MSG_PEEK)) != 0 { usleep(20_000) }
            return
        }
        guard let request = readRequest(client) else { return }
        switch behaviour {
        case .neverAnswer:
            while !stopped.load(ordering: .sequentiallyConsistent), recv(client, nil, 0, Int32(MSG_PEEK)) != 0 { usleep(50_000) }
        case .endlessHeaders:
            guard send(client, "HTTP/1.1 200 OK\r\n") else { return }
            var index = 0
            while send(client, "X-Padding-\(index): \(String(repeating: "x", count: 100))\r\n") { index += 1 }
        case .hugeBody(let declared):
            guard send(client, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: \(declared)\r\n\r\n") else { return }
            let chunk = [UInt8](repeating: 0, count: 64 << 10)
            var sent: Int64 = 0
            while sent < declared, send(client, chunk) { sent += Int64(chunk.count) }
        case .trickleBody:
            guard send(client, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n") else { return }
            while !stopped.load(ordering: .sequentiallyConsistent), send(client, "x") { usleep(100_000) }
        case .closeWithoutAnswer:
            return
        case .raw(let response):
            _ = send(client, response)
        case .delayed(let milliseconds, let response):
            usleep(UInt32(milliseconds * 1000))
            _ = send(client, response)
        case .stallAfter:
            break
        case .websocket(let wrongAccept):
            let key = request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
                .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
            let accept = Self.websocketAccept(wrongAccept ? key + "tampered" : key)
            _ = send(client, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n")
            // Hold the connection open as a WebSocket server would, until the client leaves.
            while !stopped.load(ordering: .sequentiallyConsistent), recv(client, nil, 0, Int32(MSG_PEEK)) != 0 { usleep(20_000) }
        }
    }

    private func readRequest(_ client: Int32) -> String? {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 1 << 16 {
            let count = recv(client, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            received.append(contentsOf: buffer.prefix(count))
            if let text = String(bytes: received, encoding: .utf8), text.contains("\r\n\r\n") { return text }
        }
        return nil
    }

    private func send(_ client: Int32, _ text: String) -> Bool { send(client, Array(text.utf8)) }

    private func send(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        guard !stopped.load(ordering: .sequentiallyConsistent) else { return false }
        return bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// RFC 6455: base64(SHA-1(key + GUID)), computed here independently of the probe.
    static func websocketAccept(_ key: String) -> String {
        let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        _ = EVP_Digest(input, input.count, &digest, &length, EVP_sha1(), nil)
        return Data(digest).base64EncodedString()
    }
}
