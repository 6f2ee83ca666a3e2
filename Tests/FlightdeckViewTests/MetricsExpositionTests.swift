@testable import FlightdeckCore
import FlightdeckTestSupport
import FlightdeckView
import Foundation
import Testing

@Suite("Metrics for Prometheus")
struct MetricsExpositionTests {
    /// What `promtool check metrics` says is wrong with `text` ("" for nothing), or nil when
    /// promtool is not installed.
    static func promtool(_ text: String) async throws -> String? {
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else { return nil }
        let result = try await runProcess(promtool, ["check", "metrics"], stdin: text)
        return result.status == 0 ? "" : "exit \(result.status): \(result.stdout)\(result.stderr)"
    }

    func samples(_ text: String) -> [String: Double] {
        Dictionary(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line -> (String, Double)? in
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            return (String(line[..<space]), value)
        }, uniquingKeysWith: { first, _ in first })
    }

    @Test("each check's status, a latency histogram per check, DNS convergence and ETA, alarms, the verdict, the phase, the votes; promtool finds nothing wrong")
    func exposition() async throws {
        let state = try sampleState()
        var exposition = MetricsExposition()
        for (index, latency) in [12, 15, 11, 30, 14, 13].enumerated() {
            exposition.observe(ProbeOutcome(checkID: "api-health", finishedAt: .seconds(index * 5), status: .pass, detail: "200", latency: .milliseconds(latency)))
        }
        exposition.observe(ProbeOutcome(checkID: "web-home", finishedAt: .seconds(5), status: .fail, detail: "503", latency: nil))
        let text = exposition.text(for: state)
        let values = samples(text)
        #expect(values[#"flightdeck_check_up{check="api-health",kind="http",severity="blocker"}"#] == 1)
        #expect(values[#"flightdeck_check_up{check="web-home",kind="http",severity="blocker"}"#] == 0)
        #expect(values[#"flightdeck_check_status{check="web-home",status="fail"}"#] == 1)
        #expect(values[#"flightdeck_check_status{check="web-home",status="pass"}"#] == 0)
        #expect(values[#"flightdeck_check_latency_seconds_bucket{check="api-health",le="0.01"}"#] == 0)
        #expect(values[#"flightdeck_check_latency_seconds_bucket{check="api-health",le="0.025"}"#] == 5)
        #expect(values[#"flightdeck_check_latency_seconds_bucket{check="api-health",le="+Inf"}"#] == 6)
        #expect(values[#"flightdeck_check_latency_seconds_count{check="api-health"}"#] == 6)
        #expect(abs((values[#"flightdeck_check_latency_seconds_sum{check="api-health"}"#] ?? 0) - 0.095) < 1e-9)
        #expect(values[#"flightdeck_check_probes_total{check="web-home",result="fail"}"#] == 1)
        #expect(values[#"flightdeck_dns_eta_timestamp_seconds{check="dns-apex"}"#] == (try Date("2026-12-01T13:20:30Z", strategy: .iso8601)).timeIntervalSince1970)
        #expect(values[#"flightdeck_verdict{verdict="no-go"}"#] == 1)
        #expect(values[#"flightdeck_verdict{verdict="go"}"#] == 0)
        if let problems = try await Self.promtool(text) { #expect(problems.isEmpty, "\(problems)") }
    }

    @Test("label values from the plan are escaped as the format asks; promtool reads them")
    func escapedLabels() async throws {
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: "Launch \\"quoted\\" \\\\ back\\nline", zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http:
              - { id: api, url: "http://127.0.0.1:9/" }
            """, file: "m.yaml").get()
        let text = MetricsExposition().text(for: CockpitState(plan: plan, now: Date(timeIntervalSince1970: 0)))
        #expect(text.contains(#"plan="Launch \"quoted\" \\ back\nline""#), "\(text)")
        if let problems = try await Self.promtool(text) { #expect(problems.isEmpty, "\(problems)") }
    }
}
