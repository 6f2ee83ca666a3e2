@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Synchronization
import Testing

private func dnsName(_ text: String) -> DNSName { try! DNSName.parse(text).get() }

/// The answer a well-behaved server gives to `query`: the question echoed, with `records`.
private func answer(to query: [UInt8], records: [DNSRecord], truncated: Bool = false, id: UInt16? = nil,
                    question: DNSQuestion? = nil) -> [UInt8] {
    let request = try! DNSMessage(wire: query)
    var flags = DNSFlags()
    flags.isResponse = true
    flags.authoritative = true
    flags.truncated = truncated
    let message = DNSMessage(id: id ?? request.id, flags: flags, questions: question.map { [$0] } ?? request.questions,
                             answers: records)
    return try! message.wire()
}

private let apex = dnsName("directfanz.test")
private let good = [DNSRecord(name: apex, ttl: 60, data: .a([127, 0, 0, 80]))]

/// Long enough for an answer while another test floods the same engine with thousands of
/// queries: an answer ends the wait when it comes, so only the timeout tests wait it out.
private func ask(_ server: HostileDNSServer, timeout: Duration = .seconds(5)) async -> DNSQueryResult {
    await DNSClient.query(apex, .a, target: .udp(try! SocketAddress.parse("127.0.0.1:\(server.port)").get()),
                          recursive: false, timeout: timeout)
}

/// One test at a time: the flood of 2,000 queries would otherwise share the DNS engine with
/// tests whose timeouts are a second or less (a truncated answer's TCP retry ran out beside it).
@Suite("DNS client against hostile servers", .serialized)
struct DNSClientHostileTests {
    @Test("answers with the wrong id or the wrong question are ignored; the right one is taken")
    func offPathAnswersIgnored() async throws {
        let server = try HostileDNSServer(udp: { query in
            let id = UInt16(query[0]) << 8 | UInt16(query[1])
            return [
                answer(to: query, records: [DNSRecord(name: apex, ttl: 60, data: .a([6, 6, 6, 6]))], id: id &+ 1),
                answer(to: query, records: [DNSRecord(name: apex, ttl: 60, data: .a([6, 6, 6, 6]))],
                       question: DNSQuestion(name: dnsName("evil.test"), type: .a)),
                answer(to: query, records: good),
            ]
        })
        guard case .response(let message, _) = await ask(server) else {
            Issue.record("no answer")
            return
        }
        #expect(message.answers == good)
    }

    @Test("only answers for another query: a timeout, after one retry")
    func onlyWrongAnswers() async throws {
        let queries = Counter()
        let server = try HostileDNSServer(udp: { query in
            queries.increment()
            let id = UInt16(query[0]) << 8 | UInt16(query[1])
            return [answer(to: query, records: good, id: id &+ 1)]
        })
        #expect(await ask(server, timeout: .milliseconds(400)) == .timeout)
        #expect(queries.value == 2)
    }

    @Test("a truncated answer is asked again over TCP")
    func truncatedFallsBackToTCP() async throws {
        let server = try HostileDNSServer(udp: { [answer(to: $0, records: [], truncated: true)] },
                                          tcp: { [answer(to: $0, records: good)] })
        let result = await ask(server)
        guard case .response(let message, _) = result else {
            Issue.record("no answer over TCP: \(result)")
            return
        }
        #expect(message.answers == good)
        #expect(!message.flags.truncated)
    }

