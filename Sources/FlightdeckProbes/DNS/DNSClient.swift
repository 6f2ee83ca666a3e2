import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Asks one server one question over the transport the plan gives it: UDP (TCP when the
/// answer is truncated), TCP, DNS over TLS (RFC 7858) or DNS over HTTPS (RFC 8484).
public enum DNSClient {
    public enum Target: Sendable, Equatable {
        case udp(SocketAddress)
        case tcp(SocketAddress)
        /// `name` is checked against the server's certificate when given.
        case tls(SocketAddress, name: DNSName?, caFile: String?)
        case https(URL, connectTo: SocketAddress?, caFile: String?)
    }

    /// - Parameters:
    ///   - dnssec: ask for signatures (DO), and of a resolver whether it validated (AD).
    ///   - checkingDisabled: ask a validating resolver for the data even if it does not validate (CD).
    public static func query(_ name: DNSName, _ type: DNSRecordType, target: Target, recursive: Bool,
                             timeout: Duration, dnssec: Bool = false, checkingDisabled: Bool = false) async -> DNSQueryResult {
        let message = DNSMessage.query(id: 0, name: name, type: type, recursionDesired: recursive, dnssec: dnssec,
                                       checkingDisabled: checkingDisabled)
        switch target {
        case .udp(let address):
            return await DNSSocketEngine.shared.query(message, server: address.withDefaultPort(53), overTCP: false, timeout: timeout)
        case .tcp(let address):
            return await DNSSocketEngine.shared.query(message, server: address.withDefaultPort(53), overTCP: true, timeout: timeout)
        case .tls(let address, let tlsName, let caFile):
            return await DoTConnection.connection(to: address.withDefaultPort(853), name: tlsName, caFile: caFile)
                .query(message, timeout: timeout)
        case .https(let url, let connectTo, let caFile):
            return await overHTTPS(message, url: url, connectTo: connectTo, caFile: caFile, timeout: timeout)
        }
    }

    /// One server to ask in a fan-out, and how.
    public struct Server: Sendable {
        public var target: Target
        public var recursive: Bool
        public var timeout: Duration

        public init(target: Target, recursive: Bool, timeout: Duration) {
            self.target = target
            self.recursive = recursive
            self.timeout = timeout
        }
    }

    /// How one query of a fan-out ended, and when.
    public struct Answer: Sendable {
        public var result: DNSQueryResult
        public var at: ContinuousClock.Instant
    }

    /// Asks every server the same question at once; the answers come in the servers' order.
    /// Those over UDP and TCP go to the socket engine together and come back together.
    public static func ask(_ name: DNSName, _ type: DNSRecordType, servers: [Server], dnssec: Bool = false,
                           checkingDisabled: Bool = false) async -> [Answer] {
        // Encoded once for the servers asked recursively and once for the others, not once each.
        var encodings: [Bool: Result<DNSSocketEngine.EncodedQuery, DNSWireError>] = [:]
        func encoding(recursive: Bool) -> Result<DNSSocketEngine.EncodedQuery, DNSWireError> {
            if let known = encodings[recursive] { return known }
            let made = DNSSocketEngine.EncodedQuery.encoding(DNSMessage.query(
                id: 0, name: name, type: type, recursionDesired: recursive, dnssec: dnssec, checkingDisabled: checkingDisabled))
            encodings[recursive] = made
            return made
        }
        var direct: [Int] = []
        var requests: [DNSSocketEngine.Request] = []
        var others: [Int] = []
        var unencodable: [(Int, Answer)] = []
        for (index, server) in servers.enumerated() {
            let overTCP: Bool
            let address: SocketAddress
            switch server.target {
            case .udp(let udp): (address, overTCP) = (udp, false)
            case .tcp(let tcp): (address, overTCP) = (tcp, true)
            case .tls, .https:
                others.append(index)
                continue
            }
            switch encoding(recursive: server.recursive) {
            case .success(let query):
                direct.append(index)
                requests.append(DNSSocketEngine.Request(query: query, server: address.withDefaultPort(53), overTCP: overTCP,
                                                        timeout: server.timeout))
            case .failure(let problem):
                unencodable.append((index, Answer(result: .failure("cannot encode the query: \(problem)"), at: .now)))
            }
        }
        return await withTaskGroup(of: [(Int, Answer)].self) { [direct, requests] group in
            if !requests.isEmpty {
                group.addTask { Array(zip(direct, await DNSSocketEngine.shared.query(requests))) }
            }
            for index in others {
                let server = servers[index]
                group.addTask {
                    let result = await query(name, type, target: server.target, recursive: server.recursive, timeout: server.timeout,
                                             dnssec: dnssec, checkingDisabled: checkingDisabled)
                    return [(index, Answer(result: result, at: .now))]
                }
            }
            var answers = [Answer?](repeating: nil, count: servers.count)
            for (index, answer) in unencodable { answers[index] = answer }
            for await finished in group {
                for (index, answer) in finished { answers[index] = answer }
            }
            return answers.map { $0! }
        }
    }

    /// RFC 8484: POST the message as application/dns-message, with id 0 so caches can share it.
    private static func overHTTPS(_ message: DNSMessage, url: URL, connectTo: SocketAddress?, caFile: String?,
                                  timeout: Duration) async -> DNSQueryResult {
        guard let bytes = try? message.wire() else { return .failure("cannot encode the query") }
        let port = url.port ?? 443
        var request = CurlRequest(url: url.absoluteString, destination: connectTo.map { $0.withDefaultPort(UInt16(port)).description } ?? "\(url.host ?? "?"):\(port)")
        request.method = "POST"
        request.headers = ["Content-Type: application/dns-message", "Accept: application/dns-message"]
        request.body = bytes
        request.connectTo = connectTo.map { "::\($0.family == .ipv6 ? "[\($0.host)]" : $0.host):\($0.port.map(String.init) ?? "")" }
        request.caFile = caFile
        request.timeout = timeout
        request.bodyCap = 65535
        let exchange = await CurlEngine.shared.perform(request)
        if let error = exchange.transportError {
            return error.kind == .timeout ? .timeout : .failure("DNS over HTTPS: \(error.reason)")
        }
        guard exchange.statusCode == 200 else {
            return .failure("DNS over HTTPS answered HTTP \(exchange.statusCode.map(String.init) ?? "nothing")")
        }
        do {
            let answer = try DNSMessage(wire: exchange.body)
            guard answer.questions == message.questions else { return .failure("DNS over HTTPS answered another question") }
            return .response(answer, roundTrip: exchange.timings.total ?? .zero)
        } catch {
            return .failure("malformed DNS over HTTPS answer: \(error)")
        }
    }
}

/// One persistent DNS-over-TLS connection to one resolver, used by one thread of its own:
/// queries go one at a time, and a broken connection is opened again on the next query.
/// A plan has a handful of such resolvers, so this is a thread per resolver, not per query.
final class DoTConnection: Sendable {
    private static let connections = Mutex<[String: DoTConnection]>([:])

    static func connection(to address: SocketAddress, name: DNSName?, caFile: String?) -> DoTConnection {
        let key = "\(address)|\(name?.text ?? "")|\(caFile ?? "")"
        return connections.withLock { table in
            if let existing = table[key] { return existing }
            let created = DoTConnection(address: address, name: name, caFile: caFile)
            table[key] = created
            return created
        }
    }

    private struct Job: @unchecked Sendable {
        var message: DNSMessage
        var timeout: Duration
        var continuation: CheckedContinuation<DNSQueryResult, Never>
    }

    private let address: SocketAddress
    private let name: DNSName?
    private let caFile: String?
    private let jobs = Mutex<[Job]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init(address: SocketAddress, name: DNSName?, caFile: String?) {
        self.address = address
        self.name = name
        self.caFile = caFile
        let thread = Thread { [self] in self.serve() }
        thread.name = "flightdeck-dot"
        thread.start()
    }

    func query(_ message: DNSMessage, timeout: Duration) async -> DNSQueryResult {
        await withCheckedContinuation { continuation in
            jobs.withLock { $0.append(Job(message: message, timeout: timeout, continuation: continuation)) }
            ready.signal()
        }
    }

    private func serve() {
        var session: TLSSession?
        var nextID: UInt16 = .random(in: .min ... .max)
        while true {
            ready.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            let started = ContinuousClock.now
            if session == nil {
                switch TLSSession.open(address, name: name, caFile: caFile, timeout: job.timeout) {
                case .success(let opened): session = opened
                case .failure(let failure):
                    job.continuation.resume(returning: failure.isTimeout ? .timeout : .failure(failure.reason))
                    continue
                }
            }
            nextID &+= 1
            var message = job.message
            message.id = nextID
            let result = session!.exchange(message, timeout: job.timeout)
            if case .response = result {} else { session = nil }
            if case .response(let answer, _) = result {
                job.continuation.resume(returning: .response(answer, roundTrip: started.duration(to: .now)))
            } else {
                job.continuation.resume(returning: result)
            }
        }
    }
}

/// A blocking TLS client connection over a TCP socket, for DNS over TLS.
private final class TLSSession {
    struct Failure: Error {
        var reason: String
        var isTimeout = false
    }

    private let descriptor: Int32
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let server: SocketAddress

    private init(descriptor: Int32, context: OpaquePointer, ssl: OpaquePointer, server: SocketAddress) {
        self.descriptor = descriptor
        self.context = context
        self.ssl = ssl
        self.server = server
    }

    deinit {
        SSL_shutdown(ssl)
        SSL_free(ssl)
        SSL_CTX_free(context)
        close(descriptor)
    }

    static func open(_ server: SocketAddress, name: DNSName?, caFile: String?, timeout: Duration) -> Result<TLSSession, Failure> {
        guard let address = SocketAddressCodec.storage(for: server) else { return .failure(Failure(reason: "bad address \(server)")) }
        let descriptor = socket(server.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .failure(Failure(reason: "cannot open a socket")) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected = address.withUnsafeBytes {
            connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard connected == 0 else {
            let reason = errno == EINPROGRESS || errno == EAGAIN ? "timed out" : String(cString: strerror(errno))
            close(descriptor)
            return .failure(Failure(reason: "DNS over TLS to \(server): \(reason)", isTimeout: reason == "timed out"))
        }
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            close(descriptor)
            return .failure(Failure(reason: "OpenSSL could not create a context"))
        }
        _ = fd_ssl_ctx_set_min_proto_version(context, TLS1_2_VERSION)
        if name != nil {
            switch TrustStores.shared.store(for: caFile) {
            case .success(let store): SSL_CTX_set1_cert_store(context, store)
            case .failure(let problem):
                SSL_CTX_free(context)
                close(descriptor)
                return .failure(Failure(reason: "DNS over TLS to \(server): \(problem.message)"))
            }
        }
        SSL_CTX_set_verify(context, name == nil ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        BrokenPipes.ignored
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            close(descriptor)
            return .failure(Failure(reason: "OpenSSL could not create a connection"))
        }
        let session = TLSSession(descriptor: descriptor, context: context, ssl: ssl, server: server)
        SSL_set_fd(ssl, descriptor)
        if let name {
            _ = fd_ssl_set_tlsext_host_name(ssl, name.text)
            SSL_set1_host(ssl, name.text)
        }
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            let reason = verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : TLSSession.lastError()
            return .failure(Failure(reason: "DNS over TLS to \(server): TLS: \(reason)"))
        }
        return .success(session)
    }

    func exchange(_ message: DNSMessage, timeout: Duration) -> DNSQueryResult {
        guard let bytes = try? message.wire() else { return .failure("cannot encode the query") }
        let frame = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        guard SSL_write(ssl, frame, Int32(frame.count)) == Int32(frame.count) else {
            return .failure("DNS over TLS to \(server): write failed: \(TLSSession.lastError())")
        }
        // Answers to earlier, abandoned queries may still arrive: skip to ours.
        for _ in 0..<8 {
            guard let header = read(2) else { return readFailure() }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard let body = read(length) else { return readFailure() }
            do {
                let answer = try DNSMessage(wire: body)
                if answer.id == message.id {
                    return answer.questions == message.questions ? .response(answer, roundTrip: .zero)
                        : .failure("\(server) answered another question over TLS")
                }
            } catch {
                return .failure("malformed DNS over TLS answer from \(server): \(error)")
            }
        }
        return .failure("\(server) sent answers to other queries only")
    }

    private func readFailure() -> DNSQueryResult {
        errno == EAGAIN || errno == EWOULDBLOCK ? .timeout : .failure("DNS over TLS from \(server): the connection broke")
    }

    private func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress! + filled, Int32(count - filled)) }
            guard read > 0 else { return nil }
            filled += Int(read)
        }
        return buffer
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "handshake failed" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
