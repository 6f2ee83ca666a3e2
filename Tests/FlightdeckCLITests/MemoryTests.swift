import FlightdeckTestSupport
import Foundation
import Testing

/// A launch day is 8 to 12 hours: what the live loop holds must stop growing once it is
/// warm. The demo at 60x polls its 18 checks and its alarm source every 100 ms (2 s at 1x),
/// so half a minute here is some 300 polls, a quarter of an hour of a real launch; `watch`
/// runs in a process of its own so the demo's servers are not counted. Part of the demo's
/// serialized suite: the demo tests count the demos' directories, so no two run at once.
extension DemoTests {
    /// Anonymous memory (KiB) and open descriptors of a process, the least of five looks a
    /// fifth of a second apart: a look in the middle of a poll counts its sockets in flight.
    static func reading(_ pid: Int32) async throws -> (anonymous: Int, descriptors: Int) {
        var least = (anonymous: Int.max, descriptors: Int.max)
        for look in 0..<5 {
            if look > 0 { try await Task.sleep(for: .milliseconds(200)) }
            let rollup = try String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
            let anonymous = rollup.split(separator: "\n").first { $0.hasPrefix("Anonymous:") }?
                .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
            least = (min(least.anonymous, try #require(anonymous)), min(least.descriptors, descriptors))
        }
        return least
    }

    @Test("memory over a launch day: the watch's anonymous memory and descriptors stay flat after warm-up, at 60x")
    func watchStaysFlat() async throws {
        let directory = try TestDirectory("memory")
        let demo = try DemoProcess(arguments: ["demo", "--headless", "--speed", "60"], directory: directory, output: "demo.out")
        defer { demo.stop() }
        let lines = await demo.wait(for: "the plan's path", seconds: 20) { $0.contains { $0.hasPrefix("Plan: ") } }
        let plan = try #require(lines.first { $0.hasPrefix("Plan: ") }?.split(separator: " ").dropFirst().first.map(String.init))
        let watch = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "watch.out")
        defer { watch.stop() }

        // Asleep without holding one of the few threads every async test shares.
        try await Task.sleep(for: .seconds(10))
        let warm = try await Self.reading(watch.process.pid)
        try await Task.sleep(for: .seconds(30))
        let later = try await Self.reading(watch.process.pid)
        #expect(watch.process.wait(seconds: 0) == nil, "the watch still runs")
        #expect(watch.lines.contains { $0.contains("verdict") }, "the watch followed the launch")
        // Before the poller freed finished probe runs this grew by tens of MiB here.
        #expect(later.anonymous - warm.anonymous < 3 * 1024, "anonymous memory \(warm.anonymous) KiB -> \(later.anonymous) KiB")
        #expect(later.descriptors - warm.descriptors <= 4, "descriptors \(warm.descriptors) -> \(later.descriptors)")
    }
}

@Suite("A plan of many checks")
struct ManyChecksTests {
    @Test("a watch on 500 checks polled every 100 ms keeps up: its memory stays bounded and SIGTERM ends it at once",
          .timeLimit(.minutes(2)))
    func watchKeepsUp() async throws {
        // Before the live loop took its events a batch at a time, every outcome reworked
        // every check (the watch's lines, the timeline, a copy of the board for the metrics):
        // outcomes queued faster than they were used, memory grew by hundreds of MiB a
        // minute, and a SIGTERM waited behind the queue.
        let count = 500
        let server = "127.53.\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
        let records = (0..<count).map { "r\($0) A 192.0.2.\($0 % 250 + 1)" }.joined(separator: "\n")
        let knot = try await offThePool {
            try KnotServer(addresses: [server], zones: ["many.test": "$TTL 300\n@ SOA ns hostmaster 1 60 60 600 60\n@ NS ns\nns A \(server)\n\(records)\n"])
        }
        defer { knot.stop() }
        let directory = try TestDirectory("many-checks")
        let checks = (0..<count).map { "    - { id: r\($0), name: r\($0), type: A, expected: [192.0.2.\($0 % 250 + 1)] }" }.joined(separator: "\n")
        try directory.write("""
            launch: { name: Many checks, zone: many.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { interval: 100ms, timeout: 2s, concurrency: 64 }
            resolvers:
              - { name: resolver, address: "\(server)" }
            dns:
              nameservers:
                expected:
                  - { name: ns.many.test, addresses: ["\(server)"] }
              records:
            \(checks)
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        let port = try FreePort.tcp()
        let watch = try DemoProcess(arguments: ["watch", plan, "--metrics", "127.0.0.1:\(port)"], directory: directory, output: "watch.out")
        defer { watch.stop() }

        await watch.wait(for: "every check passing", seconds: 30) { lines in lines.filter { $0.contains(" PASS: ") }.count >= count }
        try await Task.sleep(for: .seconds(8))
        let anonymous = try await DemoTests.reading(watch.process.pid).anonymous
        #expect(anonymous < 160 * 1024, "anonymous memory \(anonymous) KiB after 8 s of 5,000 outcomes a second")
        watch.process.signal(SIGTERM)
        let ended = watch.process.wait(seconds: 5)
        if ended == nil { watch.process.signal(SIGKILL) }
        #expect(ended != nil, "the watch ended within 5 s of SIGTERM")
        #expect(watch.lines.filter { $0.contains(" PASS: ") }.count >= count, "every check passed: \(watch.lines.suffix(3))")
    }
}
