import FlightdeckTestSupport
import Foundation
import Testing

/// A launch day is 8 to 12 hours: what the live loop holds must stop growing once it is
/// warm. The demo at 60x polls its 18 checks and its alarm source every 100 ms (2 s at 1x),
/// so half a minute here is some 300 polls, a quarter of an hour of a real launch; `watch`
/// runs in a process of its own so the demo's servers are not counted.
@Suite("Memory over a launch day, in accelerated time", .serialized)
struct MemoryTests {
    /// Anonymous memory (KiB) and open descriptors of a process.
    static func reading(_ pid: Int32) throws -> (anonymous: Int, descriptors: Int) {
        let rollup = try String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
        let anonymous = rollup.split(separator: "\n").first { $0.hasPrefix("Anonymous:") }?
            .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        return (try #require(anonymous), descriptors)
    }

    @Test("the watch's anonymous memory and descriptors stay flat after warm-up")
    func watchStaysFlat() throws {
        let directory = try TestDirectory("memory")
        let demo = try DemoProcess(arguments: ["demo", "--headless", "--speed", "60"], directory: directory, output: "demo.out")
        defer { demo.stop() }
        let lines = demo.wait(for: "the plan's path", seconds: 20) { $0.contains { $0.hasPrefix("Plan: ") } }
        let plan = try #require(lines.first { $0.hasPrefix("Plan: ") }?.split(separator: " ").dropFirst().first.map(String.init))
        let watch = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "watch.out")
        defer { watch.stop() }

        Thread.sleep(forTimeInterval: 10)
        let warm = try Self.reading(watch.process.processIdentifier)
        Thread.sleep(forTimeInterval: 30)
        let later = try Self.reading(watch.process.processIdentifier)
        #expect(watch.process.isRunning)
        #expect(watch.lines.contains { $0.contains("verdict") }, "the watch followed the launch")
        // Before the poller freed finished probe runs this grew by tens of MiB here.
        #expect(later.anonymous - warm.anonymous < 3 * 1024, "anonymous memory \(warm.anonymous) KiB -> \(later.anonymous) KiB")
        #expect(later.descriptors - warm.descriptors <= 4, "descriptors \(warm.descriptors) -> \(later.descriptors)")
    }
}
