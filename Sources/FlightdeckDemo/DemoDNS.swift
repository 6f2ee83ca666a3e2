import FlightdeckCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A DNS server on its own loopback address, UDP and TCP on one free port. Queries are
/// read and answers written with Flightdeck's own DNS codec; what does not decode as a
/// query is dropped, as a real server would.
final class DemoDNSServer: Sendable {
    let ip: String
    let port: UInt16
    private let udp: Int32
    private let tcp: Int32
    private let stopped = Atomic<Bool>(false)

    var address: String { "\(ip):\(port)" }

    init(ip: String, answer: @escaping @Sendable (DNSMessage) -> DNSMessage) throws {
        (udp, tcp, port) = try DemoSocket.udpAndTCP(ip: ip)
        self.ip = ip
        Thread { [self] in serveUDP(answer) }.start()
        Thread { [self] in serveTCP(answer) }.start()
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        DemoSocket.wake(udp)
        DemoSocket.wake(tcp)
    }

    /// The answer's bytes; over UDP at most what the client said it takes (512 bytes
    /// without EDNS), else truncated so it asks again over TCP.
    private static func respond(to bytes: [UInt8], answer: (DNSMessage) -> DNSMessage, overUDP: Bool) -> [UInt8]? {
        guard let query = try? DNSMessage(wire: bytes), !query.flags.isResponse, query.questions.count == 1 else { return nil }
        var response: DNSMessage
        if query.flags.opcode == 0 {
            response = answer(query)
        } else {
            response = .response(to: query)
            response.flags.responseCode = UInt8(DNSResponseCode.notImplemented.rawValue)
        }
        guard let wire = try? response.wire() else { return nil }
        let limit = overUDP ? query.edns.map { max(512, Int($0.udpPayloadSize)) } ?? 512 : 65535
        guard wire.count > limit else { return wire }
        response.flags.truncated = true
        response.answers = []
        response.authority = []
        response.additional = []
        return try? response.wire()
    }

    private func serveUDP(_ answer: (DNSMessage) -> DNSMessage) {
        defer { close(udp) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count > 0 else { continue }
            guard let reply = Self.respond(to: Array(buffer[0..<count]), answer: answer, overUDP: true) else { continue }
            _ = withUnsafePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(udp, reply, reply.count, 0, $0, length) }
            }
        }
    }

    private func serveTCP(_ answer: @escaping @Sendable (DNSMessage) -> DNSMessage) {
        defer { close(tcp) }
        while !stopped.load(ordering: .relaxed) {
            let client = accept(tcp, nil, nil)
            guard client >= 0 else {
                usleep(10_000)  // out of descriptors, or stopping: do not spin
                continue
            }
            Thread {
                DemoSocket.setTimeouts(client, seconds: 5)
                // One connection may carry several queries, each framed by its length.
                while let header = DemoSocket.receiveExactly(client, 2),
                      let query = DemoSocket.receiveExactly(client, Int(header[0]) << 8 | Int(header[1])),
                      let reply = Self.respond(to: query, answer: answer, overUDP: false) {
                    DemoSocket.sendAll(client, [UInt8(reply.count >> 8), UInt8(reply.count & 0xFF)] + reply)
                }
                close(client)
            }.start()
        }
    }
}

/// One zone as its authoritative servers hold it: its records, and for a parent zone the
/// child zones it delegates, with glue. TTLs are world seconds; answers carry them as real
/// seconds at the demo's speed.
struct DemoZone: Sendable {
    let origin: DNSName
    let records: [DNSRecord]
    /// Each delegated child zone's NS records.
    var delegations: [DNSName: [DNSRecord]] = [:]
    /// Addresses of the nameservers named in delegations.
    var glue: [DNSRecord] = []
    /// The DS records the parent holds for a delegated child (answered by the parent itself).
    var delegationSigners: [DNSName: [DNSRecord]] = [:]
    /// Signs every answer for a query with DO set; nil for an unsigned zone.
    var signer: DemoSigner?