    /// The query offers 1,232 bytes; a server that sends more than the engine's 4 KiB slot is
    /// asked again over TCP, as if it had set TC, once its answer's question is the query's.
    @Test("a UDP answer far larger than offered is asked again over TCP; one to another question is ignored")
    func oversizedAnswerFallsBackToTCP() async throws {
        let flood = (0..<400).map { DNSRecord(name: apex, ttl: 60, data: .a([10, 0, UInt8($0 / 256), UInt8($0 % 256)])) }
        let server = try HostileDNSServer(udp: { [answer(to: $0, records: flood)] }, tcp: { [answer(to: $0, records: good)] })
        #expect(answer(to: try DNSMessage(id: 1, flags: DNSFlags(), questions: [DNSQuestion(name: apex, type: .a)]).wire(),
                       records: flood).count > 4096)
        let result = await ask(server)
        guard case .response(let message, _) = result else {
            Issue.record("no answer over TCP: \(result)")
            return
        }
        #expect(message.answers == good)

        let elsewhere = try HostileDNSServer(udp: { [answer(to: $0, records: flood, question: DNSQuestion(name: dnsName("evil.test"), type: .a))] },
                                             tcp: { [answer(to: $0, records: good)] })
        #expect(await ask(elsewhere, timeout: .milliseconds(400)) == .timeout)
    }

    @Test("over TCP, an answer with the right question but another id is refused")
    func tcpWrongID() async throws {
        let server = try HostileDNSServer(udp: { [answer(to: $0, records: [], truncated: true)] },
                                          tcp: { query in
                                              let id = UInt16(query[0]) << 8 | UInt16(query[1])
                                              return [answer(to: query, records: good, id: id &+ 1)]
                                          })
        #expect(await ask(server) == .failure("127.0.0.1:\(server.port) answered another question over TCP"))
    }

    @Test("a port nobody listens on is refused at once over UDP, not a timeout")
    func udpRefused() async throws {
        let port = try FreePort.tcp()
        let result = await DNSClient.query(apex, .a, target: .udp(try SocketAddress.parse("127.0.0.1:\(port)").get()),
                                           recursive: false, timeout: .seconds(2))
        #expect(result == .refused("refused: nothing answers DNS at 127.0.0.1:\(port)"), "not .timeout")
    }

    @Test("a TTL with the top bit set is read as 0 and flagged (RFC 2181 section 8)")
    func topBitTTL() async throws {
        let server = try HostileDNSServer(udp: { [answer(to: $0, records: [DNSRecord(name: apex, ttl: 0x8000_0005, data: .a([127, 0, 0, 80]))])] })
        guard case .response(let message, _) = await ask(server) else {
            Issue.record("no answer")
            return
        }
        #expect(message.answers.map(\.ttl) == [0])
        #expect(message.answers.map(\.wireTTL) == [0x8000_0005])
    }

    enum Malformed: String, CaseIterable, Sendable {
        case compressionLoop, nameOver255, countsThatLie

        func response(to query: [UInt8]) -> [UInt8] {
            let header = Array(query[0..<2]) + [0x84, 0]
            switch self {
            case .compressionLoop:
                return header + [0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
            case .nameOver255:
                return header + [0, 1, 0, 0, 0, 0, 0, 0] + Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 5).flatMap { $0 } + [0, 0, 1, 0, 1]
            case .countsThatLie:
                return header + [0, 1, 0, 99, 0, 0, 0, 0] + Array(query[12..<(query.count - 11)])
            }
        }

        var reason: String {
            switch self {
            case .compressionLoop: "compression pointer at byte 12"
            case .nameOver255: "name longer than 255 bytes"
            case .countsThatLie: "more needed"
            }
        }
    }

    @Test("malformed answers are a failure with the decoder's reason", arguments: Malformed.allCases)
    func malformed(kind: Malformed) async throws {
        let server = try HostileDNSServer(udp: { [kind.response(to: $0)] })
        guard case .failure(let message) = await ask(server) else {
            Issue.record("\(kind) was accepted")
            return
        }
        #expect(message.contains(kind.reason), "\(message)")
        #expect(message.hasPrefix("malformed answer from 127.0.0.1:\(server.port)"))
    }

    @Test("a new nameserver's CNAME out of its zone is followed through a resolver and judged at the end of the chain")
    func cnameOutOfZone() async throws {
        let edge = dnsName("edge.cdn.example")
        let alias = DNSRecord(name: apex, ttl: 60, data: .cname(edge))
        let nameserver = try HostileDNSServer(udp: { [answer(to: $0, records: [alias])] })
        // A resolver follows the chain itself: asked for the apex it answers the whole chain,
        // asked for the target the address.
        let resolver = try HostileDNSServer(udp: { query in
            let asked = try! DNSMessage(wire: query).questions.first?.name
            let address = DNSRecord(name: edge, ttl: 20, data: .a([127, 0, 0, 80]))
            return [answer(to: query, records: asked == edge ? [address] : [alias, address])]
        })
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            resolvers: [{ name: r, address: "127.0.0.1:\(resolver.port)" }]
            dns:
              nameservers: { expected: [{ name: ns1.directfanz.test, addresses: ["127.0.0.1:\(nameserver.port)"] }] }
              records: [{ id: apex, name: "@", type: A, expected: [127.0.0.80] }]
            """, file: "t.yaml").get()
        let probe = DNSRecordProbe(record: plan.dns.records[0], polling: plan.polling, servers: DNSServers(plan: plan, planDirectory: nil))
        let outcome = await probe.run(at: .zero)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.observed["cells"] == .list([
            "resolver r (127.0.0.1:\(resolver.port)): match 127.0.0.80 ttl 20",
            "new ns1.directfanz.test (127.0.0.1:\(nameserver.port)): match CNAME edge.cdn.example. → 127.0.0.80 ttl 20",
        ]))
    }

    @Test("a record's own timeout applies to every server it asks, not the plan's")
    func perRecordTimeout() async throws {
        // When each query arrives, on the server's own thread: the DNS engine retries halfway
        // through the timeout, so the gap between the two says which timeout it used, however
        // busy the rest of the test run keeps the shared threads.
        let arrivals = Arrivals()
        let silent = try HostileDNSServer(udp: { _ in arrivals.note(); return [] })
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { timeout: 30s }
            resolvers: [{ name: silent, address: "127.0.0.1:\(silent.port)" }]
            dns:
              records: [{ id: apex, name: "@", type: A, expected: [127.0.0.80], timeout: 400ms }]
            """, file: "t.yaml").get()
        let probe = DNSRecordProbe(record: plan.dns.records[0], polling: plan.polling, servers: DNSServers(plan: plan, planDirectory: nil))
        let outcome = await probe.run(at: .zero)
        guard case .dnsRecord(let grid) = outcome.evidence else { Issue.record("no grid"); return }
        #expect(grid.cells.map(\.state) == [.timeout])
        let times = arrivals.times
        #expect(times.count == 2, "a query and its retry")
        if times.count == 2 {
            #expect(times[1] - times[0] < .seconds(5), "retried after \(times[1] - times[0]): the plan's 30 s applied, not the record's 400 ms")
        }
    }

    @Test("a TXT record full of terminal escapes arrives defanged in the grid and the JSON")
    func hostileTXT() async throws {
        let text = "v=spf1 \u{1B}[2J\u{1B}]0;owned\u{07} ~all"
        let server = try HostileDNSServer(udp: { query in
            [answer(to: query, records: [DNSRecord(name: apex, ttl: 60, data: .txt([Array(text.utf8)]))])]
        })
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            resolvers: [{ name: hostile, address: "127.0.0.1:\(server.port)" }]
            dns:
              records: [{ id: spf, name: "@", type: TXT, expected: ["v=spf1 ~all"] }]
            """, file: "t.yaml").get()
        let probe = DNSRecordProbe(record: plan.dns.records[0], polling: plan.polling, servers: DNSServers(plan: plan, planDirectory: nil))
        let outcome = await probe.run(at: .zero)
        // The plan names no nameserver to confirm the value, and the only resolver disagrees.
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "no nameserver of the plan confirms v=spf1 ~all: 0 of 1 resolvers see it (hostile: \"v=spf1 \u{FFFD}[2J\u{FFFD}]0;owned\u{FFFD} ~all\")")
        guard case .list(let cells) = outcome.observed["cells"], case .dnsRecord(let grid) = outcome.evidence else {
            Issue.record("no cells")
            return
        }
        #expect(cells == ["resolver hostile (127.0.0.1:\(server.port)): other \"v=spf1 \u{FFFD}[2J\u{FFFD}]0;owned\u{FFFD} ~all\" ttl 60"])
        #expect(grid.cells[0].values.allSatisfy { !$0.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 } })
        let json = CheckRunDocument(plan: plan, file: "t.yaml",
                                    reports: [CheckReport(check: plan.checks[0], status: outcome.status, detail: outcome.detail, observed: outcome.observed)],
                                    checkedAt: Date()).encoded()
        #expect(!json.contains("\\u001b") && !json.contains("\\u0007"))
    }

    /// The fan-out a propagation check makes: one encoding shared, each query its own id,
    /// every answer in the servers' order and stamped when its own query ended.
    @Test("one question to many servers at once: each answer in order, each with its own id and end")
    func fanOut() async throws {
        let ids = Mutex<[UInt16]>([])
        let answering = try HostileDNSServer(udp: { query in
            ids.withLock { $0.append(UInt16(query[0]) << 8 | UInt16(query[1])) }
            return [answer(to: query, records: good)]
        })
        let overTCP = try HostileDNSServer(udp: { _ in [] }, tcp: { [answer(to: $0, records: good)] })
        let silent = try HostileDNSServer(udp: { _ in [] })
        let nobody = try FreePort.tcp()
        func at(_ port: some BinaryInteger) throws -> SocketAddress { try SocketAddress.parse("127.0.0.1:\(port)").get() }
        let timeout = Duration.milliseconds(600)
        let servers: [DNSClient.Server] = [
            .init(target: .udp(try at(answering.port)), recursive: false, timeout: timeout),
            .init(target: .udp(try at(silent.port)), recursive: false, timeout: timeout),
            .init(target: .tcp(try at(overTCP.port)), recursive: true, timeout: timeout),
            .init(target: .udp(try at(nobody)), recursive: false, timeout: timeout),
            .init(target: .udp(try at(answering.port)), recursive: true, timeout: timeout),
        ]
        let answers = await DNSClient.ask(apex, .a, servers: servers)
        #expect(answers.count == servers.count)
        for index in [0, 2, 4] {
            guard case .response(let message, _) = answers[index].result else {
                Issue.record("server \(index): \(answers[index].result)")
                continue
            }
            #expect(message.answers == good)
        }
        #expect(answers[1].result == .timeout)
        #expect(answers[3].result == .refused("refused: nothing answers DNS at 127.0.0.1:\(nobody)"))
        #expect(answers[1].at - answers[3].at > .milliseconds(400), "the refusal is stamped when it came, not when the last query ended")
        let seen = ids.withLock { $0 }
        #expect(seen.count == 2 && Set(seen).count == 2, "ids \(seen)")
    }

    @Test("thousands of queries in flight on a few sockets")
    func manyInFlight() async throws {
        let server = try HostileDNSServer(udp: { [answer(to: $0, records: good)] })
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<2000 {
                group.addTask { if case .response = await ask(server, timeout: .seconds(5)) { return true } else { return false } }
            }
            var answered = 0
            for await ok in group where ok { answered += 1 }
            return answered
        }
        #expect(results >= 1990, "\(results) of 2000 answered")
    }
}

/// The moments something happened, from any thread.
final class Arrivals: @unchecked Sendable {
    private let lock = NSLock()
    private var moments: [ContinuousClock.Instant] = []
    func note() { lock.lock(); moments.append(.now); lock.unlock() }
    var times: [ContinuousClock.Instant] { lock.lock(); defer { lock.unlock() }; return moments }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

@Suite("Times in DNS details")
struct WallClockTests {
    /// The reference is Foundation's formatter, as the detail line was written before.
    @Test("an instant of the poller's clock reads as the UTC time of day a formatter gives")
    func describesUTCTimeOfDay() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss 'UTC'"
        for ahead in [0, 59, 3_601, 86_399, -7_200] {
            let before = formatter.string(from: Date().addingTimeInterval(TimeInterval(ahead)))
            let described = WallClock.describe(.seconds(1_000 + ahead), now: .seconds(1_000))
            let after = formatter.string(from: Date().addingTimeInterval(TimeInterval(ahead)))
            #expect(described == before || described == after, "\(described), not \(before)")
        }
    }
}
