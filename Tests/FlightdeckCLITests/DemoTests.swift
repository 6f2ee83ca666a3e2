import FlightdeckTestSupport
import Foundation
import Testing

/// `flightdeck` (the demo, or a watch on its plan) running in a process of its own, its output in a file the test reads
/// as it grows.
final class DemoProcess {
    let process: ChildUnderTest
    let output: String

    /// - Parameter environment: added to this process's.
    init(arguments: [String], directory: TestDirectory, output name: String = "demo.out", environment: [String: String] = [:]) throws {
        output = directory.file(name)
        process = try ChildUnderTest(FlightdeckProcess.binary.path, arguments, stdout: .file(output), stderr: .file(output),
                                     environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                     directory: FlightdeckProcess.packageRoot.path)
    }

    deinit { stop() }

    /// SIGTERM, as a user's Ctrl-C or kill would end it, and reaped.
    func stop() {
        process.signal(SIGTERM)
        process.wait()
    }

    var lines: [String] {
        ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until the output satisfies `condition`; returns the lines seen last.
    @discardableResult
    func wait(for what: String, seconds: Double, _ condition: ([String]) -> Bool) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if condition(lines) { return lines }
            // Looked at once more after the deadline: a busy machine may wake this late.
            if Date() >= deadline { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("gave up waiting for \(what); the output was:\n\(lines.joined(separator: "\n"))")
        return lines
    }
}

@Suite("The built-in demo launch", .serialized)
struct DemoTests {
    /// The demos' temporary directories: each demo makes one and removes it on the way out.
    static func demoDirectories() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("flightdeck-demo-") }
    }

    static let pins = ["Dana Whitfield": "1001", "Miguel Soto": "2002", "Priya Raman": "3003", "Sam Okafor": "4004", "Alex Moreau": "5005"]

    @Test("headless at 10x: the story as the real probes tell it, then a full poll that ends in GO")
    func headlessStory() async throws {
        let directory = try TestDirectory("headless-demo")
        let demo = try DemoProcess(arguments: ["demo", "--headless", "--speed", "10"], directory: directory)
        defer { demo.stop() }
        let planLine = await demo.wait(for: "the plan's path", seconds: 30) { $0.contains { $0.hasPrefix("Plan: ") } }
            .first { $0.hasPrefix("Plan: ") } ?? ""
        let plan = String(planLine.dropFirst("Plan: ".count).prefix { $0 != " " })
        #expect(plan.hasSuffix("/demo.yaml"))
        for (name, pin) in Self.pins { #expect(planLine.isEmpty || demo.lines.contains { $0.contains(name) && $0.hasSuffix("PIN \(pin)") }) }

        // The story takes 210 world seconds: 21 s at 10x, more on a busy machine.
        let story = await demo.wait(for: "propagation to finish and every alarm to clear", seconds: 90) { lines in
            lines.contains { $0.contains("check dns-apex PASS: converged: all 5 resolvers") }
                && lines.contains { $0.contains("alarm RESOLVED critical alertmanager/CheckoutErrorRate") }
                && lines.contains { $0.contains("alarm RESOLVED warning rule/flapping/api-health") }
                && lines.contains { $0.contains("alarm RESOLVED warning rule/latency/web-home") }
                && lines.last { $0.contains(" verdict ") }?.contains("verdict GO: all 21 blocking checks pass") == true
        }

        // Propagation from 0% to 100%, with the ETA shown before it was done, never going back.
        let apex = story.filter { $0.contains(" check dns-apex ") }
        #expect(apex.first?.contains("converging: 0 of 5 resolvers see the new value, 5 still old") == true)
        let etaShown = apex.firstIndex { $0.contains("stale caches expire by") }
        let converged = apex.firstIndex { $0.contains("PASS: converged: all 5 resolvers see the new value") }
        #expect(etaShown != nil && converged != nil && etaShown! < converged!)
        let fresh = apex.compactMap { line in line.range(of: "converging: ").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) } }
        #expect(fresh == fresh.sorted(), "resolvers seeing the new value: \(fresh)")

        // DNSSEC: the old provider signs and the parent holds its DS, which the new provider
        // has no key for: red with the fix, until the DS is removed and validators forget it.
        let dnssec = story.filter { $0.contains(" check dns-dnssec ") }
        #expect(dnssec.first?.contains("FAIL: the parent holds DS ") == true, "\(dnssec)")
        #expect(dnssec.first?.contains("but the new nameservers serve no DNSKEY: validating resolvers answer SERVFAIL once the delegation moves; "
            + "remove the DS at the registrar, wait its TTL") == true, "\(dnssec)")
        #expect(dnssec.contains { $0.contains("WARN: the parent's DS set changed; validating resolvers may keep the old one until ") })
        #expect(dnssec.last?.contains("PASS: unsigned: the parent has no DS for directfanz.test") == true, "\(dnssec)")

        // The flapping endpoint raises one alarm, the flapping one, and no storm.
        let alarms = story.map { $0.split(separator: " ") }.filter { $0.count > 4 && $0[1] == "alarm" }
        let apiAlarms = alarms.filter { $0[4].contains("api-health") }.map { $0.joined(separator: " ") }
        #expect(Set(alarms.map { String($0[4]) }.filter { $0.contains("api-health") }) == ["rule/flapping/api-health:"])
        #expect(apiAlarms.filter { $0.contains("alarm FIRING") }.count == 1)
        #expect(apiAlarms.first?.contains("api-health is flapping: ") == true)

        // The near-expiry certificate is a warning; the wildcard does not cover the apex until the apex's own is deployed.
        #expect(story.contains { $0.contains("check tls-stream WARN: leaf stream.directfanz.test expires in 12 days") })
        #expect(story.contains { $0.contains("alarm FIRING warning rule/certificate/tls-stream") })
        let tlsApex = story.filter { $0.contains(" check tls-apex ") }
        #expect(tlsApex.first?.contains("FAIL: does not cover directfanz.test (certificate names: *.directfanz.test)") == true)
        #expect(tlsApex.last?.contains("PASS: valid") == true)

        // Latency breaches the budget and recovers; the external alert fires and clears.
        #expect(story.contains { $0.contains("alarm FIRING warning rule/latency/web-home") })
        #expect(story.contains { $0.contains("verdict NO-GO: critical alarm on a blocker: CheckoutErrorRate") })

        // The whole poll, from the command line, against the running demo.
        func act(_ arguments: [String], as approver: String) async throws {
            let result = try await FlightdeckProcess.run(arguments + ["--approver", approver], stdin: Self.pins[approver]! + "\n")
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try await act(["poll", "open", plan], as: "Dana Whitfield")
        for (role, approver) in [("infrastructure", "Dana Whitfield"), ("application", "Miguel Soto"),
                                 ("security", "Priya Raman"), ("business", "Sam Okafor")] {
            try await act(["vote", plan, "--role", role, "go"], as: approver)
        }
        try await act(["checklist", plan, "rollback", "done"], as: "Dana Whitfield")
        try await act(["checklist", plan, "support-ready", "done"], as: "Sam Okafor")
        try await act(["vote", plan, "--role", "launch-director", "go"], as: "Alex Moreau")
        let poll = await demo.wait(for: "the final GO", seconds: 10) { $0.contains { $0.hasSuffix(" launch GO") } }
        // Each PIN sign-off journals its try and its acceptance before the action; the first
        // command also records that the cutover's window stands (each appends what is due).
        #expect(poll.contains { $0.contains(": expected-noise window dns-cutover opened") })
        #expect(poll.contains { $0.contains(" Alex Moreau: launch-director GO") && $0.contains("journal #2") })

        demo.stop()
        #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: plan).deletingLastPathComponent().path),
                "the demo's directory is removed on exit")

        // On its way out it tells the day as the timeline recorded it: the cutover's window
        // opening, the alarms firing and resolving, each vote, how long each check was red.
        let ending = demo.lines.drop { !$0.hasPrefix("The launch day, as the timeline recorded it") }
        #expect(ending.contains { $0.contains("journal   #") && $0.contains("expected-noise window dns-cutover opened") }, "\(ending)")
        #expect(ending.contains { $0.contains("alarm     FIRING    critical alertmanager/CheckoutErrorRate") })
        #expect(ending.contains { $0.contains("alarm     resolved  critical alertmanager/CheckoutErrorRate") })
        #expect(ending.contains { $0.contains("check     pass      blocker  dns-apex  converged: all 5 resolvers") })
        #expect(ending.contains { $0.contains("journal   #") && $0.contains("launch-director GO") })
        #expect(ending.contains { $0.hasPrefix("dns-dnssec (blocker) red ") })
        #expect(ending.last?.hasPrefix("The demo has ended") == true)
    }

    @Test("SIGTERM the instant the demo is up (while the watch sets up): it exits 0 and leaves nothing behind")
    func interruptedEarly() throws {
        let before = Self.demoDirectories()
        let directory = try TestDirectory("interrupted-demo")
        for attempt in 0..<3 {
            let output = directory.file("demo-\(attempt).out")
            let process = try ChildUnderTest(FlightdeckProcess.binary.path, ["demo", "--headless"], stdout: .file(output))
            // Signalled the moment the plan's line is there.
            var seen = ""
            while !seen.contains("Plan: "), process.wait(seconds: 0) == nil {
                seen = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                usleep(5_000)
            }
            process.signal(SIGTERM)
            guard let ending = process.wait(seconds: 10) else {
                process.stop()
                Issue.record("the demo did not end on SIGTERM within 10 s")
                continue
            }
            #expect(ending == .exited(0), "\(seen)")
            #expect(Self.demoDirectories() == before)
        }
    }

    @Test("`make demo` from the README opens the cockpit with every pane populated within 10 s")
    func readmeCommandInTmux() async throws {
        let readme = try String(contentsOf: FlightdeckProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let start = readme.components(separatedBy: "## Start here")[1].components(separatedBy: "```")[1]
        let command = start.split(separator: "\n").dropFirst().first.map { String($0.prefix { $0 != "#" }).trimmingCharacters(in: .whitespaces) }
        #expect(command == "make demo")
        // `swift test` has just built everything and holds the build lock: skip make's build step.
        let tmux = Tmux()
        defer { tmux.kill() }
        let before = Self.demoDirectories()
        let started = Date()
        try tmux.start(width: 120, height: 40, command: "cd '\(FlightdeckProcess.packageRoot.path)' && \(command ?? "false") -o build")
        for (key, pane, populated) in [("1", "Checklist", "Rollback rehearsed on staging"), ("2", "Health", "stream-live"),
                                       ("3", "DNS", "dns-apex"), ("4", "Certificates", "tls-stream"),
                                       ("5", "Alarms", "tls-stream: a certificate expires in"), ("6", "Go/no-go", "Alex Moreau")] {
            let left = max(0.5, 10 - Date().timeIntervalSince(started))
            try await tmux.wait(for: "the cockpit", seconds: left) { $0.first?.contains("DirectFanz go-live (demo)") == true }
            try tmux.keys(key)
            try await tmux.wait(for: "the \(pane) pane populated", seconds: max(0.5, 10 - Date().timeIntervalSince(started))) { screen in
                screen.contains { $0.contains(" \(pane) (") } && screen.contains { $0.contains(populated) }
                    && !screen.contains { $0.contains("waiting for the first result") }
            }
        }
        #expect(Self.demoDirectories().count == before.count + 1)
        // The plan's path, printed before the cockpit took the screen, is one key away, with
        // a vote line to paste into another terminal.
        try tmux.keys("?")
        try await tmux.wait(for: "the help with the plan") { screen in
            screen.contains { $0.contains("plan: /tmp/flightdeck-demo-") } && screen.contains { $0.contains("from another terminal: flightdeck vote ") }
        }

        // The terminal goes away under make, which takes the SIGHUP: the cockpit sees the
        // hang-up, ends, and the demo removes what it made.
        tmux.kill()
        let deadline = Date().addingTimeInterval(10)
        while Self.demoDirectories() != before, Date() < deadline { usleep(100_000) }
        #expect(Self.demoDirectories() == before)
    }
}
