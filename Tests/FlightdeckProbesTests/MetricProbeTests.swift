import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// Metric checks against a real Prometheus scraping an exporter on loopback, and CloudWatch
/// GetMetricData against moto (PutMetricData first, through the same API).
@Suite("Metric checks: a real Prometheus, CloudWatch through moto", .serialized)
struct MetricProbeTests {
    private func plan(_ metrics: String) throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: """
            launch: { name: Metrics, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            metrics:
            \(metrics)
            """, file: "metrics.yaml").get()
    }

    private func run(_ plan: LaunchPlan, environment: [String: String] = [:]) async -> ProbeOutcome {
        await MetricProbe(check: plan.metricChecks[0], polling: plan.polling, environment: environment).run(at: .zero)
    }

    @Test("Prometheus: a number that crosses its threshold once is pass, then fail, each saying the value and the line; no series or many is unknown")
    func prometheus() async throws {
        let server = try PrometheusServer()
        defer { server.stop() }
        try server.expose("""
            # TYPE launch_cache_hit_ratio gauge
            launch_cache_hit_ratio{cluster="a"} 0.912
            launch_cache_hit_ratio{cluster="b"} 0.5
            # TYPE launch_api_p95_seconds gauge
            launch_api_p95_seconds 0.162

            """)
        try await server.waitFor("launch_api_p95_seconds", toContain: "0.162")
        func metric(_ query: String, unit: String, threshold: String) throws -> LaunchPlan {
            try plan("""
                  - id: m
                    name: API p95
                    prometheus: { url: "\(server.url)", query: '\(query)' }
                    unit: \(unit)
                    \(threshold)
                """)
        }
        let latency = try metric("launch_api_p95_seconds", unit: "seconds", threshold: "fail_above: 200ms\n    warn_above: 150ms")
        let warned = await run(latency)
        #expect(warned.status == .warn)
        #expect(warned.detail == "API p95 is 162 ms, above the 150 ms warning line (fails above 200 ms)")
        #expect(warned.observed["value"] == .number(0.162))

        let plus = await run(try metric("launch_api_p95_seconds + 1", unit: "seconds", threshold: "fail_above: 2s"))
        #expect(plus.detail == "API p95 is 1.16 s (fails above 2 s)", "a + in the query reaches Prometheus as a +")
        let many = await run(try metric("launch_cache_hit_ratio", unit: "ratio", threshold: "fail_below: 85%"))
        #expect((many.status, many.detail) == (.unknown, "API p95: the query returned 2 series, not one number: aggregate it (sum, max, avg)"))

        let hitRate = try metric("launch_cache_hit_ratio{cluster=\"a\"}", unit: "ratio", threshold: "fail_below: 85%")
        #expect(await run(hitRate).detail == "API p95 is 91.2% (fails below 85%)")
        try server.expose("launch_cache_hit_ratio{cluster=\"a\"} 0.81\n")
        try await server.waitFor("launch_cache_hit_ratio{cluster=\"a\"}", toContain: "\"0.81\"")
        let crossed = await run(hitRate)
        #expect(crossed.status == .fail)
        #expect(crossed.detail == "API p95 is 81%, below the 85% threshold")

        let none = await run(try metric("launch_nothing_here", unit: "count", threshold: "fail_above: 1"))
        #expect((none.status, none.detail) == (.unknown, "API p95: the query returned no series"))
        let broken = await run(try metric("sum(", unit: "count", threshold: "fail_above: 1"))
        #expect(broken.status == .unknown)
        #expect(broken.detail.hasPrefix("API p95: Prometheus says bad_data: "))
    }

    @Test("CloudWatch: GetMetricData through moto, the newest datapoint against the threshold; no datapoints is unknown")
    func cloudwatch() async throws {
        let moto = try MotoServer.shared()
        let credentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]
        func put(_ value: Double, secondsAgo: Double) throws {
            try moto.cloudwatch(["Action": "PutMetricData", "Namespace": "AWS/ElastiCache",
                                 "MetricData.member.1.MetricName": "CacheHitRate", "MetricData.member.1.Value": "\(value)",
                                 "MetricData.member.1.Unit": "Percent",
                                 "MetricData.member.1.Timestamp": Date().addingTimeInterval(-secondsAgo).formatted(.iso8601),
                                 "MetricData.member.1.Dimensions.member.1.Name": "CacheClusterId",
                                 "MetricData.member.1.Dimensions.member.1.Value": "directfanz-prod-001"])
        }
        let plan = try plan("""
              - id: cache-hit-rate
                cloudwatch:
                  namespace: AWS/ElastiCache
                  metric: CacheHitRate
                  dimensions: { CacheClusterId: directfanz-prod-001 }
                  period: 1m
                  window: 10m
                  region: us-east-1
                  endpoint: "\(moto.url)"
                unit: percent
                fail_below: 85%
                warn_below: 90%
            """)
        let empty = await run(plan, environment: credentials)
        #expect((empty.status, empty.detail) == (.unknown, "CacheHitRate Average: no datapoints in the last 10m"))
        try put(82, secondsAgo: 400)
        try put(88.5, secondsAgo: 30)
        let newest = await run(plan, environment: credentials)
        #expect(newest.status == .warn)
        #expect(newest.detail == "CacheHitRate Average is 88.5%, below the 90% warning line (fails below 85%)")
        let toAWS = try self.plan("""
              - id: cache-hit-rate
                cloudwatch: { namespace: AWS/ElastiCache, metric: CacheHitRate, region: us-east-1 }
                unit: percent
                fail_below: 85%
            """)
        let unsigned = await run(toAWS, environment: [:])
        #expect(unsigned.status == .unknown)
        #expect(unsigned.detail.hasPrefix("CacheHitRate Average: CloudWatch says no credentials: no AWS credentials"))
    }

    /// One CloudWatch metric check whose endpoint is `server`, run with credentials.
    private func askCloudWatch(at server: HostileServer) async throws -> ProbeOutcome {
        let plan = try plan("""
              - id: cache-hit-rate
                cloudwatch: { namespace: AWS/ElastiCache, metric: CacheHitRate, region: us-east-1, endpoint: "\(server.url)" }
                unit: percent
                fail_below: 85%
            """)
        return await run(plan, environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
    }

    @Test("AWS throttling is retried with backoff, and AWS's own words are the reason when it does not let up")
    func throttled() async throws {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"
        let server = try HostileServer(.raw("HTTP/1.1 400 Bad Request\r\nContent-Type: text/xml\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        defer { server.stop() }
        let started = ContinuousClock.now
        let outcome = try await askCloudWatch(at: server)
        #expect(ContinuousClock.now - started >= .milliseconds(600), "two backoffs: 200 ms, then 400 ms")
        #expect(server.connectionsAccepted == 3)
        #expect((outcome.status, outcome.detail) == (.unknown, "CacheHitRate Average: CloudWatch says Throttling: Rate exceeded"))
    }

    @Test("a connection AWS drops before answering is asked again, as the SDKs do; still dropped, it is unknown")
    func dropped() async throws {
        let server = try HostileServer(.closeWithoutAnswer)
        defer { server.stop() }
        let outcome = try await askCloudWatch(at: server)
        #expect(server.connectionsAccepted == 3)
        #expect((outcome.status, outcome.detail)
            == (.unknown, "CacheHitRate Average: CloudWatch says unreachable: cannot reach 127.0.0.1: the server closed the connection without answering"))
    }
}