    func answer(_ query: DNSMessage, clock: DemoClock) -> DNSMessage {
        var response = DNSMessage.response(to: query)
        let question = query.questions[0]
        guard question.name.isWithin(origin) else {
            response.flags.responseCode = UInt8(DNSResponseCode.refused.rawValue)
            return response
        }
        func onWire(_ records: [DNSRecord]) -> [DNSRecord] {
            records.map { record in
                var record = record
                record.ttl = clock.wireTTL(record.ttl)
                return record
            }
        }
        if question.type == .ds, delegations[question.name] != nil {
            // The DS set lives on the parent's side of the cut: the parent answers it itself.
            response.flags.authoritative = true
            response.answers = onWire(delegationSigners[question.name] ?? [])
            if response.answers.isEmpty { response.authority = onWire(records.filter { $0.type == .soa }) }
            return response
        }
        if let (_, nameservers) = delegations.first(where: { question.name.isWithin($0.key) }) {
            // A referral: not an answer, but who to ask.
            response.authority = onWire(nameservers)
            let names = Set(nameservers.compactMap { record -> DNSName? in
                if case .ns(let name) = record.data { return name }
                return nil
            })
            response.additional = onWire(glue.filter { names.contains($0.name) })
            return response
        }
        response.flags.authoritative = true
        let soa = records.filter { $0.type == .soa }
        let owned = records.filter { $0.name == question.name }
        let matching = owned.filter { $0.type == question.type }
        if !matching.isEmpty {
            response.answers = onWire(matching)
        } else if let alias = owned.first(where: { $0.type == .cname }), case .cname(let target) = alias.data {
            response.answers = onWire([alias] + records.filter { $0.name == target && $0.type == question.type })
        } else {
            if owned.isEmpty { response.flags.responseCode = UInt8(DNSResponseCode.nameError.rawValue) }
            response.authority = onWire(soa)
        }
        if let signer, query.edns?.dnssecOK == true { response.answers = Self.signed(response.answers, by: signer) }
        return response
    }

    /// Each record set of `answers` followed by its signature.
    private static func signed(_ records: [DNSRecord], by signer: DemoSigner) -> [DNSRecord] {
        var sets: [[DNSRecord]] = []
        for record in records {
            if let index = sets.firstIndex(where: { $0[0].name == record.name && $0[0].type == record.type }) {
                sets[index].append(record)
            } else {
                sets.append([record])
            }
        }
        return sets.flatMap { set in set + (signer.sign(set).map { [$0] } ?? []) }
    }
}

extension DNSMessage {
    /// An empty answer to `query`: same id, question and recursion-desired bit.
    static func response(to query: DNSMessage) -> DNSMessage {
        var flags = DNSFlags()
        flags.isResponse = true
        flags.opcode = query.flags.opcode
        flags.recursionDesired = query.flags.recursionDesired
        var edns = EDNS()
        edns.dnssecOK = query.edns?.dnssecOK ?? false
        return DNSMessage(id: query.id, flags: flags, questions: query.questions, edns: query.edns == nil ? nil : edns)
    }
}

/// A caching resolver, as an ISP or a public resolver runs one: it asks the parent zone's
/// server for the delegation, asks a delegated server for the record, and keeps both for
/// their TTLs (or less, when `maxTTL` caps them), handing out what it holds with the TTL
/// it has left. So after the cutover each resolver keeps the old answers until its own
/// copies expire, and may even fetch the old record again while it still holds the old
/// delegation.
final class DemoResolver: Sendable {
    struct Cached: Sendable {
        var response: DNSMessage
        var expires: ContinuousClock.Instant
    }

    struct Cache: Sendable {
        var answers: [String: Cached] = [:]
        /// The addresses of the servers the zone is delegated to, and until when.
        var delegation: (addresses: [String], expires: ContinuousClock.Instant)?
    }

    let zone: DNSName
    /// The resolver's own address, which its queries come from.
    let ip: String
    /// The parent zone's server: the resolver's one hint.
    let parent: String
    /// Where each in-world server's IP listens; glue gives addresses, not ports.
    let ports: [String: UInt16]
    /// Real seconds; nil: keep records for their whole TTL.
    let maxTTL: UInt32?
    private let cache = Mutex(Cache())
    static let cacheLimit = 4096

    init(zone: DNSName, ip: String, parent: String, ports: [String: UInt16], maxTTL: UInt32?) {
        self.zone = zone
        self.ip = ip
        self.parent = parent
        self.ports = ports
        self.maxTTL = maxTTL
    }

