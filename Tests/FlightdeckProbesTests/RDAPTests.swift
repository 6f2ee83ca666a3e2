@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// The registry's view over RDAP: answers in RFC 9083's shapes served by nginx, hostile ones
/// by an in-process server, and the parent zone `test.` by knot with a DS for rev.test.
@Suite("RDAP: the registry's own view", .enabled(if: LoopbackDNS.canBindPort53, "needs port 53 on loopback (root)"), .serialized)
struct RDAPTests {
    let prefix = LoopbackDNS.randomPrefix()
    static let digest = String(repeating: "AB12", count: 16)
    let nginx: NginxServer
    let documents: TestDirectory
    let parent: KnotServer

    init() throws {
        nginx = try NginxServer.shared()
        documents = try TestDirectory("rdap")
        parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": """
            $TTL 60
            @ SOA ns.parent.test. hostmaster.test. 1 60 60 600 60
            @ NS ns.parent.test.
            ns.parent A \(prefix).1
            rev NS ns1.newdns.test.
            rev NS ns2.newdns.test.
            rev DS 12345 13 2 \(Self.digest)

            """])
    }

    private var directoryName: String { URL(fileURLWithPath: documents.path).lastPathComponent }
    private var base: String { nginx.url("/files/\(directoryName)/") }

    /// Serves `document` as the registry's answer for rev.test.
    private func serve(_ document: [String: Any]) throws {
        let folder = "\(nginx.filesDirectory)/\(directoryName)/domain"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: "\(folder)/rev.test"))
    }

    private func domain(nameservers: [String] = ["NS1.NEWDNS.TEST.", "ns2.newdns.test"], statuses: [String] = ["client transfer prohibited", "active"],
                        expiresIn days: Double = 400, signed: Bool = true, ds: [[String: Any]]? = nil) -> [String: Any] {
        let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(days * 86400 + 3600))
        return [
            "objectClassName": "domain", "ldhName": "rev.test", "rdapConformance": ["rdap_level_0"],
            "status": statuses,
            "events": [["eventAction": "registration", "eventDate": "2020-01-01T00:00:00Z"], ["eventAction": "expiration", "eventDate": expiry]],
            "nameservers": nameservers.map { ["objectClassName": "nameserver", "ldhName": $0] },
            "secureDNS": ["delegationSigned": signed,
                          "dsData": ds ?? (signed ? [["keyTag": 12345, "algorithm": 13, "digestType": 2, "digest": Self.digest.lowercased()]] : [])],
        ]
    }

    private func probe(server: String? = nil, source: String? = nil) async throws -> ProbeOutcome {
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: rev.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { timeout: 2s }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            dns:
              parent: [{ name: ns.parent.test, addresses: ["\(prefix).1"] }]
              nameservers:
                expected: [{ name: ns1.newdns.test, addresses: ["\(prefix).21"] }, { name: ns2.newdns.test, addresses: ["\(prefix).22"] }]
                previous: [{ name: ns1.olddns.test, addresses: ["\(prefix).31"] }]
              rdap: { \(source ?? "server: \"\(server ?? base)\"") }
            """, file: "t.yaml").get()
        let check = try #require(plan.dns.rdap)
        let probe = RDAPProbe(check: check, plan: plan, planDirectory: nil, servers: DNSServers(plan: plan, planDirectory: nil))
        return await probe.run(at: .zero)
    }

    @Test("the registry lists the new nameservers, a transfer lock, a year to run and the DS the parent serves: green")
    func good() async throws {
        try serve(domain())
        let outcome = try await probe()
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail.hasPrefix("registered until "))
        #expect(outcome.detail.hasSuffix(" (400 days), delegated to ns1.newdns.test, ns2.newdns.test, DS as the parent serves it"), "\(outcome.detail)")
        #expect(outcome.observed["nameservers"] == .list(["ns1.newdns.test", "ns2.newdns.test"]))
        #expect(outcome.observed["ds"] == .list(["12345 13 2 \(Self.digest)"]))
        #expect(outcome.observed["days_left"] == .number(400))
    }

    @Test("the registrar not yet changed, a hold, an expiry close by: red, each with what to do")
    func red() async throws {
        try serve(domain(nameservers: ["ns1.olddns.test"]))
        let old = try await probe()
        #expect(old.status == .fail)
        #expect(old.detail == "the registry still lists the old nameservers (ns1.olddns.test): change them at the registrar to ns1.newdns.test, ns2.newdns.test")

        try serve(domain(nameservers: ["ns1.newdns.test", "ns9.elsewhere.test"]))
        let other = try await probe()
        #expect(other.detail == "the registry lists ns1.newdns.test, ns9.elsewhere.test; the plan expects ns1.newdns.test, ns2.newdns.test: fix them at the registrar")

        try serve(domain(statuses: ["client transfer prohibited", "client hold"]))
        let hold = try await probe()
        #expect(hold.status == .fail)
        #expect(hold.detail == "the registry lists `client hold`: the domain is out of the DNS; the registrar must lift it")

        try serve(domain(statuses: ["clientTransferProhibited", "redemptionPeriod"], expiresIn: 20))
        let lapsing = try await probe()
        #expect(lapsing.status == .fail)
        #expect(lapsing.detail == "the registry lists `redemption period`: the domain is being deleted; restore it at the registrar now (and 1 more)")
        guard case .list(let findings)? = lapsing.observed["findings"] else {
            Issue.record("no findings")
            return
        }
        #expect(findings.count == 2)
        #expect(findings[1].hasPrefix("fail: the registration expires in 20 days ("))
        #expect(findings[1].hasSuffix("): renew it at the registrar"))
    }

    @Test("yellow: the warning days, no transfer lock, DNSSEC data the registry and the parent disagree on")
    func yellow() async throws {
        try serve(domain(expiresIn: 45))
        let soon = try await probe()
        #expect(soon.status == .warn)
        #expect(soon.detail.hasPrefix("the registration expires in 45 days ("))
        #expect(soon.detail.hasSuffix("): renew it before the launch"))

        try serve(domain(statuses: ["active"]))
        let unlocked = try await probe()
        #expect(unlocked.status == .warn)
        #expect(unlocked.detail == "the registry does not list `client transfer prohibited`: ask the registrar to lock the domain")

        try serve(domain(signed: false))
        let unsigned = try await probe()
        #expect(unsigned.status == .warn)
        #expect(unsigned.detail == "the registry says unsigned but the parent zone serves DS 12345 13 2 \(Self.digest): "
            + "the registry's change has not reached the zone yet, or the registrar holds other data")

        try serve(domain(ds: [["keyTag": 999, "algorithm": 13, "digestType": 2, "digest": Self.digest]]))
        let other = try await probe()
        #expect(other.status == .warn)
        #expect(other.detail.hasPrefix("the registry says DS 999 13 2 \(Self.digest) but the parent zone serves DS 12345 "), "\(other.detail)")
    }

    @Test("a domain the registry does not have is red; errors, huge, malformed and hostile answers are unknown in words")
    func hostile() async throws {
        let missing = try await probe(server: nginx.url("/files/\(directoryName)-none/"))
        #expect(missing.status == .fail)
        #expect(missing.detail == "the registry has no domain rev.test (RDAP 404)")

        func answer(_ status: String, _ body: String) -> HostileServer.Behaviour {
            .raw("HTTP/1.1 \(status)\r\nContent-Type: application/rdap+json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        }
        let cases: [(HostileServer.Behaviour, CheckStatus, String)] = [
            (.hugeBody(declared: 64 << 20), .unknown, "RDAP: the answer from 127.0.0.1:PORT is larger than 1024 KiB"),
            (answer("200 OK", "{\"objectClassName\": \"domain\", \"ldhName\": "), .unknown, "RDAP: the answer is not RDAP JSON"),
            (answer("200 OK", String(repeating: "[", count: 100_000)), .unknown, "RDAP: the answer is not RDAP JSON"),
            (answer("200 OK", "{\"objectClassName\": \"entity\"}"), .unknown, "RDAP: the answer is not an RDAP domain object"),
            (answer("200 OK", "{\"objectClassName\": \"domain\", \"ldhName\": \"other.test\"}"), .unknown,
             "RDAP: the answer is about `other.test`, not rev.test"),
            (answer("429 Too Many Requests", "{\"errorCode\": 429, \"title\": \"Slow down\"}"), .unknown,
             "RDAP: the registry asks to be asked less often (429: Slow down)"),
            (answer("500 Internal Server Error", "{\"errorCode\": 500, \"title\": \"Boom\", \"description\": [\"\\u001b]0;owned\\u0007 db down\"]}"),
             .unknown, "RDAP: 127.0.0.1:PORT answered HTTP 500: Boom: \u{FFFD}]0;owned\u{FFFD} db down"),
        ]
        for (behaviour, status, detail) in cases {
            let server = try HostileServer(behaviour)
            defer { server.stop() }
            let outcome = try await probe(server: server.url)
            #expect(outcome.status == status, "\(outcome.detail)")
            #expect(outcome.detail == detail.replacingOccurrences(of: "PORT", with: String(server.port)))
        }

        // Escape sequences in a status reach no screen.
        try serve(domain(statuses: ["client transfer prohibited", "\u{1B}[2Jactive"]))
        let sanitized = try await probe()
        guard case .list(let statuses)? = sanitized.observed["statuses"] else {
            Issue.record("no statuses")
            return
        }
        #expect(!statuses.joined().unicodeScalars.contains { $0.value == 0x1B }, "\(statuses)")
    }

    @Test("the base URL from IANA's bootstrap file (RFC 9224): the longest matching suffix, https first")
    func bootstrap() async throws {
        try serve(domain())
        let file = documents.file("dns.json")
        let services: [Any] = [
            [["example"], ["https://rdap.example/"]],
            [["test"], ["https://127.0.0.1:1/nowhere/"]],
            [["rev.test"], [base]],
            [["io"], ["http://rdap.plain.example/", "https://rdap.nic.example/"]],
        ]
        try JSONSerialization.data(withJSONObject: ["version": "1.0", "services": services]).write(to: URL(fileURLWithPath: file))
        let fromFile = try await probe(source: "bootstrap: \"\(file)\"").status
        #expect(fromFile == .pass)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(try RDAPBootstrap.baseURL(for: DNSName.parse("rev.test").get(), in: bytes).get().absoluteString == base)
        #expect(try RDAPBootstrap.baseURL(for: DNSName.parse("a.other.test").get(), in: bytes).get().absoluteString == "https://127.0.0.1:1/nowhere/")
        #expect(try RDAPBootstrap.baseURL(for: DNSName.parse("x.io").get(), in: bytes).get().absoluteString == "https://rdap.nic.example/")
        guard case .failure(let problem) = RDAPBootstrap.baseURL(for: try DNSName.parse("x.dev").get(), in: bytes) else {
            Issue.record("a TLD the file does not name found a server")
            return
        }
        #expect(problem.reason == "the bootstrap file names no RDAP server for .dev")
        guard case .failure(let broken) = RDAPBootstrap.baseURL(for: try DNSName.parse("x.io").get(), in: Array("{}".utf8)) else { return }
        #expect(broken.reason == "the bootstrap file is not RFC 9224 JSON (no `services`)")
    }
}

@Suite("The plan's rdap section")
struct RDAPPlanTests {
    private func load(_ rdap: String) -> Result<LaunchPlan, PlanLoadError> {
        PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: rev.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            dns:
              rdap: \(rdap)
            http: [{ id: rdap, url: "https://rev.test/" }]
            """, file: "t.yaml")
    }

    @Test("server or bootstrap, once; the check's id and the domain default to rdap and the zone; RDAP's status words either way")
    func section() throws {
        guard case .failure(let duplicate) = load("{ server: \"https://rdap.example/\" }") else {
            Issue.record("two checks named rdap were accepted")
            return
        }
        #expect(duplicate.description.contains("duplicate check id `rdap`"), "\(duplicate)")
        let named = try load("{ id: registry, server: \"https://rdap.example/\", expect_status: [clientTransferProhibited, serverDeleteProhibited] }").get()
        let check = try #require(named.dns.rdap)
        #expect(check.id == "registry" && check.domain.text == "rev.test")
        #expect(check.expectedStatuses.map(RDAPCheck.rdapStatus) == ["client transfer prohibited", "server delete prohibited"])
        #expect(named.checks.contains { $0.id == "registry" && $0.kind == .dns && $0.target == "rev.test at rdap.example (RDAP)" })
        guard case .failure(let neither) = load("{ id: registry }") else { Issue.record("no source accepted"); return }
        #expect(neither.description.contains("`rdap` needs `server` (the registry's RDAP base URL) or `bootstrap`"), "\(neither)")
        guard case .failure(let both) = load("{ id: registry, server: \"https://rdap.example/\", bootstrap: dns.json }") else {
            Issue.record("two sources accepted")
            return
        }
        #expect(both.description.contains("give `server` or `bootstrap`, not both"), "\(both)")
        guard case .failure(let typo) = load("{ id: registry, sever: \"https://rdap.example/\" }") else { Issue.record("a typo accepted"); return }
        #expect(typo.description.contains("did you mean `server`"), "\(typo)")
    }
}
