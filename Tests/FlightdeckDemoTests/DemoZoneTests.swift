import FlightdeckCore
@testable import FlightdeckDemo
import Testing

/// The demo world is what newcomers judge Flightdeck by, and what the demo tests run
/// against: its DNS must answer as real servers do.
@Suite("Demo zones: answers as real authoritative servers give them")
struct DemoZoneTests {
    let zones: DemoZones
    let clock = DemoClock(speed: 10)

    init() throws {
        zones = try DemoZones(zone: "directfanz.test")
    }

    private func ask(_ zone: DemoZone, _ name: String, _ type: DNSRecordType) throws -> DNSMessage {
        zone.answer(DNSMessage.query(id: 7, name: try DNSName.parse(name).get(), type: type, recursionDesired: false), clock: clock)
    }

    @Test("the parent refers to the old provider, then to the new one, with glue, TTLs at the demo's speed")
    func referrals() throws {
        for (parent, nameservers, glue) in [(zones.parentBefore, ["ns1.olddns.test"], ["127.0.0.31"]),
                                            (zones.parentAfter, ["ns1.newdns.test", "ns2.newdns.test"], ["127.0.0.21", "127.0.0.22"])] {
            let referral = try ask(parent, "www.directfanz.test", .a)
            #expect(!referral.flags.authoritative && referral.answers.isEmpty && referral.responseCode == .noError)
            #expect(referral.authority.map(\.data.comparable).sorted() == nameservers)
            #expect(referral.authority.allSatisfy { $0.name.text == "directfanz.test" && $0.ttl == 6 }, "60 s at 10x")
            #expect(referral.additional.map(\.data.comparable).sorted() == glue)
        }
        let own = try ask(zones.parentAfter, "test", .soa)
        #expect(own.flags.authoritative && own.answers.map(\.type) == [.soa])
    }

    @Test("the parent answers the DS itself, until it is removed; the old provider signs for those who ask with DO")
    func dnssec() throws {
        let apex = try DNSName.parse("directfanz.test").get()
        let held = try ask(zones.parentBeforeSigned, "directfanz.test", .ds)
        #expect(held.flags.authoritative && held.answers.map(\.type) == [.ds])
        guard case .ds(let tag, 15, 2, let digest)? = held.answers.first?.data else {
            Issue.record("no Ed25519 SHA-256 DS: \(held.answers)")
            return
        }
        #expect(digest.count == 32)
        for parent in [zones.parentBefore, zones.parentAfter] {
            let removed = try ask(parent, "directfanz.test", .ds)
            #expect(removed.flags.authoritative && removed.answers.isEmpty && removed.authority.map(\.type) == [.soa])
        }
        var query = DNSMessage.query(id: 9, name: apex, type: .dnskey, recursionDesired: false, dnssec: true)
        let keys = zones.oldProvider.answer(query, clock: clock)
        #expect(keys.answers.map(\.type) == [.dnskey, .rrsig])
        guard case .dnskey(let key)? = keys.answers.first?.data, case .rrsig(let signature)? = keys.answers.last?.data else { return }
        #expect(key.keyTag == tag && key.isSecureEntryPoint && signature.keyTag == tag && signature.signer == apex)
        query = DNSMessage.query(id: 10, name: apex, type: .a, recursionDesired: false)
        #expect(zones.oldProvider.answer(query, clock: clock).answers.map(\.type) == [.a], "no signatures without DO")
        query = DNSMessage.query(id: 11, name: apex, type: .a, recursionDesired: false, dnssec: true)
        #expect(zones.newProvider.answer(query, clock: clock).answers.map(\.type) == [.a], "the new provider does not sign")
    }

    @Test("a provider answers, follows a CNAME, and says NODATA, NXDOMAIN or REFUSED where it should")
    func answers() throws {
        let apex = try ask(zones.newProvider, "directfanz.test", .a)
        #expect(apex.flags.authoritative && apex.answers.map(\.data.comparable) == ["127.0.0.80"])
        #expect(apex.answers.first?.ttl == 30, "300 s at 10x")
        #expect(try ask(zones.oldProvider, "directfanz.test", .a).answers.map(\.data.comparable) == ["127.0.0.90"])

        #expect(try ask(zones.newProvider, "www.directfanz.test", .cname).answers.map(\.data.comparable) == ["directfanz.test"])
        let chased = try ask(zones.newProvider, "www.directfanz.test", .a)
        #expect(chased.answers.map(\.type) == [.cname, .a])
        #expect(PropagationCell.answerRecords(chased, name: try DNSName.parse("www.directfanz.test").get(), type: .a)
            .map(\.data.comparable) == ["127.0.0.80"])

        let nodata = try ask(zones.newProvider, "directfanz.test", .aaaa)
        #expect(nodata.responseCode == .noError && nodata.answers.isEmpty && nodata.authority.map(\.type) == [.soa])
        let missing = try ask(zones.newProvider, "nope.directfanz.test", .a)
        #expect(missing.responseCode == .nameError && missing.authority.map(\.type) == [.soa])
        #expect(try ask(zones.newProvider, "example.com", .a).responseCode == .refused)
    }

    @Test("every answer survives Flightdeck's own codec, as the probes will read it")
    func wire() throws {
        for zone in [zones.parentBefore, zones.parentAfter, zones.oldProvider, zones.newProvider] {
            for question in zones.questions {
                let answer = zone.answer(DNSMessage.query(id: 9, name: question.name, type: question.type, recursionDesired: false), clock: clock)
                #expect(try DNSMessage(wire: answer.wire()) == answer)
            }
        }
    }
}

@Suite("Demo script and web: the story's timing, and requests real or hostile")
struct DemoScriptTests {
    @Test("the API fails for 3 s in each 10 s: fewer polls (2 s apart) than the red rule's 3, so it only flaps")
    func flapping() {
        var longest = 0.0, run = 0.0
        for tenth in 0..<2400 {
            let time = Double(tenth) / 10
            run = DemoScript.apiFails(at: time) ? run + 0.1 : 0
            longest = max(longest, run)
        }
        #expect(longest < 2 * 2 + 0.01)
        #expect(!DemoScript.apiFails(at: DemoScript.apiFlapping.lowerBound - 1) && DemoScript.apiFails(at: DemoScript.apiFlapping.lowerBound))
        #expect(!DemoScript.apiFails(at: DemoScript.apiFlapping.upperBound))
        #expect(DemoScript.storyEnds > DemoScript.checkoutAlert.upperBound)
    }

    @Test("a request head parses; anything else is refused without a crash")
    func requests() {
        let request = DemoRequest(head: Array("GET /health HTTP/1.1\r\nHost: API.directfanz.test:8443\r\nUpgrade: websocket".utf8))
        #expect(request?.host == "api.directfanz.test" && request?.port == 8443 && request?.path == "/health")
        #expect(request?.headers["upgrade"] == "websocket")
        for hostile in ["", "\u{1B}[2J", "GET", "GET / SPDY/3", String(repeating: "A", count: 20_000), "GET / HTTP/1.1\r\n:::\r\nHost:"] {
            let parsed = DemoRequest(head: Array(hostile.utf8))
            #expect(parsed == nil || parsed?.host == "", "\(hostile.prefix(20))")
        }
    }

    @Test("the WebSocket accept value is RFC 6455's own example")
    func webSocket() {
        #expect(webSocketAccept(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }
}
