@testable import FlightdeckCore
import Testing

@Suite("Plan values")
struct PlanValueTests {
    @Test("durations parse with units and sums", arguments: [
        ("250ms", Duration.milliseconds(250)), ("10s", .seconds(10)), ("5m", .seconds(300)),
        ("2h", .seconds(7200)), ("14d", .seconds(14 * 86_400)), ("1h30m", .seconds(5400)), ("1m500ms", .milliseconds(60_500)),
    ])
    func durations(text: String, expected: Duration) throws {
        #expect(try PlanDuration.parse(text).get() == expected)
        #expect(PlanDuration.format(expected) == text)
    }

    @Test("durations without a unit or in words are refused", arguments: ["10", "", "10 s", "s", "1.5s", "-5s", "10sec", "99999999999s"])
    func badDurations(text: String) {
        #expect(throws: ValueError.self) { try PlanDuration.parse(text).get() }
    }

    @Test("addresses with and without ports, in canonical form")
    func addresses() throws {
        let v4 = try SocketAddress.parse("192.0.2.1:5353").get()
        #expect(v4.host == "192.0.2.1" && v4.port == 5353 && v4.family == .ipv4)
        let v6 = try SocketAddress.parse("[2001:DB8:0:0::1]:853").get()
        #expect(v6.host == "2001:db8::1" && v6.port == 853 && v6.family == .ipv6)
        #expect(v6.description == "[2001:db8::1]:853")
        #expect(try SocketAddress.parse("::1").get().isLoopback)
        #expect(try SocketAddress.parse("127.1.2.3").get().isLoopback)
        #expect(try !SocketAddress.parse("192.0.2.1").get().isLoopback)
        #expect(try SocketAddress.parse("192.0.2.1").get().withDefaultPort(53).port == 53)
    }

    @Test("things that are not addresses", arguments: [
        "localhost", "1.2.3", "1.2.3.4.5", "01.2.3.4444", "[::1", "[::1]x", "2001:db8::1:53:", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
    ])
    func badAddresses(text: String) {
        #expect(throws: ValueError.self) { try SocketAddress.parse(text).get() }
    }

    @Test("domain names are lower-cased ASCII; wildcards only where allowed")
    func names() throws {
        #expect(try DNSName.parse("API.Example.COM.").get().text == "api.example.com")
        #expect(try DNSName.parse("s1._domainkey.example.com").get().text == "s1._domainkey.example.com")
        #expect(try DNSName.parse("*.example.com", allowWildcard: true).get().isWildcard)
        #expect(throws: ValueError.self) { try DNSName.parse("*.example.com").get() }
        #expect(throws: ValueError.self) { try DNSName.parse("*.com", allowWildcard: true).get() }
        #expect(throws: ValueError.self) { try DNSName.parse("a.*.example.com", allowWildcard: true).get() }
        #expect(throws: ValueError.self) { try DNSName.parse("-bad.example.com").get() }
        #expect(throws: ValueError.self) { try DNSName.parse("a..b").get() }
        #expect(throws: ValueError.self) { try DNSName.parse(String(repeating: "a", count: 64) + ".com").get() }
        let idn = DNSName.parse("bücher.example")
        guard case .failure(let error) = idn else {
            Issue.record("a U-label was accepted")
            return
        }
        #expect(error.hint?.contains("xn--") == true)
        #expect(try DNSName.parse("www.example.com").get().isWithin(DNSName.parse("example.com").get()))
        #expect(try !DNSName.parse("badexample.com").get().isWithin(DNSName.parse("example.com").get()))
    }

    @Test("record types by name or number, and values checked against their type")
    func recordTypes() throws {
        #expect(try DNSRecordType.parse("aaaa").get() == .aaaa)
        #expect(try DNSRecordType.parse("TYPE65").get() == .other(65))
        #expect(try DNSRecordType.parse("TYPE28").get() == .aaaa)
        #expect(DNSRecordType.a.validate(value: "192.0.2.1") == nil)
        #expect(DNSRecordType.a.validate(value: "192.0.2.1:80") != nil)
        #expect(DNSRecordType.mx.validate(value: "10 mx.example.com.") == nil)
        #expect(DNSRecordType.mx.validate(value: "mx.example.com") != nil)
        #expect(DNSRecordType.srv.validate(value: "10 5 443 sip.example.com") == nil)
        #expect(DNSRecordType.srv.validate(value: "10 5 99999 sip.example.com") != nil)
        #expect(DNSRecordType.caa.validate(value: "0 issue \"letsencrypt.org\"") == nil)
        #expect(DNSRecordType.caa.validate(value: "0 is-sue \"letsencrypt.org\"") != nil)
        #expect(DNSRecordType.ds.validate(value: "12345 13 2 ABCDEF0123") == nil)
        #expect(DNSRecordType.ds.validate(value: "12345 13 2 XYZ") != nil)
        #expect(DNSRecordType.soa.validate(value: "ns1.example.com. admin.example.com. 1 7200 900 1209600 300") == nil)
    }

