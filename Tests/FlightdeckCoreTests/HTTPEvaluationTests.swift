@testable import FlightdeckCore
import Testing

@Suite("Remote text and HLS playlists")
struct RemoteTextTests {
    @Test("control characters, escape sequences and bidi overrides are defanged")
    func sanitize() {
        #expect(RemoteText.sanitize("ok\u{1B}[31mred\u{7}\n\ttab\u{202E}evil\u{9B}") == "ok\u{FFFD}[31mred\u{FFFD}  tab\u{FFFD}evil\u{FFFD}")
        #expect(RemoteText.sanitize("abcdef", limit: 3) == "abc…")
        #expect(RemoteText.sanitize([0x68, 0x69, 0xFF, 0x1B]) == "hi\u{FFFD}\u{FFFD}")
        #expect(RemoteText.sanitize([UInt8](repeating: 0x41, count: 5000), limit: 4) == "AAAA…")
    }

    @Test("a live media playlist, a master playlist, and what is not one")
    func playlists() throws {
        let media = try HLSPlaylist.parse("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n").get()
        #expect(media.kind == .media(mediaSequence: 7, targetDuration: 4, segments: 2, ended: false))
        let vod = try HLSPlaylist.parse("#EXTM3U\r\n#EXT-X-TARGETDURATION:10\r\n#EXTINF:10,\r\na.ts\r\n#EXT-X-ENDLIST\r\n").get()
        #expect(vod.kind == .media(mediaSequence: 0, targetDuration: 10, segments: 1, ended: true))
        let master = try HLSPlaylist.parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nhigh/index.m3u8\n").get()
        #expect(master.kind == .master(variants: ["low/index.m3u8", "high/index.m3u8"]))
        let failures = [
            ("", "not an HLS playlist: it starts with ``, not #EXTM3U"),
            ("#EXTM3U\n#EXTINF:4,\na.ts\n", "malformed HLS playlist: no #EXT-X-TARGETDURATION"),
            ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n#EXTINF:4,\nb.ts\n", "malformed HLS playlist: #EXTINF is not followed by a URI"),
            ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:-1\n#EXTINF:4,\na.ts\n", "malformed HLS playlist: media sequence `-1`"),
            ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n", "the HLS playlist lists no segments"),
        ]
        for (text, message) in failures {
            guard case .failure(let error) = HLSPlaylist.parse(text) else {
                Issue.record("parsed: \(text)")
                continue
            }
            #expect(error.message == message)
        }
    }
}

@Suite("HTTP evaluation")
struct HTTPEvaluationTests {
    private func check(_ mode: HTTPCheck.Mode = .request, statuses: [ClosedRange<Int>] = [200...299],
                       budget: Duration? = nil) -> HTTPCheck {
        HTTPCheck(id: "c", name: nil, mode: mode, severity: .blocker, method: "GET", url: SecretText(literal: "https://api.example.test/"),
                  headers: [], body: nil,
                  expect: HTTPExpectations(statuses: statuses, bodyContains: [], bodyMatches: nil, json: [], headers: [],
                                           redirectTo: nil, latencyBudget: budget),
                  followRedirects: false, connectTo: nil, ipVersion: .any, httpVersion: nil, caFile: nil,
                  clientCertificate: nil, clientKey: nil, proxy: nil, liveStream: false, timing: ProbeTiming())
    }

    @Test("a transport error fails with its reason and class")
    func transportError() {
        let exchange = HTTPExchange(transportError: TransportError(.timeout, "timed out after 2.00 s waiting for the first byte"))
        let evaluation = HTTPEvaluation(check: check(), exchange: exchange)
        #expect(evaluation.status == .fail)
        #expect(evaluation.detail == "timed out after 2.00 s waiting for the first byte")
        #expect(evaluation.observed["error_class"] == .text("timeout"))
    }

