import FlightdeckTestSupport
import Foundation
import Testing

@Suite("watch --metrics: the launch in Prometheus",
       .enabled(if: FileManager.default.isExecutableFile(atPath: PrometheusServer.executable), "no Prometheus (apt install prometheus)"))
struct MetricsEndpointTests {
    @Test("a real Prometheus scrapes watch --metrics and answers queries with the launch's values; other paths are 404, other methods 405")
    func scrapedByPrometheus() async throws {
        let site = try await offThePool { try HostileServer(.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")) }
        defer { site.stop() }
        let directory = try TestDirectory("metrics-endpoint")
        try directory.write("""
            launch: { name: Metrics launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 1s, timeout: 1s }
            http:
              - { id: web, url: "http://127.0.0.1:\(site.port)/" }
            """, to: "plan.yaml")
        let port = try FreePort.tcp()
        let watch = try DemoProcess(arguments: ["watch", directory.file("plan.yaml"), "--metrics", "127.0.0.1:\(port)"], directory: directory,
                                    output: "watch.out")
        defer { watch.stop() }
        await watch.wait(for: "the first result", seconds: 20) { $0.contains { $0.contains("check web PASS") } }

        let prometheus = try await offThePool { try PrometheusServer(target: "127.0.0.1:\(port)") }
        defer { prometheus.stop() }
        try await prometheus.waitFor(#"flightdeck_check_up{check="web",kind="http",severity="blocker"}"#, toContain: #""1"]"#)
        try await prometheus.waitFor(#"flightdeck_verdict{verdict="go"}"#, toContain: #""1"]"#)
        try await prometheus.waitFor(#"flightdeck_check_latency_seconds_count{check="web"} > 0"#, toContain: #""web""#)

        let other = try await offThePool { try plainHTTP("GET", port: port, path: "/") }
        #expect(other.status == 404)
        let posted = try await offThePool { try plainHTTP("POST", port: port, path: "/metrics") }
        #expect(posted.status == 405)
    }

    @Test("an address that cannot be listened on is a usage error that says why")
    func badAddress() async throws {
        let directory = try TestDirectory("metrics-address")
        try directory.write("""
            launch: { name: Metrics launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http:
              - { id: web, url: "http://127.0.0.1:9/" }
            """, to: "plan.yaml")
        let nonsense = try await FlightdeckProcess.run(["watch", directory.file("plan.yaml"), "--metrics", "nonsense"])
        #expect(nonsense.status == 2)
        #expect(nonsense.stderr == "flightdeck: `nonsense` is not an address to serve metrics on: give HOST:PORT, such as 127.0.0.1:9464\n")
        let taken = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        defer { close(taken.descriptor) }
        let busy = try await FlightdeckProcess.run(["watch", directory.file("plan.yaml"), "--metrics", "127.0.0.1:\(taken.port)"])
        #expect(busy.status == 2)
        #expect(busy.stderr == "flightdeck: cannot serve metrics on 127.0.0.1:\(taken.port): Address already in use\n")
    }
}
