import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("Alarm sources: a real Alertmanager and a JSON feed on loopback", .serialized)
struct AlarmSourceTests {
    private func plan(sources: String) throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: """
            launch: { name: Sources, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http: [{ id: api-health, url: "http://127.0.0.1:9/health" }]
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            alarms:
              sources:
            \(sources)
            """, file: "sources.yaml").get()
    }

    private func fetch(_ plan: LaunchPlan) async -> [Alarm] {
        await AlarmSourceProbe(source: plan.alarmSources[0], plan: plan).fetch(clock: .seconds(1000))
            .sorted { ($0.severity, $0.id) < ($1.severity, $1.id) }
    }

    @Test("Alertmanager: active alerts become alarms with their severity and check; silenced ones and other matchers stay out")
    func alertmanager() async throws {
        let server = try AlertmanagerServer()
        defer { server.stop() }
        let started = Date().addingTimeInterval(-120)
        #expect(try server.post([
            ["labels": ["alertname": "HighLatency", "severity": "critical", "check": "api-health", "team": "api"],
             "annotations": ["summary": "p99 over 2s \u{1B}[31mfor 5m"], "startsAt": started.formatted(.iso8601)],
            ["labels": ["alertname": "QueueBacklog", "severity": "warning", "team": "payments"],
             "annotations": ["description": "3,000 jobs waiting"]],
            ["labels": ["alertname": "DiskFilling", "severity": "info", "team": "api"]],
        ]) == 200)
        try server.silence(label: "alertname", value: "DiskFilling")

        var alarms: [Alarm] = []
        for _ in 0..<50 {
            alarms = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\" }"))
            if alarms.count == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(alarms.map(\.severity) == [.critical, .warning])
        let latency = try #require(alarms.first)
        #expect(latency.id.hasPrefix("am/HighLatency/"))
        #expect(latency.source == "am")
        #expect(latency.checkID == "api-health")
        #expect(latency.reason == "HighLatency: p99 over 2s \u{FFFD}[31mfor 5m", "escape sequences from the source are inert")
        #expect(abs((latency.since - .seconds(880)).timeInterval) < 5, "since it started, two minutes before the fetch")
        #expect(alarms.last?.reason == "QueueBacklog: 3,000 jobs waiting")
        #expect(alarms.last?.checkID == nil)

        let filtered = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\", matchers: [\"team=\\\"payments\\\"\"] }"))
        #expect(filtered.map(\.reason) == ["QueueBacklog: 3,000 jobs waiting"])

        server.stop()
        let gone = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\" }"))
        #expect(gone.map(\.id) == ["am/unreadable"])
        #expect(gone.first?.reason.hasPrefix("alarm source am cannot be read: cannot reach it: connection refused") == true, "\(gone)")
    }

    @Test("a JSON feed mapped by field paths; an answer that is not JSON is an alarm of its own")
    func jsonFeed() async throws {
        let nginx = try NginxServer.shared()
        try Data("""
            {"data": {"alarms": [
              {"name": "checkout-5xx", "state": "ALARM", "level": "critical", "since": "2030-01-01T00:00:00Z"},
              {"name": "cdn-origin", "state": "OK", "level": "critical"},
              {"name": "search-latency", "state": "firing"}
            ]}}
            """.utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/alarms.json"))
        try Data("<html>502 Bad Gateway</html>".utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/broken.json"))
        func feed(_ file: String) throws -> LaunchPlan {
            try plan(sources: """
                    - id: status
                      kind: json
                      url: "\(nginx.url("/files/\(file)"))"
                      fields: { items: data.alarms, name: name, state: state, severity: level, since: since }
                """)
        }
        let alarms = await fetch(try feed("alarms.json"))
        #expect(alarms.map { "\($0.id) \($0.severity) \($0.reason)" } == [
            "status/checkout-5xx critical checkout-5xx: ALARM", "status/search-latency warning search-latency: firing",
        ])
        let broken = await fetch(try feed("broken.json"))
        #expect(broken.map(\.reason) == ["alarm source status cannot be read: status: the answer is not JSON; its alarms are not shown"])
    }
}