    func answer(_ query: DNSMessage) -> DNSMessage {
        let question = query.questions[0]
        guard question.name.isWithin(zone) else {
            var refused = DNSMessage.response(to: query)
            refused.flags.recursionAvailable = true
            refused.flags.responseCode = UInt8(DNSResponseCode.refused.rawValue)
            return refused
        }
        let key = "\(question.name.text)/\(question.type.code)"
        let now = ContinuousClock.now
        var found = cache.withLock { cache in cache.answers[key].flatMap { $0.expires > now ? $0 : nil } }
        if found == nil, let fetched = resolve(question, now: now) {
            cache.withLock { cache in
                // Anyone on loopback may ask for names that do not exist: keep the cache bounded.
                if cache.answers.count >= Self.cacheLimit { cache.answers = cache.answers.filter { $0.value.expires > now } }
                if cache.answers.count >= Self.cacheLimit { cache.answers = [:] }
                cache.answers[key] = fetched
            }
            found = fetched
        }
        var response = DNSMessage.response(to: query)
        response.flags.recursionAvailable = true
        guard let found else {
            response.flags.responseCode = UInt8(DNSResponseCode.serverFailure.rawValue)
            return response
        }
        let left = UInt32(max(1, now.duration(to: found.expires).timeInterval.rounded(.up)))
        response.flags.responseCode = found.response.flags.responseCode
        // A DNSSEC-aware resolver that does not validate: signatures for those who ask for them.
        let wantsSignatures = query.edns?.dnssecOK == true
        response.answers = found.response.answers.filter { wantsSignatures || $0.type != .rrsig }.map { Self.withTTL($0, left) }
        response.authority = found.response.authority.filter { $0.type == .soa }.map { Self.withTTL($0, left) }
        return response
    }

    /// Fills the cache as if it had been filled `age` ago, so each resolver starts at its
    /// own point in its TTLs.
    func prime(_ questions: [DNSQuestion], age: Duration) {
        let now = ContinuousClock.now
        for question in questions {
            guard let fetched = resolve(question, now: now) else { continue }
            cache.withLock { $0.answers["\(question.name.text)/\(question.type.code)"] = fetched }
        }
        cache.withLock { cache in
            cache.answers = cache.answers.mapValues { Cached(response: $0.response, expires: $0.expires - age) }
            if let delegation = cache.delegation {
                cache.delegation = delegation.expires - age > now ? (delegation.addresses, delegation.expires - age) : nil
            }
        }
    }

    private func resolve(_ question: DNSQuestion, now: ContinuousClock.Instant) -> Cached? {
        guard let servers = delegation(now: now) else { return nil }
        for server in servers {
            guard let response = ask(server, question), response.flags.authoritative else { continue }
            let ttls = response.answers.isEmpty
                ? response.authority.compactMap { record -> UInt32? in
                    if case .soa(let soa) = record.data { return min(record.ttl, soa.minimum) }
                    return nil
                }
                : response.answers.map(\.ttl)
            return Cached(response: response, expires: now + .seconds(Int(capped(ttls.min() ?? 0))))
        }
        return nil
    }

    private func delegation(now: ContinuousClock.Instant) -> [String]? {
        if let cached = cache.withLock({ $0.delegation }), cached.expires > now { return cached.addresses }
        guard let referral = ask(parent, DNSQuestion(name: zone, type: .ns)) else { return nil }
        let nameservers = referral.authority.filter { $0.name == zone && $0.type == .ns }
        let addresses = referral.additional.compactMap { record -> String? in
            guard case .a(let bytes) = record.data, bytes.count == 4 else { return nil }
            let ip = bytes.map(String.init).joined(separator: ".")
            return ports[ip].map { "\(ip):\($0)" }
        }
        guard let ttl = nameservers.map(\.ttl).min(), !addresses.isEmpty else { return nil }
        let expires = now + .seconds(Int(capped(ttl)))
        cache.withLock { $0.delegation = (addresses, expires) }
        return addresses
    }

    private func capped(_ ttl: UInt32) -> UInt32 { maxTTL.map { min($0, ttl) } ?? ttl }

    private static func withTTL(_ record: DNSRecord, _ ttl: UInt32) -> DNSRecord {
        var record = record
        record.ttl = ttl
        return record
    }

    /// One non-recursive query over UDP, waiting at most a second. It goes out from the
    /// resolver's own address, so its ports never clash with other servers on loopback.
    private func ask(_ server: String, _ question: DNSQuestion) -> DNSMessage? {
        let parts = server.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]), var address = try? DemoSocket.address(String(parts[0]), port: port),
              let descriptor = try? DemoSocket.bound(Int32(SOCK_DGRAM.rawValue), ip: ip, port: 0).descriptor else { return nil }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let id = UInt16.random(in: .min ... .max)
        guard let query = try? DNSMessage.query(id: id, name: question.name, type: question.type, recursionDesired: false,
                                                dnssec: true).wire() else { return nil }
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, query, query.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard sent == query.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            if let response = try? DNSMessage(wire: Array(buffer[0..<count])), response.id == id, response.flags.isResponse {
                return response
            }
        }
    }
}
