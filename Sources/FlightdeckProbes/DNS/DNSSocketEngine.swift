import CGlibc
import FlightdeckCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How one DNS query ended.
public enum DNSQueryResult: Sendable, Equatable {
    case response(DNSMessage, roundTrip: Duration)
    case timeout
    /// Nothing listens there (ICMP port unreachable, or a TCP connection refused): one line.
    case refused(String)
    /// Could not send, or what came back was not a DNS message: one line why.
    case failure(String)
}

/// DNS over UDP and TCP for thousands of queries at once on one thread: a few UDP sockets
/// per address family (each on a random port the kernel picks, replaced after a while),
/// random query ids, answers matched on id, source address and question, one retry, and
/// TCP when an answer is truncated. The queries handed over at once leave in one system
/// call per socket (sendmmsg).
final class DNSSocketEngine: Sendable {
    static let shared = DNSSocketEngine()

    private let inbox = PollInbox<Query>()

    private init() {
        let thread = Thread { [inbox] in
            var loop = EngineLoop(inbox: inbox)
            loop.run()
        }
        thread.name = "flightdeck-dns"
        thread.start()
    }

    func query(_ message: DNSMessage, server: SocketAddress, overTCP: Bool, timeout: Duration) async -> DNSQueryResult {
        let encoded: EncodedQuery
        switch EncodedQuery.encoding(message) {
        case .success(let value): encoded = value
        case .failure(let problem): return .failure("cannot encode the query: \(problem)")
        }
        // Unsafe rather than checked: the engine resumes each query exactly once, and a checked
        // continuation costs an allocation per query.
        return await withUnsafeContinuation { continuation in
            inbox.submit(Query(Request(query: encoded, server: server, overTCP: overTCP, timeout: timeout), reply: .alone(continuation)))
        }
    }

    /// A query encoded by the caller, with id 0: the engine thread only writes each query's id
    /// into a copy of the bytes, and a fan-out of one question to many servers shares one encoding.
    struct EncodedQuery: Sendable {
        var message: DNSMessage
        var wire: [UInt8]

        static func encoding(_ message: DNSMessage) -> Result<EncodedQuery, DNSWireError> {
            var message = message
            message.id = 0
            return Result { () throws(DNSWireError) in EncodedQuery(message: message, wire: try message.wire()) }
        }
    }

    /// One question to one server.
    struct Request: Sendable {
        var query: EncodedQuery
        var server: SocketAddress
        var overTCP: Bool
        var timeout: Duration
    }

    /// Hands several queries over at once, and resumes the caller once, when the last of them
    /// has ended: a fan-out of one question to many servers costs one task switch, not one per
    /// server. Each answer says when its query ended.
    func query(_ requests: [Request]) async -> [DNSClient.Answer] {
        guard !requests.isEmpty else { return [] }
        return await withUnsafeContinuation { continuation in
            let batch = Batch(count: requests.count, continuation: continuation)
            inbox.submit(contentsOf: requests.indices.lazy.map { Query(requests[$0], reply: .member(batch, $0)) })
        }
    }

    struct Query: Sendable {
        var message: DNSMessage
        var wire: [UInt8]
        var server: SocketAddress
        var overTCP: Bool
        var timeout: Duration
        var reply: Reply

        init(_ request: Request, reply: Reply) {
            message = request.query.message
            wire = request.query.wire
            server = request.server
            overTCP = request.overTCP
            timeout = request.timeout
            self.reply = reply
        }

        /// Ends the query; called once, on the engine thread.
        func answer(_ result: DNSQueryResult) {
            switch reply {
            case .alone(let continuation): continuation.resume(returning: result)
            case .member(let batch, let index): batch.record(result, at: index)
            }
        }
    }

    enum Reply: Sendable {
        case alone(UnsafeContinuation<DNSQueryResult, Never>)
        case member(Batch, Int)
    }

    /// The answers of a batch so far. After it is submitted only the engine thread touches
    /// it (the inbox's lock orders the handover), so it needs no lock of its own.
    final class Batch: @unchecked Sendable {
        private var answers: [DNSClient.Answer]
        private var remaining: Int
        private let continuation: UnsafeContinuation<[DNSClient.Answer], Never>

        init(count: Int, continuation: UnsafeContinuation<[DNSClient.Answer], Never>) {
            answers = Array(repeating: DNSClient.Answer(result: .timeout, at: .now), count: count)
            remaining = count
            self.continuation = continuation
        }

