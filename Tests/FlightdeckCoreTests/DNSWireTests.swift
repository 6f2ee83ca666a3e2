@testable import FlightdeckCore
import Testing

func name(_ text: String) -> DNSName { try! DNSName.parse(text).get() }

/// A response holding one record of every type the codec knows, plus an unknown one.
func sampleResponse() -> DNSMessage {
    var flags = DNSFlags()
    flags.isResponse = true
    flags.authoritative = true
    flags.recursionDesired = true
    let zone = name("directfanz.io")
    var edns = EDNS()
    edns.options = [(10, [1, 2, 3, 4, 5, 6, 7, 8])]
    return DNSMessage(
        id: 0xBEEF, flags: flags, questions: [DNSQuestion(name: zone, type: .a)],
        answers: [
            DNSRecord(name: zone, ttl: 300, data: .a([203, 0, 113, 10])),
            DNSRecord(name: zone, ttl: 300, data: .aaaa([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])),
            DNSRecord(name: name("www.directfanz.io"), ttl: 60, data: .cname(name("d3k2x9example.cloudfront.net"))),
            DNSRecord(name: zone, ttl: 172800, data: .ns(name("ns-1234.awsdns-12.org"))),
            DNSRecord(name: name("10.113.0.203.in-addr.arpa"), ttl: 60, data: .ptr(zone)),
            DNSRecord(name: zone, ttl: 900, data: .soa(.init(primary: name("ns-1234.awsdns-12.org"), mailbox: name("awsdns-hostmaster.amazon.com"),
                                                              serial: 2026112501, refresh: 7200, retry: 900, expire: 1209600, minimum: 86400))),
            DNSRecord(name: zone, ttl: 300, data: .mx(preference: 10, exchange: name("mx.sendgrid.net"))),
            DNSRecord(name: zone, ttl: 300, data: .txt([Array("v=spf1 include:sendgrid.net ".utf8), Array("~all".utf8)])),
            DNSRecord(name: zone, ttl: 300, data: .caa(flags: 0, tag: "issue", value: Array("amazon.com".utf8))),
            DNSRecord(name: name("_sip._tcp.directfanz.io"), ttl: 300, data: .srv(priority: 10, weight: 5, port: 5060, target: name("sip.directfanz.io"))),
            DNSRecord(name: zone, ttl: 3600, data: .ds(keyTag: 12345, algorithm: 13, digestType: 2, digest: [0xAB, 0xCD, 0xEF, 0x01])),
            DNSRecord(name: zone, ttl: 300, data: .unknown(type: 65, data: [0, 1, 0, 0, 1, 0, 3, 2, 0x68, 0x32])),
        ],
        authority: [DNSRecord(name: zone, ttl: 172800, data: .ns(name("ns-567.awsdns-05.net")))],
        additional: [DNSRecord(name: name("ns-567.awsdns-05.net"), ttl: 172800, data: .a([205, 251, 194, 55]))],
        edns: edns)
}

@Suite("DNS wire codec")
struct DNSWireTests {
    @Test("every record type survives encode then decode unchanged")
    func roundTrip() throws {
        let message = sampleResponse()
        let bytes = try message.wire()
        #expect(try DNSMessage(wire: bytes) == message)
        #expect(try DNSMessage(wire: try DNSMessage(wire: bytes).wire()) == message)
    }

    @Test("names are compressed on encode, and a query carries EDNS with a 1232-byte payload")
    func compressionAndEDNS() throws {
        let query = DNSMessage.query(id: 7, name: name("api.directfanz.io"), type: .aaaa, recursionDesired: false)
        let bytes = try query.wire()
        // header 12 + name 19 + type/class 4 + OPT 11
        #expect(bytes.count == 46)
        #expect(Array(bytes[bytes.count - 11..<bytes.count]) == [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0])
        #expect(bytes[2] & 0x01 == 0, "RD is off for authoritative queries")
        let response = try sampleResponse().wire()
        let uncompressed = sampleResponse().answers.reduce(0) { $0 + $1.name.text.utf8.count + 2 }
        #expect(response.count < uncompressed + 400)
        #expect(response.contains(0xC0), "at least one compression pointer")
    }

