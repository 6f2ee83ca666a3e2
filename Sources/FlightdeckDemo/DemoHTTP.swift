import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request as the demo's servers read it.
struct DemoRequest: Sendable {
    var method: String
    var path: String
    /// The Host header without its port, lower-cased, and the port.
    var host: String
    var port: UInt16?
    /// Header names lower-cased.
    var headers: [String: String]

    /// Parses the head of a request; nil for anything that is not one.
    init?(head: [UInt8]) {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        method = String(parts[0])
        path = String(parts[1])
        headers = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let hostHeader = headers["host"] ?? ""
        let hostParts = hostHeader.split(separator: ":")
        host = String(hostParts.first ?? "").lowercased()
        port = hostParts.count == 2 ? UInt16(hostParts[1]) : nil
    }
}

struct DemoResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// How long the server takes to answer.
    var delay: Duration = .zero

    init(status: Int, headers: [(String, String)] = [], body: String = "", delay: Duration = .zero) {
        self.status = status
        self.headers = headers
        self.body = Array(body.utf8)
        self.delay = delay
    }

    var wire: [UInt8] {
        let reasons = [101: "Switching Protocols", 200: "OK", 301: "Moved Permanently", 400: "Bad Request", 404: "Not Found",
                       426: "Upgrade Required", 503: "Service Unavailable"]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if status != 101 { head += "Content-Length: \(body.count)\r\nConnection: close\r\n" }
        return Array((head + "\r\n").utf8) + body
    }
}

/// An HTTP/1.1 server on one loopback address and a free port, plain or TLS, one thread per
/// connection and one request per connection. For TLS, `tls` picks the certificate by the
/// name the client sent (SNI).
final class DemoHTTPServer: Sendable {
    let ip: String
    let port: UInt16
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let route: @Sendable (DemoRequest) -> DemoResponse
    private let tls: DemoCertificateChoice?

    init(ip: String, tls: DemoCertificateChoice? = nil,
         route: @escaping @Sendable (DemoRequest) -> DemoResponse) throws {
        (listener, port) = try DemoSocket.listener(ip: ip)
        self.ip = ip
        self.tls = tls
        self.route = route
        if let tls {
            fd_ssl_ctx_set_servername_callback(tls.initial, { ssl, _, argument in
                guard let ssl, let argument, let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return SSL_TLSEXT_ERR_OK }
                let server = Unmanaged<DemoHTTPServer>.fromOpaque(argument).takeUnretainedValue()
                SSL_set_SSL_CTX(ssl, server.tls?.context(for: String(cString: name).lowercased()))
                return SSL_TLSEXT_ERR_OK
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        Thread { [self] in acceptLoop() }.start()
    }

    var address: String { "\(ip):\(port)" }

    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        DemoSocket.wake(listener)
    }

    private func acceptLoop() {
        defer { close(listener) }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                usleep(10_000)  // out of descriptors, or stopping: do not spin
                continue
            }
            Thread { [self] in serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        DemoSocket.setTimeouts(client, seconds: 5)
        defer { close(client) }
        guard let tls else {
            exchange(read: { recv(client, $0, $1, 0) }, write: { DemoSocket.sendAll(client, $0) })
            return
        }
        guard let ssl = SSL_new(tls.initial) else { return }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, client)
        // A TLS probe only looks at the certificate and hangs up: nothing to answer then.
        guard SSL_accept(ssl) == 1 else { return }
        exchange(read: { Int(SSL_read(ssl, $0, Int32($1))) }, write: { bytes in
            _ = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        })
        SSL_shutdown(ssl)
    }

    /// Reads one request head (at most 16 KiB), answers it.
    private func exchange(read: (UnsafeMutableRawPointer, Int) -> Int, write: ([UInt8]) -> Void) {
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end: [UInt8] = [13, 10, 13, 10]
        while head.count < 16_384 {
            let count = buffer.withUnsafeMutableBytes { read($0.baseAddress!, $0.count) }
            guard count > 0 else { return }
            head += buffer[0..<count]
            if let range = head.firstRange(of: end) {
                head = Array(head[..<range.lowerBound])
                guard let request = DemoRequest(head: head) else { return write(DemoResponse(status: 400).wire) }
                let response = route(request)
                if response.delay > .zero { Thread.sleep(forTimeInterval: response.delay.timeInterval) }
                return write(response.wire)
            }
        }
    }
}

/// The server side of the RFC 6455 opening handshake: base64(SHA-1(key + GUID)).
func webSocketAccept(key: String) -> String {
    let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    guard EVP_Digest(input, input.count, &digest, &length, EVP_sha1(), nil) == 1 else { return "" }
    return Data(digest.prefix(Int(length))).base64EncodedString()
}
