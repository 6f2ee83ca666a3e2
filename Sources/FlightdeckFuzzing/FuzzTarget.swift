import FlightdeckCore
import FlightdeckView
import Foundation

/// The readers that take bytes from outside (the network, a plan, a theme or keymap file),
/// each as a function of arbitrary bytes: libFuzzer drives them in `flightdeck-fuzz`, and the
/// test suite replays the committed corpus through them. A target returns normally for any
/// input; a crash, a trap or a hang is the finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The DNS codec: a response as it arrives, then written back out.
    case dns
    /// The plan loader, YAML included.
    case plan
    /// An HTTP response (status line, headers, body) judged by checks that read bodies.
    case http
    /// The Alertmanager, generic JSON and CloudWatch (XML) alarm feeds.
    case alarms
    /// A test runner's report: JUnit XML (through the XML reader) and TAP.
    case reports
    /// A metric source's answer: Prometheus's JSON, CloudWatch GetMetricData's XML.
    case metrics
    /// The theme and keymap loaders.
    case theme, keymap

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .dns: Self.dns(bytes)
        case .plan: Self.plan(bytes)
        case .http: Self.http(bytes)
        case .alarms: Self.alarms(bytes)
        case .reports:
            _ = TestReport.junit(bytes)
            _ = TestReport.tap(String(decoding: bytes, as: UTF8.self))
        case .metrics:
            _ = MetricEvaluation.prometheus(bytes)
            if case .success(let root) = XMLElement.parse(bytes) { _ = MetricEvaluation.cloudwatch(root, window: .seconds(300)) }
        case .theme: _ = Theme.load(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        case .keymap: _ = Keymap.load(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        }
    }

    private static func dns(_ bytes: [UInt8]) {
        guard let message = try? DNSMessage(wire: bytes) else { return }
        // What was read must be writable, and read back the same.
        guard let written = try? message.wire() else { return }
        precondition((try? DNSMessage(wire: written)) != nil, "a message Flightdeck wrote does not read back")
    }

    private static func plan(_ bytes: [UInt8]) {
        let loader = PlanLoader(environment: ["FUZZ_SECRET": "s3cret"], files: PlanFiles(directory: "/nonexistent", isReadable: { _ in false }))
        _ = loader.load(text: String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
    }

    /// Checks that read what a server sent: status, headers, JSON and text bodies, playlists.
    private static let httpChecks: [HTTPCheck] = {
        let text = """
            launch: { name: Fuzz, zone: fuzz.test, t0: 2030-01-01T00:00:00Z, timezone: UTC }
            http:
              - id: json
                url: "https://127.0.0.1/"
                expect:
                  status: [200, "300-399"]
                  json: { status: ok, build.sha: abc }
                  headers: { content-type: { contains: json }, strict-transport-security: { present: true } }
                  redirect_to: "https://127.0.0.1/next"
              - { id: text, url: "https://127.0.0.1/", expect: { body_contains: [ready, ok], body_matches: '^v[0-9]+', latency_budget: 200ms } }
              - { id: hls, mode: hls, url: "https://127.0.0.1/live.m3u8", live: true }
              - { id: ws, mode: websocket, url: "wss://127.0.0.1/ws" }
            """
        guard case .success(let plan) = PlanLoader(environment: [:]).load(text: text, file: "fuzz.yaml") else {
            preconditionFailure("the fuzz target's own plan does not load")
        }
        return plan.httpChecks
    }()

    private static func http(_ bytes: [UInt8]) {
        // The first line is the status, then header lines up to an empty line, then the body.
        var lines = bytes.split(separator: 10, maxSplits: 64, omittingEmptySubsequences: false)
        let status = lines.isEmpty ? nil : Int(String(decoding: lines.removeFirst(), as: UTF8.self).trimmingCharacters(in: .whitespaces))
        var headers: [(name: String, value: String)] = []
        while let line = lines.first, !line.isEmpty {
            lines.removeFirst()
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            headers.append((String(text[..<colon]), String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let body = lines.dropFirst().joined(separator: [10]).map { $0 }
        let exchange = HTTPExchange(statusCode: status, headers: headers, body: Array(body))
        var live: HLSLiveState?
        for check in httpChecks {
            let evaluation = HTTPEvaluation(check: check, exchange: exchange, expectedWebSocketAccept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                                            previousLive: live, now: .seconds(10))
            live = evaluation.liveState
        }
    }

    private static let jsonMapping: JSONAlarmMapping = {
        let text = """
            launch: { name: Fuzz, zone: fuzz.test, t0: 2030-01-01T00:00:00Z, timezone: UTC }
            alarms:
              sources:
                - { id: feed, kind: json, url: "https://127.0.0.1/", fields: { items: data.alarms, name: name, state: status, severity: level, since: updated_at } }
            """
        guard case .success(let plan) = PlanLoader(environment: [:]).load(text: text, file: "fuzz.yaml"),
              case .json(_, _, let mapping) = plan.alarmSources.first?.kind else {
            preconditionFailure("the fuzz target's own plan does not load")
        }
        return mapping
    }()

    private static func alarms(_ bytes: [UInt8]) {
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        _ = AlarmFeeds.alertmanager(bytes, source: "am", checks: ["api"], now: now, clock: .seconds(100))
        _ = AlarmFeeds.json(bytes, source: "feed", mapping: jsonMapping, now: now, clock: .seconds(100))
        _ = AlarmFeeds.cloudwatch(bytes, source: "cw", now: now, clock: .seconds(100))
    }
}