    @Test("secrets: references are resolved for use and kept out of every printed form")
    func secrets() throws {
        let secret = SecretText(template: "Bearer ${TOKEN}", value: "Bearer s3cr3t")
        #expect(secret.referencesSecrets)
        #expect("\(secret)" == "Bearer ${TOKEN}")
        #expect(String(reflecting: secret) == "Bearer ${TOKEN}")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("s3cr3t"))
        #expect(SecretText.references(in: "a ${ONE} b ${TWO_2} $${NOT}") == ["ONE", "TWO_2"])
        #expect(!SecretText(literal: "plain").referencesSecrets)

        let loaded = try PlanLoader(environment: ["TOKEN": "s3cr3t"]).load(text: """
            launch: { name: T, zone: example.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            http: [{ id: c, url: "https://example.test/?token=${TOKEN}" }]
            """, file: "t.yaml").get()
        let url = loaded.httpChecks[0].url
        #expect(url.value == "https://example.test/?token=s3cr3t")
        #expect(url.redacting("you sent token=s3cr3t, s3cr3t!") == "you sent token=${TOKEN}, ${TOKEN}!")
    }

    @Test("PIN hashes in both formats; malformed or weak ones refused")
    func pinHashes() throws {
        let salt = "c2FsdHNhbHRzYWx0c2FsdA=="
        let hash = "aGFzaGhhc2hoYXNoaGFzaA=="
        #expect(try PINHash.parse("pbkdf2-sha256$600000$\(salt)$\(hash)").get().algorithm == .pbkdf2SHA256(iterations: 600_000))
        #expect(try PINHash.parse("scrypt$16384$8$1$\(salt)$\(hash)").get().algorithm == .scrypt(n: 16384, r: 8, p: 1))
        #expect(throws: ValueError.self) { try PINHash.parse("scrypt$1000$8$1$\(salt)$\(hash)").get() }
        #expect(throws: ValueError.self) { try PINHash.parse("pbkdf2-sha256$99999$\(salt)$\(hash)").get() }
        #expect(throws: ValueError.self) { try PINHash.parse("1234").get() }
        #expect(throws: ValueError.self) { try PINHash.parse("pbkdf2-sha256$600000$c2hvcnQ=$\(hash)").get() }
        #expect("\(try PINHash.parse("pbkdf2-sha256$600000$\(salt)$\(hash)").get())" == "<PIN hash>")
    }

    @Test("did-you-mean finds typos, not strangers")
    func suggestions() {
        #expect(closestMatch(to: "timezon", among: ["timezone", "zone"]) == "timezone")
        #expect(closestMatch(to: "warningDays", among: ["warning_days", "critical_days"]) == "warning_days")
        #expect(closestMatch(to: "colour", among: ["timezone", "zone"]) == nil)
        // Two neighbours swapped is one slip of the fingers, not two.
        #expect(closestMatch(to: "oscp", among: ["crl", "ocsp"]) == "ocsp")
        #expect(closestMatch(to: "recrods", among: ["records", "resolvers"]) == "records")
        #expect(editDistance(Array("abcd"), Array("badc"), atMost: 3) == 2)
        #expect(editDistance(Array("ca"), Array("abc"), atMost: 3) == 3)
    }
}

@Suite("Check verdict")
struct CheckVerdictTests {
    private func report(_ id: String, _ severity: Severity, _ status: CheckStatus) -> CheckReport {
        CheckReport(check: CheckDescriptor(id: id, kind: .http, target: "https://example.test/", severity: severity),
                    status: status, detail: "")
    }

    @Test("GO when every blocker passes; a warning passes, minor failures do not block")
    func go() {
        let verdict = CheckVerdict(reports: [report("a", .blocker, .pass), report("b", .blocker, .warn), report("c", .minor, .fail)])
        #expect(verdict.isGo)
        #expect(verdict.reason == "all 2 blocking checks pass")
    }

    @Test("NO-GO names the failing blockers first")
    func noGo() {
        let verdict = CheckVerdict(reports: [report("a", .blocker, .unknown), report("b", .blocker, .fail), report("c", .major, .pass)])
        #expect(!verdict.isGo)
        #expect(verdict.reason == "1 blocking check failing: b")
    }

    @Test("unknown is never GO")
    func unknown() {
        let verdict = CheckVerdict(reports: (1...7).map { report("c\($0)", .blocker, .unknown) })
        #expect(!verdict.isGo)
        #expect(verdict.reason == "7 blocking checks not known to pass: c1, c2, c3, c4, c5 and 2 more")
    }
}