    @Test("the latency budget turns a pass into a warning, and says by how much")
    func budget() {
        let exchange = HTTPExchange(statusCode: 200, timings: PhaseTimings(total: .milliseconds(340)))
        let evaluation = HTTPEvaluation(check: check(budget: .milliseconds(200)), exchange: exchange)
        #expect(evaluation.status == .warn)
        #expect(evaluation.detail == "slow: 340 ms, budget 200 ms")
        let fast = HTTPEvaluation(check: check(budget: .milliseconds(200)), exchange: HTTPExchange(statusCode: 200, timings: PhaseTimings(total: .microseconds(1500))))
        #expect(fast.status == .pass)
        #expect(fast.detail == "200 in 1.5 ms")
    }

    @Test("observed values carry every phase in milliseconds")
    func observed() {
        let timings = PhaseTimings(dnsDone: .microseconds(100), connected: .microseconds(350), tlsDone: .microseconds(2100),
                                   firstByte: .microseconds(5250), total: .microseconds(5400))
        let exchange = HTTPExchange(statusCode: 204, bytesReceived: 0, timings: timings, remoteAddress: "192.0.2.1:443", httpVersion: "HTTP/2")
        let observed = HTTPEvaluation(check: check(), exchange: exchange).observed
        #expect(observed["dns_ms"] == .number(0.1))
        #expect(observed["connect_ms"] == .number(0.35))
        #expect(observed["tls_ms"] == .number(2.1))
        #expect(observed["first_byte_ms"] == .number(5.25))
        #expect(observed["total_ms"] == .number(5.4))
        #expect(observed["address"] == .text("192.0.2.1:443"))
        #expect(observed["http_version"] == .text("HTTP/2"))
    }

    @Test("the phase a timeout stopped in")
    func phases() {
        #expect(PhaseTimings().phaseReached(usesTLS: true) == .dns)
        #expect(PhaseTimings(dnsDone: .milliseconds(1)).phaseReached(usesTLS: true) == .connect)
        #expect(PhaseTimings(dnsDone: .milliseconds(1), connected: .milliseconds(2)).phaseReached(usesTLS: true) == .tlsHandshake)
        #expect(PhaseTimings(dnsDone: .milliseconds(1), connected: .milliseconds(2)).phaseReached(usesTLS: false) == .firstByte)
        #expect(PhaseTimings(connected: .milliseconds(2), firstByte: .milliseconds(3)).phaseReached(usesTLS: false) == .body)
    }

    @Test("a WebSocket 101 must carry the upgrade and the right accept")
    func websocket() {
        let good = HTTPExchange(statusCode: 101, headers: [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", "abc=")])
        #expect(HTTPEvaluation(check: check(.websocket, statuses: [101...101]), exchange: good, expectedWebSocketAccept: "abc=").status == .pass)
        let noUpgrade = HTTPExchange(statusCode: 101, headers: [("Sec-WebSocket-Accept", "abc=")])
        #expect(HTTPEvaluation(check: check(.websocket, statuses: [101...101]), exchange: noUpgrade, expectedWebSocketAccept: "abc=").detail
                == "WebSocket: the 101 response has no `Upgrade: websocket`")
    }
}

@Suite("Host name coverage (RFC 6125)")
struct HostnameCoverageTests {
    @Test("a wildcard covers exactly one left-most label", arguments: [
        ("*.directfanz.io", "api.directfanz.io", true),
        ("*.directfanz.io", "API.DirectFanz.IO.", true),
        ("*.directfanz.io", "directfanz.io", false),
        ("*.directfanz.io", "a.b.directfanz.io", false),
        ("*.io", "directfanz.io", false),
        ("api*.directfanz.io", "api1.directfanz.io", false),
        ("directfanz.io", "directfanz.io", true),
        ("directfanz.io", "www.directfanz.io", false),
        ("*.xn--bcher-kva.example", "shop.xn--bcher-kva.example", true),
    ])
    func coverage(pattern: String, host: String, covered: Bool) {
        #expect(HostnameCoverage.covers(pattern, host) == covered)
    }
}
