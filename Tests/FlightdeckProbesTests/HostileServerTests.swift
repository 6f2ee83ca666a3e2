import FlightdeckCore
import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("HTTP probe against hostile servers")
struct HostileServerTests {
    /// Every piece of text a probe outcome shows: the detail, the observations, the evidence.
    static func shownText(_ outcome: ProbeOutcome) -> String {
        let observed = outcome.observed.values.compactMap { value -> String? in
            if case .text(let text) = value { return text }
            return nil
        }
        let exchange = outcome.exchange.map { exchange in
            exchange.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + String(decoding: exchange.body, as: UTF8.self)
        } ?? ""
        return ([outcome.detail] + observed + [exchange]).joined(separator: "\n")
    }

    @Test("a server that echoes a secret: masked before anything is cut, in every form it comes back in", arguments: [
        ("plain, cut at the detail's edge", String(repeating: "P", count: 44) + "ZqSecretAlpha778", ""),
        ("at the body cap's edge", String(repeating: "P", count: 44) + "ZqSecretAl", ""),
        ("base64 in a Basic header", "", "echo: Basic " + Data("ops:ZqSecretAlpha778".utf8).base64EncodedString()),
        ("percent-encoded", "token=ZqSecret%2BAlpha778", ""),
        ("JSON-escaped", #"{"token":"Zq\/Secret\"Alpha778"}"#, ""),
    ])
    func echoedSecret(kind: String, body: String, header: String) async throws {
        // Secrets with characters that percent-encoding and JSON escaping change.
        let secret = kind == "percent-encoded" ? "ZqSecret+Alpha778" : kind == "JSON-escaped" ? #"Zq/Secret"Alpha778"# : "ZqSecretAlpha778"
        let headerLine = header.isEmpty ? "" : "X-Echo: \(header)\r\n"
        let server = try HostileServer(.raw("HTTP/1.1 200 OK\r\n\(headerLine)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", headers: { Authorization: "Bearer ${TOKEN}" }, expect: { body_contains: nope } }"#,
                                      environment: ["TOKEN": secret])
        let shown = Self.shownText(outcome)
        let encodings = [secret, Data(secret.utf8).base64EncodedString(), secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!]
            + SecretMask.base64Forms(Array(secret.utf8))
        for encoding in encodings {
            for start in 0...(encoding.count - 6) {
                let fragment = String(Array(encoding)[start..<(start + 6)])
                #expect(!shown.contains(fragment), "\(kind): \"\(fragment)\" of the secret shows in: \(shown)")
            }
        }
        #expect(shown.contains("${TOKEN}"), "\(kind): \(shown)")
    }

    @Test("a server that accepts and never answers: a timeout naming the phase")
    func neverAnswers() async throws {
        let server = try HostileServer(.neverAnswer)
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", timeout: 300ms }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "timed out after 300 ms waiting for the first byte")
        #expect(outcome.observed["error_class"] == .text("timeout"))
    }

    @Test("headers that never end are cut off at the cap")
    func endlessHeaders() async throws {
        let server = try HostileServer(.endlessHeaders)
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", timeout: 10s }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "response headers larger than 64 KiB; stopped reading")
        #expect(outcome.observed["error_class"] == .text("headers-too-large"))
    }

    @Test("a 10 GB body is read up to the cap, then dropped")
    func tenGigabyteBody() async throws {
        let server = try HostileServer(.hugeBody(declared: 10_737_418_240))
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", timeout: 10s }"#)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix("; body cut at the 1 MiB cap, of 10 GiB declared; what was read was checked"), "\(outcome.detail)")
        #expect(outcome.observed["content_length"] == .text("10737418240"))
        let exchange = try #require(outcome.exchange)
        #expect(exchange.bodyTruncated)
        #expect(exchange.body.count == 1 << 20)
        #expect(exchange.bytesReceived < 2 << 20)
    }

    @Test("a body that trickles forever hits the total deadline")
    func trickle() async throws {
        let server = try HostileServer(.trickleBody)
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", timeout: 400ms }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "timed out after 400 ms waiting for the rest of the body")
    }

    @Test("a slow but correct answer is a warning over the latency budget, not a failure")
    func latencyBudget() async throws {
        let server = try HostileServer(.delayed(milliseconds: 150, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
        let slow = try await probe(#"{ id: c, url: "\#(server.url)", expect: { latency_budget: 50ms } }"#)
        #expect(slow.status == .warn)
        #expect(slow.detail.hasPrefix("slow: ") && slow.detail.hasSuffix(" ms, budget 50 ms"), "\(slow.detail)")
        let relaxed = try await probe(#"{ id: c, url: "\#(server.url)", expect: { latency_budget: 5s } }"#)
        #expect(relaxed.status == .pass)
    }

    @Test("a connection closed without a word")
    func closedWithoutAnswer() async throws {
        let server = try HostileServer(.closeWithoutAnswer)
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)" }"#)
        #expect(outcome.detail == "the server closed the connection without answering")
        #expect(outcome.observed["error_class"] == .text("connection"))
    }

    @Test("a reply that is not HTTP")
    func garbage() async throws {
        let server = try HostileServer(.raw("SSH-2.0-OpenSSH_9.2\r\n\r\n"))
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)" }"#)
        #expect(outcome.status == .fail)
        #expect(outcome.observed["error_class"] == .text("protocol"))
        #expect(outcome.detail.hasPrefix("not a valid HTTP response"))
    }

    @Test("escape sequences in a response header are shown defanged")
    func hostileHeader() async throws {
        let server = try HostileServer(.raw("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Version: \u{1B}[31mred\r\n\r\n"))
        let outcome = try await probe(#"{ id: c, url: "\#(server.url)", expect: { headers: { x-version: { equals: "2.0" } } } }"#)
        #expect(outcome.detail == "header x-version is \"\u{FFFD}[31mred\", expected \"2.0\"")
    }

    @Test("WebSocket: 101 with the right accept passes; a wrong accept or a plain 200 fails")
    func websocket() async throws {
        let good = try HostileServer(.websocket(wrongAccept: false))
        let passed = try await probe(#"{ id: ws, mode: websocket, url: "ws://127.0.0.1:\#(good.port)/socket" }"#)
        #expect(passed.status == .pass, "\(passed.detail)")
        #expect(passed.detail.hasPrefix("101 in "))

        let tampered = try HostileServer(.websocket(wrongAccept: true))
        let wrong = try await probe(#"{ id: ws, mode: websocket, url: "ws://127.0.0.1:\#(tampered.port)/socket" }"#)
        #expect(wrong.detail == "WebSocket: wrong Sec-WebSocket-Accept (the server did not answer our key)")

        let plain = try HostileServer(.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"))
        let refused = try await probe(#"{ id: ws, mode: websocket, url: "ws://127.0.0.1:\#(plain.port)/socket" }"#)
        #expect(refused.detail == "HTTP 200, expected 101")
    }

    @Test("a name libcurl refuses to look up (RFC 7686) is a DNS failure, without a query leaving the machine")
    func dnsFailure() async throws {
        let outcome = try await probe(#"{ id: c, url: "http://flightdeck-test.onion/" }"#)
        #expect(outcome.detail == "DNS: cannot resolve flightdeck-test.onion")
        #expect(outcome.observed["error_class"] == .text("dns"))
    }
}
