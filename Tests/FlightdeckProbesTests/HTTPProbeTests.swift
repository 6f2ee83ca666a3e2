import FlightdeckCore
import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// Builds an HTTP check from one flow-style YAML mapping, through the real plan loader.
func httpCheck(_ yaml: String, environment: [String: String] = [:]) throws -> HTTPCheck {
    let plan = """
        launch: { name: T, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        http:
          - \(yaml)
        """
    switch PlanLoader(environment: environment).load(text: plan, file: "test.yaml") {
    case .success(let loaded): return loaded.httpChecks[0]
    case .failure(let error): throw error
    }
}

func probe(_ yaml: String, environment: [String: String] = [:], at now: Duration = .zero) async throws -> ProbeOutcome {
    let check = try httpCheck(yaml, environment: environment)
    return await HTTPProbe(check: check, polling: .defaults, planDirectory: nil).run(at: now)
}

extension ProbeOutcome {
    var exchange: HTTPExchange? {
        if case .http(let exchange) = evidence { return exchange }
        return nil
    }
}

@Suite("HTTP probe against nginx")
struct HTTPProbeNginxTests {
    let nginx: NginxServer
    init() throws { nginx = try NginxServer.shared() }

    var ca: String { nginx.certificates.caCertificate }

    @Test("a healthy endpoint passes every assertion, with timings, bytes and the address used")
    func healthy() async throws {
        let outcome = try await probe("""
            { id: api, url: "\(nginx.url("/health"))", expect: { status: 200, json: { status: ok, checks.database: ok, ready: "true", latency_ms: "12", regions.1: eu-west-1 }, \
            headers: { strict-transport-security: { contains: "max-age=" } }, body_contains: redis, body_matches: '"latency_ms":\\s*\\d+', latency_budget: 5s } }
            """)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail.hasPrefix("200 in "))
        let exchange = try #require(outcome.exchange)
        #expect(exchange.statusCode == 200)
        #expect(exchange.remoteAddress == "127.0.0.1:\(nginx.httpPort)")
        #expect(exchange.bytesReceived == Int64(exchange.body.count))
        #expect(exchange.bytesReceived > 50)
        let timings = exchange.timings
        #expect(timings.connected != nil && timings.firstByte != nil && timings.total != nil)
        #expect(timings.tlsDone == nil)
        #expect(try #require(timings.connected) <= #require(timings.firstByte))
        #expect(try #require(timings.firstByte) <= #require(timings.total))
        #expect(outcome.observed["status_code"] == .number(200))
        #expect(outcome.observed["address"] == .text("127.0.0.1:\(nginx.httpPort)"))
        #expect(outcome.latency == timings.total)
    }

    @Test("an unexpected status fails and says what was expected; the body excerpt is kept")
    func unexpectedStatus() async throws {
        let outcome = try await probe(#"{ id: c, url: "\#(nginx.url("/status/503"))" }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "HTTP 503, expected 200-299")
        #expect(outcome.observed["error_class"] == .text("status"))
        #expect(outcome.observed["body_excerpt"] == .text("down for maintenance"))
        let accepted = try await probe(#"{ id: c, url: "\#(nginx.url("/status/503"))", expect: { status: [200, "500-599"] } }"#)
        #expect(accepted.status == .pass)
        let classed = try await probe(#"{ id: c, url: "\#(nginx.url("/status/503"))", expect: { status: 5xx } }"#)
        #expect(classed.status == .pass)
    }

    @Test("assertions that fail say expected and got", arguments: [
        (#"json: { status: ok }"#, "/degraded", #"JSON status: expected ok, got "degraded""#),
        (#"json: { checks.cache: ok }"#, "/health", "JSON checks.cache: expected ok, got nothing (no such path)"),
        (#"json: { latency_ms: "13" }"#, "/health", "JSON latency_ms: expected 13, got 12"),
        (#"json: { status: ok }"#, "/", #"body is not JSON; it starts "Welcome to DirectFanz""#),
        (#"body_contains: Goodbye"#, "/", #"body does not contain "Goodbye"; it starts "Welcome to DirectFanz""#),
        (#"body_matches: '^Hello'"#, "/", #"body does not match /^Hello/; it starts "Welcome to DirectFanz""#),
        (#"headers: { strict-transport-security: { present: true } }"#, "/", "header strict-transport-security is missing"),
        (#"headers: { strict-transport-security: { absent: true } }"#, "/health", "header strict-transport-security is present (max-age=31536000), expected absent"),
        (#"headers: { content-type: { equals: text/html } }"#, "/", #"header content-type is "text/plain", expected "text/html""#),
    ])
    func failedAssertions(expect: String, path: String, detail: String) async throws {
        let outcome = try await probe(#"{ id: c, url: "\#(nginx.url(path))", expect: { \#(expect) } }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == detail)
        #expect(outcome.observed["error_class"] == .text("assertion"))
    }

    @Test("an http to https redirect is asserted without following it")
    func redirectAssertion() async throws {
        let right = try await probe(#"{ id: c, url: "\#(nginx.url("/to-https"))", expect: { status: 301, redirect_to: "https://directfanz.test:\#(nginx.httpsPort)/" } }"#)
        #expect(right.status == .pass, "\(right.detail)")
        let wrong = try await probe(#"{ id: c, url: "\#(nginx.url("/to-https"))", expect: { status: 301, redirect_to: "https://www.directfanz.test/" } }"#)
        #expect(wrong.status == .fail)
        #expect(wrong.detail == "redirects to https://directfanz.test:\(nginx.httpsPort)/, expected https://www.directfanz.test/")
        let none = try await probe(#"{ id: c, url: "\#(nginx.url("/"))", expect: { redirect_to: "https://directfanz.test/" } }"#)
        #expect(none.detail == "no redirect: HTTP 200 without a Location header, expected a redirect to https://directfanz.test/")
    }

    @Test("following redirects lands on the final page; a redirect loop is caught")
    func followRedirects() async throws {
        // The redirect goes to directfanz.test, which only connect_to makes reachable.
        let followed = try await probe("""
            { id: c, url: "\(nginx.url("/to-https"))", follow_redirects: true, ca_file: "\(ca)", connect_to: "127.0.0.1" }
            """)
        #expect(followed.status == .pass, "\(followed.detail)")
        #expect(followed.exchange?.redirects == 1)
        #expect(followed.exchange?.remoteAddress == "127.0.0.1:\(nginx.httpsPort)")
        let loop = try await probe(#"{ id: c, url: "\#(nginx.url("/loop"))", follow_redirects: true }"#)
        #expect(loop.status == .fail)
        #expect(loop.detail == "more than 10 redirects (a redirect loop?)")
        #expect(loop.observed["error_class"] == .text("redirect-loop"))
    }

    @Test("HTTPS with the plan's CA file; without it, OpenSSL's reason")
    func https() async throws {
        let trusted = try await probe(#"{ id: c, url: "\#(nginx.url("/health", tls: true))", ca_file: "\#(ca)" }"#)
        // The certificate names directfanz.test, not 127.0.0.1.
        #expect(trusted.status == .fail)
        #expect(trusted.observed["error_class"] == .text("tls"))
        #expect(trusted.detail.hasPrefix("TLS: "))
        #expect(trusted.detail.contains("127.0.0.1"))

        let pinned = try await probe("""
            { id: c, url: "https://api.directfanz.test:\(nginx.httpsPort)/health", connect_to: "127.0.0.1", ca_file: "\(ca)" }
            """)
        #expect(pinned.status == .pass, "\(pinned.detail)")
        let timings = try #require(pinned.exchange?.timings)
        #expect(timings.tlsDone != nil)
        #expect(try #require(timings.connected) <= #require(timings.tlsDone))

        let untrusted = try await probe("""
            { id: c, url: "https://api.directfanz.test:\(nginx.httpsPort)/health", connect_to: "127.0.0.1" }
            """)
        #expect(untrusted.status == .fail)
        #expect(untrusted.detail == "TLS: SSL certificate problem: unable to get local issuer certificate")

        let selfSigned = try await probe("""
            { id: c, url: "https://directfanz.test:\(nginx.selfSignedPort)/", connect_to: "127.0.0.1", ca_file: "\(ca)" }
            """)
        #expect(selfSigned.detail == "TLS: SSL certificate problem: self-signed certificate")
    }

    @Test("connect_to probes the new origin by address while the URL keeps its name")
    func connectTo() async throws {
        let outcome = try await probe("""
            { id: c, url: "http://origin-before-dns.directfanz.test/health", connect_to: "127.0.0.1:\(nginx.httpPort)", expect: { json: { status: ok } } }
            """)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.exchange?.remoteAddress == "127.0.0.1:\(nginx.httpPort)")
        let closed = try await probe("""
            { id: c, url: "http://origin-before-dns.directfanz.test/health", connect_to: "127.0.0.1:1" }
            """)
        #expect(closed.status == .fail)
        #expect(closed.detail == "connection refused by 127.0.0.1:1")
        #expect(closed.observed["error_class"] == .text("refused"))
    }

    @Test("IPv4 or IPv6 only")
    func ipVersion() async throws {
        // libcurl answers `localhost` itself, with both 127.0.0.1 and ::1.
        let v6 = try await probe(#"{ id: c, url: "http://localhost:\#(nginx.httpPort)/health", ip_version: v6 }"#)
        #expect(v6.exchange?.remoteAddress == "[::1]:\(nginx.httpPort)")
        let v4 = try await probe(#"{ id: c, url: "http://localhost:\#(nginx.httpPort)/health", ip_version: v4 }"#)
        #expect(v4.exchange?.remoteAddress == "127.0.0.1:\(nginx.httpPort)")
        #expect(v6.status == .pass && v4.status == .pass)
    }

    @Test("a client certificate where the server demands one")
    func clientCertificate() async throws {
        let base = "url: \"https://api.directfanz.test:\(nginx.mutualTLSPort)/\", connect_to: \"127.0.0.1\", ca_file: \"\(ca)\""
        let without = try await probe("{ id: c, \(base) }")
        #expect(without.detail == "HTTP 400, expected 200-299")
        let with = try await probe("""
            { id: c, \(base), client_cert: "\(nginx.certificates.clientCertificate)", client_key: "\(nginx.certificates.clientKey)", expect: { body_contains: "CN=launch-director" } }
            """)
        #expect(with.status == .pass, "\(with.detail)")
    }

    @Test("through a proxy: the origin's name is never looked up here")
    func proxy() async throws {
        // nginx answers absolute-form requests itself, so it serves as the forward proxy.
        let outcome = try await probe("""
            { id: c, url: "http://status.directfanz.test/health", proxy: "http://127.0.0.1:\(nginx.httpPort)", expect: { json: { status: ok } } }
            """)
        #expect(outcome.status == .pass, "\(outcome.detail)")
    }

    @Test("HTTP/2 or HTTP/1.1 as asked")
    func httpVersion() async throws {
        let url = "https://api.directfanz.test:\(nginx.httpsPort)/health"
        let h2 = try await probe(#"{ id: c, url: "\#(url)", connect_to: "127.0.0.1", ca_file: "\#(ca)", http_version: "2" }"#)
        #expect(h2.exchange?.httpVersion == "HTTP/2")
        let h1 = try await probe(#"{ id: c, url: "\#(url)", connect_to: "127.0.0.1", ca_file: "\#(ca)", http_version: "1.1" }"#)
        #expect(h1.exchange?.httpVersion == "HTTP/1.1")
        #expect(h1.observed["http_version"] == .text("HTTP/1.1"))
    }

    @Test("method, headers with a secret, and a body are sent as the plan says")
    func methodHeadersBody() async throws {
        let outcome = try await probe("""
            { id: c, url: "\(nginx.url("/echo"))", method: POST, headers: { Authorization: "Bearer ${PROBE_TOKEN}", X-Probe: flightdeck }, \
            body: "hello", expect: { body_contains: "method=POST auth=Bearer s3cret probe=flightdeck length=5" } }
            """, environment: ["PROBE_TOKEN": "s3cret"])
        #expect(outcome.status == .pass, "\(outcome.detail)")
        let head = try await probe(#"{ id: c, url: "\#(nginx.url("/health"))", method: HEAD }"#)
        #expect(head.status == .pass)
        #expect(head.exchange?.body.isEmpty == true)
    }

    @Test("a body over the cap is cut there and the transfer stops")
    func bodyCap() async throws {
        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/big.bin"))
        let outcome = try await probe(#"{ id: c, url: "\#(nginx.url("/files/big.bin"))" }"#)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        let exchange = try #require(outcome.exchange)
        #expect(exchange.body.count == 1 << 20)
        #expect(exchange.bodyTruncated)
        #expect(exchange.bytesReceived < 3 << 20)
        let asserted = try await probe(#"{ id: c, url: "\#(nginx.url("/files/big.bin"))", expect: { body_contains: x } }"#)
        #expect(outcome.detail.hasSuffix("; body cut at the 1 MiB cap, of 3 MiB declared; what was read was checked"), "\(outcome.detail)")
        #expect(outcome.observed["body_truncated"] == .flag(true))
        #expect(asserted.status == .fail)
        #expect(asserted.detail.hasPrefix("the first 1 MiB of the body does not contain \"x\"; it starts"), "\(asserted.detail)")
    }

    @Test("terminal escape sequences in a body never reach the detail or the excerpt")
    func escapeSequences() async throws {
        try Data("\u{1B}]0;pwned\u{7}\u{1B}[2JOK\u{9B}31m".utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/escape.txt"))
        let outcome = try await probe(#"{ id: c, url: "\#(nginx.url("/files/escape.txt"))", expect: { body_contains: nope } }"#)
        guard case .text(let excerpt) = outcome.observed["body_excerpt"] else {
            Issue.record("no excerpt")
            return
        }
        for text in [excerpt, outcome.detail] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
        #expect(excerpt == "\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}[2JOK\u{FFFD}31m")
    }

    @Test("HLS: a live playlist must advance; a stall and an end are failures")
    func hls() async throws {
        let files = nginx.filesDirectory
        func playlist(_ sequence: Int, ended: Bool = false) throws {
            let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:\(sequence)\n"
                + "#EXTINF:6.0,\nseg\(sequence).ts\n#EXTINF:6.0,\nseg\(sequence + 1).ts\n" + (ended ? "#EXT-X-ENDLIST\n" : "")
            try text.write(toFile: files + "/live.m3u8", atomically: true, encoding: .utf8)
        }
        try "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlive.m3u8\n".write(toFile: files + "/master.m3u8", atomically: true, encoding: .utf8)
        let check = try httpCheck(#"{ id: stream, mode: hls, live: true, url: "\#(nginx.url("/files/master.m3u8"))" }"#)
        let probe = HTTPProbe(check: check, polling: .defaults, planDirectory: nil)

        try playlist(100)
        let first = await probe.run(at: .seconds(0))
        #expect(first.status == .pass)
        #expect(first.detail.hasPrefix("live, media sequence 100; 200 in "), "\(first.detail)")
        try playlist(103)
        let advanced = await probe.run(at: .seconds(10))
        #expect(advanced.detail.hasPrefix("live, media sequence 103 (+3); "), "\(advanced.detail)")
        let unchanged = await probe.run(at: .seconds(20))
        #expect(unchanged.status == .pass)
        #expect(unchanged.detail.hasPrefix("live, media sequence 103 (unchanged for 10 s)"))
        let stalled = await probe.run(at: .seconds(40))
        #expect(stalled.status == .fail)
        #expect(stalled.detail == "live stream stalled: media sequence 103 unchanged for 30 s (target duration 6 s)")
        try playlist(104, ended: true)
        let ended = await probe.run(at: .seconds(50))
        #expect(ended.detail == "the live playlist has ended (#EXT-X-ENDLIST)")

        try "<html>not a playlist</html>".write(toFile: files + "/bad.m3u8", atomically: true, encoding: .utf8)
        let bad = try await FlightdeckProbesTests.probe(#"{ id: c, mode: hls, url: "\#(nginx.url("/files/bad.m3u8"))" }"#)
        #expect(bad.detail == "not an HLS playlist: it starts with `<html>not a playlist</html>`, not #EXTM3U")
    }
}