        func record(_ result: DNSQueryResult, at index: Int) {
            answers[index] = DNSClient.Answer(result: result, at: .now)
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: answers) }
        }
    }
}

/// The engine thread's state; touched by that thread only.
private struct EngineLoop {
    let inbox: PollInbox<DNSSocketEngine.Query>
    private var udp: [UDPSocket] = []
    private var pending: [PendingKey: Pending] = [:]
    private var tcp: [Int32: TCPExchange] = [:]
    private var random = PooledRandom()
    private let clock = ContinuousClock()
    private var socketAddresses: [SocketAddress: [UInt8]] = [:]
    /// Queries encoded and waiting in `pending`, to be sent together once the inbox is empty.
    private var unsent: [PendingKey] = []
    /// No query or TCP exchange ends before this: until then, none is looked at for expiry.
    private var nextDeadline: ContinuousClock.Instant?
    /// Where a batch of queries is laid out to be sent, and where datagrams are read into:
    /// made once, since the thread sends and reads for as long as the process lives.
    private let batch = DatagramSlots(capacity: 64, slotBytes: 512)
    /// A slot is larger than any answer to a query offering 1,232 bytes (EDNS); a longer
    /// datagram is cut there, and the kernel says so.
    private let received = DatagramSlots(capacity: 16, slotBytes: 4096)
    /// Where TCP answers are read into, a read at a time (a length and the largest message).
    private let streamBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65537, alignment: 1)

    static let socketsPerFamily = 4
    /// A socket is replaced (new random port) after this many queries.
    static let queriesPerSocket = 1024
    static let attempts = 2

    init(inbox: PollInbox<DNSSocketEngine.Query>) {
        self.inbox = inbox
    }

    private struct PendingKey: Hashable {
        var socket: Int32
        var id: UInt16
    }

    private struct Pending {
        var query: DNSSocketEngine.Query
        var bytes: [UInt8]
        /// The server's socket address, as sent to and as answers must come from.
        var address: [UInt8]
        var started: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var attempt: Int
    }

    private final class UDPSocket {
        let descriptor: Int32
        let family: SocketAddress.Family
        var used = 0
        var inFlight = 0
        init(descriptor: Int32, family: SocketAddress.Family) {
            self.descriptor = descriptor
            self.family = family
        }
    }

    private struct TCPExchange {
        var query: DNSSocketEngine.Query
        var started: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var output: [UInt8]
        var input: [UInt8] = []
        var connected = false
    }

    mutating func run() {
        while true {
            for query in inbox.take() { start(query) }
            sendUnsent()
            var descriptors = [pollfd(fd: inbox.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            descriptors += udp.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            descriptors += tcp.map { fd, exchange in
                let events = !exchange.connected || !exchange.output.isEmpty ? POLLOUT : POLLIN
                return pollfd(fd: fd, events: Int16(events), revents: 0)
            }
            let now = clock.now
            let wait = nextDeadline.map { max(0, min(200, milliseconds(now.duration(to: $0)) + 1)) } ?? 1000
            _ = poll(&descriptors, nfds_t(descriptors.count), Int32(wait))
            for entry in descriptors where entry.revents != 0 {
                if entry.fd == inbox.wakeDescriptor {
                    inbox.drainWake()
                } else if let socket = udp.first(where: { $0.descriptor == entry.fd }) {
                    if entry.revents & Int16(POLLERR) != 0 { receiveErrors(on: socket) }
                    receiveUDP(on: socket)
                } else if tcp[entry.fd] != nil {
                    progressTCP(entry.fd, events: entry.revents)
                }
            }
            expire()
            recycleSockets()
        }
    }

    // MARK: UDP

    private mutating func start(_ query: DNSSocketEngine.Query) {
        if query.overTCP {
            startTCP(query, started: clock.now)
            return
        }
        guard let address = socketAddress(query.server) else {
            query.answer(.failure("cannot send to \(query.server): not an address"))
            return
        }
        guard let socket = udpSocket(for: query.server.family) else {
            query.answer(.failure("cannot open a UDP socket: \(String(cString: strerror(errno)))"))
            return
        }
        var key = PendingKey(socket: socket.descriptor, id: 0)
        repeat {
            key.id = UInt16.random(in: .min ... .max, using: &random)
        } while pending[key] != nil
        var bytes = query.wire
        bytes[0] = UInt8(key.id >> 8)
        bytes[1] = UInt8(key.id & 0xFF)
        let now = clock.now
        let entry = Pending(query: query, bytes: bytes, address: address, started: now, deadline: now + attemptTimeout(query), attempt: 1)
        socket.used += 1
        socket.inFlight += 1
        pending[key] = entry
        unsent.append(key)
        expiring(at: entry.deadline)
    }

    /// Sends the queries started since the last call: in one sendmmsg per socket for as many
    /// as fit a batch, each alone if it does not fit (none does in practice: a query is a
    /// name and a few fixed fields). One that cannot be sent ends at once, saying why.
    private mutating func sendUnsent() {
        guard !unsent.isEmpty else { return }
        let keys = unsent
        unsent.removeAll(keepingCapacity: true)
        for (descriptor, group) in Dictionary(grouping: keys, by: \.socket) {
            var start = 0
            while start < group.count {
                var laid: [PendingKey] = []
                while start + laid.count < group.count, laid.count < batch.capacity {
                    let key = group[start + laid.count]
                    guard let entry = pending[key], batch.lay(entry.bytes, to: entry.address, at: laid.count) else { break }
                    laid.append(key)
                }
                if laid.isEmpty {
                    let key = group[start]
                    if let entry = pending[key], !send(entry.bytes, on: descriptor, to: entry.address) { failSend(key) }
                    start += 1
                    continue
                }
                var done = 0
                while done < laid.count {
                    let sent = sendmmsg(descriptor, batch.headers + done, UInt32(laid.count - done), 0)
                    if sent > 0 {
                        done += Int(sent)
                    } else if sent < 0 && errno == EINTR {
                        continue
                    } else {
                        failSend(laid[done])
                        done += 1
                    }
                }
                start += laid.count
            }
        }
    }

    private mutating func failSend(_ key: PendingKey) {
        let reason = String(cString: strerror(errno))
        guard let server = pending[key]?.query.server else { return }
        finish(key, .failure("cannot send to \(server): \(reason)"))
    }

    /// The server's socket address, made once per server rather than once per query (a
    /// plan asks the same few resolvers again and again); the table is emptied when it grows
    /// large, so a process asking many servers keeps it bounded.
    private mutating func socketAddress(_ server: SocketAddress) -> [UInt8]? {
        if let known = socketAddresses[server] { return known }
        guard let made = SocketAddressCodec.storage(for: server) else { return nil }
        if socketAddresses.count >= 1024 { socketAddresses.removeAll(keepingCapacity: true) }
        socketAddresses[server] = made
        return made
    }

    /// Notes a deadline, so the loop wakes for it.
    private mutating func expiring(at deadline: ContinuousClock.Instant) {
        if nextDeadline.map({ deadline < $0 }) ?? true { nextDeadline = deadline }
    }

    private func attemptTimeout(_ query: DNSSocketEngine.Query) -> Duration {
        query.timeout / Self.attempts
    }

    private mutating func udpSocket(for family: SocketAddress.Family) -> UDPSocket? {
        var open = 0
        var leastBusy: UDPSocket?
        for socket in udp where socket.family == family && socket.used < Self.queriesPerSocket {
            open += 1
            if leastBusy.map({ socket.inFlight < $0.inFlight }) ?? true { leastBusy = socket }
        }
        if open < Self.socketsPerFamily {
            // Unbound: the first send binds it to a random port the kernel picks.
            let descriptor = socket(family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            if descriptor >= 0 {
                var size: Int32 = 1 << 20
                setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                // ICMP errors (port unreachable: nothing listens there) queue on the socket, so a
                // refused query says so at once instead of timing out.
                var on: Int32 = 1
                if family == .ipv4 {
                    setsockopt(descriptor, Int32(IPPROTO_IP), IP_RECVERR, &on, socklen_t(MemoryLayout<Int32>.size))
                } else {
                    setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_RECVERR, &on, socklen_t(MemoryLayout<Int32>.size))
                }
                let socket = UDPSocket(descriptor: descriptor, family: family)
                udp.append(socket)
                return socket
            }
        }
        return leastBusy
    }

    /// Sockets that have served their share and have nothing in flight are closed; new ones
    /// (on new random ports) take their place on demand.
    private mutating func recycleSockets() {
        let spent = udp.filter { $0.used >= Self.queriesPerSocket && $0.inFlight == 0 }
        guard !spent.isEmpty else { return }
        for socket in spent { close(socket.descriptor) }
        udp.removeAll { socket in spent.contains { $0 === socket } }
    }

    /// Reads what the socket holds, a batch of datagrams per system call (recvmmsg).
    private mutating func receiveUDP(on socket: UDPSocket) {
        while true {
            received.prepareToReceive()
            let count = Int(recvmmsg(socket.descriptor, received.headers, UInt32(received.capacity), Int32(MSG_DONTWAIT), nil))
            guard count > 0 else { return }
            for index in 0..<count { take(received.datagram(at: index), on: socket) }
            guard count == received.capacity else { return }
        }
    }

    private mutating func take(_ datagram: DatagramSlots.Datagram, on socket: UDPSocket) {
        let bytes = datagram.bytes
        guard bytes.count >= 2 else { return }
        let key = PendingKey(socket: socket.descriptor, id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        // Off-path answers (wrong source, wrong question) are dropped; the query keeps waiting.
        guard let entry = pending[key], SocketAddressCodec.matches(datagram.from, entry.address, family: entry.query.server.family) else { return }
        if datagram.cut {
            // Larger than a slot, which is larger than the 1,232 bytes the query offered: a
            // server that ignores the limit; its answer is asked for again over TCP, as a
            // truncated one is. Only the question, which fits, is checked first.
            guard DatagramSlots.sameQuestion(bytes, entry.bytes) else { return }
            switchToTCP(key, entry, on: socket)
            return
        }
        let message: DNSMessage
        do {
            message = try DNSMessage(wire: Array(bytes))
        } catch {
            finish(key, .failure("malformed answer from \(entry.query.server): \(error)"))
            return
        }
        guard message.flags.isResponse, message.questions == entry.query.message.questions else { return }
        if message.flags.truncated {
            switchToTCP(key, entry, on: socket)
            return
        }
        finish(key, .response(message, roundTrip: entry.started.duration(to: clock.now)))
    }

    private mutating func switchToTCP(_ key: PendingKey, _ entry: Pending, on socket: UDPSocket) {
        pending.removeValue(forKey: key)
        socket.inFlight -= 1
        startTCP(entry.query, started: entry.started)
    }

    /// Reads the ICMP errors queued on a socket (IP_RECVERR) and ends the queries sent to the
    /// address each names: port unreachable is "refused", as dig says.
    private mutating func receiveErrors(on socket: UDPSocket) {
        var control = [UInt8](repeating: 0, count: 512)
        var scratch = [UInt8](repeating: 0, count: 512)
        while true {
            var destination = sockaddr_storage()
            let received: Int = withUnsafeMutablePointer(to: &destination) { name in
                scratch.withUnsafeMutableBytes { data in
                    control.withUnsafeMutableBytes { control in
                        var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                        return withUnsafeMutablePointer(to: &vector) { vector in
                            var header = msghdr(msg_name: UnsafeMutableRawPointer(name), msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                                msg_iov: vector, msg_iovlen: 1, msg_control: control.baseAddress,
                                                msg_controllen: control.count, msg_flags: 0)
                            return recvmsg(socket.descriptor, &header, Int32(MSG_ERRQUEUE) | Int32(MSG_DONTWAIT))
                        }
                    }
                }
            }
            guard received >= 0 else { return }
            // struct cmsghdr { size_t len; int level; int type; } then struct sock_extended_err,
            // whose first field is the errno.
            let level = control.withUnsafeBytes { $0.load(fromByteOffset: 8, as: Int32.self) }
            let type = control.withUnsafeBytes { $0.load(fromByteOffset: 12, as: Int32.self) }
            guard (level == Int32(IPPROTO_IP) && type == IP_RECVERR) || (level == Int32(IPPROTO_IPV6) && type == IPV6_RECVERR) else { continue }
            let code = Int32(bitPattern: control.withUnsafeBytes { $0.load(fromByteOffset: 16, as: UInt32.self) })
            for (key, entry) in pending where key.socket == socket.descriptor
                && SocketAddressCodec.matches(destination, entry.address, family: entry.query.server.family) {
                let server = entry.query.server
                let result: DNSQueryResult = switch code {
                case ECONNREFUSED: .refused("refused: nothing answers DNS at \(server)")
                case EHOSTUNREACH, ENETUNREACH: .failure("no route to \(server)")
                default: .failure("\(server): \(String(cString: strerror(code)))")
                }
                finish(key, result)
            }
        }
    }

    private mutating func finish(_ key: PendingKey, _ result: DNSQueryResult) {
        guard let entry = pending.removeValue(forKey: key) else { return }
        udp.first { $0.descriptor == key.socket }?.inFlight -= 1
        entry.query.answer(result)
    }

    private mutating func expire() {
        let now = clock.now
        guard let next = nextDeadline, next <= now else { return }
        for (key, entry) in pending where entry.deadline <= now {
            if entry.attempt < Self.attempts, send(entry.bytes, on: key.socket, to: entry.address) {
                var retried = entry
                retried.attempt += 1
                retried.deadline = now + attemptTimeout(entry.query)
                pending[key] = retried
                expiring(at: retried.deadline)
            } else {
                finish(key, .timeout)
            }
        }
        for descriptor in tcp.filter({ $0.value.deadline <= now }).keys {
            closeTCP(descriptor, .timeout)
        }
        nextDeadline = (pending.values.lazy.map(\.deadline) + tcp.values.lazy.map(\.deadline)).min()
    }

    private func send(_ bytes: [UInt8], on descriptor: Int32, to address: [UInt8]) -> Bool {
        let sent = address.withUnsafeBytes {
            sendto(descriptor, bytes, bytes.count, 0, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        return sent == bytes.count
    }

    // MARK: TCP

    private mutating func startTCP(_ query: DNSSocketEngine.Query, started: ContinuousClock.Instant) {
        var message = query.message
        message.id = UInt16.random(in: .min ... .max, using: &random)
        // Over TCP the whole answer fits: ask for the largest.
        message.edns?.udpPayloadSize = 65535
        guard let bytes = try? message.wire(), bytes.count <= 65535,
              let address = SocketAddressCodec.storage(for: query.server) else {
            query.answer(.failure("cannot encode the query for TCP"))
            return
        }
        let descriptor = socket(query.server.family == .ipv4 ? AF_INET : AF_INET6,
                                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            query.answer(.failure("cannot open a TCP socket: \(String(cString: strerror(errno)))"))
            return
        }
        let result = address.withUnsafeBytes {
            connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard result == 0 || errno == EINPROGRESS else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            query.answer(.failure("TCP to \(query.server): \(reason)"))
            return
        }
        var sent = query
        sent.message = message
        let frame = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        let remaining = query.timeout - started.duration(to: clock.now)
        let deadline = clock.now + max(remaining, .milliseconds(1))
        tcp[descriptor] = TCPExchange(query: sent, started: started, deadline: deadline, output: frame)
        expiring(at: deadline)
    }

    private mutating func progressTCP(_ descriptor: Int32, events: Int16) {
        guard var exchange = tcp[descriptor] else { return }
        if events & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && exchange.input.isEmpty && !exchange.connected {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            let reason = "TCP to \(exchange.query.server): \(String(cString: strerror(error == 0 ? ECONNRESET : error)))"
            closeTCP(descriptor, error == ECONNREFUSED ? .refused(reason) : .failure(reason))
            return
        }
        exchange.connected = true
        if !exchange.output.isEmpty {
            let written = Glibc.send(descriptor, exchange.output, exchange.output.count, Int32(MSG_NOSIGNAL))
            guard written >= 0 || errno == EAGAIN else {
                closeTCP(descriptor, .failure("TCP to \(exchange.query.server): \(String(cString: strerror(errno)))"))
                return
            }
            if written > 0 { exchange.output.removeFirst(written) }
            tcp[descriptor] = exchange
            return
        }
        let count = recv(descriptor, streamBuffer.baseAddress, streamBuffer.count, 0)
        if count == 0 {
            closeTCP(descriptor, .failure("\(exchange.query.server) closed the TCP connection before answering"))
            return
        }
        guard count > 0 else {
            if errno != EAGAIN { closeTCP(descriptor, .failure("TCP from \(exchange.query.server): \(String(cString: strerror(errno)))")) }
            return
        }
        exchange.input += streamBuffer[0..<count]
        tcp[descriptor] = exchange
        guard exchange.input.count >= 2 else { return }
        let length = Int(exchange.input[0]) << 8 | Int(exchange.input[1])
        guard exchange.input.count >= 2 + length else { return }
        let result: DNSQueryResult
        do {
            let message = try DNSMessage(wire: Array(exchange.input[2..<(2 + length)]))
            result = message.id == exchange.query.message.id && message.questions == exchange.query.message.questions
                ? .response(message, roundTrip: exchange.started.duration(to: clock.now))
                : .failure("\(exchange.query.server) answered another question over TCP")
        } catch {
            result = .failure("malformed answer from \(exchange.query.server) over TCP: \(error)")
        }
        closeTCP(descriptor, result)
    }

    private mutating func closeTCP(_ descriptor: Int32, _ result: DNSQueryResult) {
        guard let exchange = tcp.removeValue(forKey: descriptor) else { return }
        close(descriptor)
        exchange.query.answer(result)
    }

    private func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