    @Test("presentation values compare with the plan's, whatever their spelling")
    func comparable() {
        let answers = sampleResponse().answers
        #expect(answers.map(\.data.comparable) == [
            "203.0.113.10", "2001:db8::1", "d3k2x9example.cloudfront.net", "ns-1234.awsdns-12.org", "directfanz.io",
            "ns-1234.awsdns-12.org awsdns-hostmaster.amazon.com 2026112501 7200 900 1209600 86400",
            "10 mx.sendgrid.net", "v=spf1 include:sendgrid.net ~all", "0 issue amazon.com",
            "10 5 5060 sip.directfanz.io", "12345 13 2 ABCDEF01", "\\# 10 00010000010003026832",
        ])
        #expect(RecordValue.normalize("10 MX.SendGrid.net.", type: .mx) == "10 mx.sendgrid.net")
        #expect(RecordValue.normalize("0 ISSUE \"amazon.com\"", type: .caa) == "0 issue amazon.com")
        #expect(RecordValue.normalize("\"v=spf1 include:sendgrid.net \" \"~all\"", type: .txt) == "v=spf1 include:sendgrid.net ~all")
        #expect(RecordValue.normalize("2001:DB8:0::1", type: .aaaa) == "2001:db8::1")
        #expect(RecordValue.normalize("12345 13 2 abcd ef01", type: .ds) == "12345 13 2 ABCDEF01")
    }

    @Test("terminal escapes in a TXT record are shown defanged")
    func hostileText() {
        let record = RecordData.txt([Array("ok\u{1B}[2J\u{1B}]0;pwned\u{07}".utf8)])
        #expect(record.display == "\"ok\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD}\"")
    }

    @Test("odd bytes in names stay visible, escaped, and round-trip")
    func escapedNames() throws {
        let odd = DNSName(wireLabels: [Array("a.b".utf8), [0x1B, 0x41], Array("test".utf8)])
        #expect(odd.text == "a\\046b.\\027a.test")
        var writer = WireWriter()
        try writer.name(odd)
        var reader = WireReader(writer.bytes)
        #expect(try reader.name() == odd)
    }

    static let malformed: [(String, [UInt8], DNSWireError)] = {
        let header: [UInt8] = [0x12, 0x34, 0x81, 0x80]
        func message(questions: UInt16 = 1, answers: UInt16 = 0, _ body: [UInt8]) -> [UInt8] {
            header + [UInt8(questions >> 8), UInt8(questions & 0xFF), UInt8(answers >> 8), UInt8(answers & 0xFF), 0, 0, 0, 0] + body
        }
        let question: [UInt8] = [3] + Array("www".utf8) + [0, 0, 1, 0, 1]
        return [
            ("a header cut short", [0x12, 0x34, 0x81], .truncated(offset: 2, needed: 1)),
            ("a count that lies", message(questions: 1, answers: 40, question), .truncated(offset: 21, needed: 436)),
            ("a compression loop", message([0xC0, 12, 0, 1, 0, 1]), .pointerOutOfRange(offset: 12)),
            ("a pointer past the end", message([3, 0x61, 0x62, 0x63, 0xC0, 0x7F, 0, 1, 0, 1]), .pointerOutOfRange(offset: 16)),
            ("a label over 63 bytes (its length byte is a reserved type)", message([64] + [UInt8](repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]), .reservedLabelType(offset: 12)),
            ("a name over 255 bytes", message(Array([[63] + [UInt8](repeating: 0x61, count: 63)].joined()) + Array(repeating: [63] + [UInt8](repeating: 0x61, count: 63), count: 4).flatMap { $0 } + [0, 0, 1, 0, 1]),
             .nameTooLong(offset: 204)),
            ("a reserved label type", message([0x80, 0, 0, 1, 0, 1]), .reservedLabelType(offset: 12)),
            ("an A record of 5 bytes", message(answers: 1, question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5]),
             .badRecordLength(type: .a, offset: 33)),
            ("record data longer than the message", message(answers: 1, question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4]),
             .truncated(offset: 33, needed: 196)),
            ("a name in record data running past its length", message(answers: 1, question + [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 3, 0x61]),
             .truncated(offset: 34, needed: 3)),
            ("bytes after the last record", message(question + [0xFF]), .trailingBytes(count: 1)),
        ]
    }()

    @Test("malformed messages are typed errors, never a crash", arguments: malformed.map { ($0.0, $0.1, $0.2) })
    func malformedMessages(description: String, bytes: [UInt8], error: DNSWireError) {
        #expect(throws: error, "\(description)") { try DNSMessage(wire: bytes) }
    }

    @Test("a pointer chain longer than 64 jumps is a loop")
    func longPointerChain() {
        // Each name points to the previous one: 70 backwards pointers, each legal on its own.
        var body: [UInt8] = [1, 0x61, 0]
        for index in 0..<70 { body += [0xC0, UInt8(12 + (index == 0 ? 0 : 3 + (index - 1) * 2))] }
        var bytes: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0] + body
        // The question's name is the last pointer; give it a type and class.
        bytes = Array(bytes[0..<12]) + Array(bytes[(bytes.count - 2)...]) + [0, 1, 0, 1]
        #expect(throws: DNSWireError.self) { try DNSMessage(wire: bytes) }
    }

    @Test("random mutations of real responses never crash or hang the decoder")
    func mutations() throws {
        let seeds = [try sampleResponse().wire(), try DNSMessage.query(id: 1, name: name("a.b.c"), type: .txt, recursionDesired: true).wire()]
        var random = SplitMix64(seed: 2026)
        var decoded = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...(Int(random.next() % 8)) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.removeSubrange(position...)
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                default: bytes[position] = 0xC0
                }
                if bytes.isEmpty { break }
            }
            if (try? DNSMessage(wire: bytes)) != nil { decoded += 1 }
        }
        #expect(decoded > 0, "some mutations are still valid messages")
    }
}
