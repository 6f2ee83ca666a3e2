import FlightdeckTestSupport
import Foundation
import Testing

/// Probe agents for real: each in a network namespace of its own, where the plan's resolver
/// address is served by a knot of that network's (one still answers the old record, as a
/// public resolver's anycast node can), publishing over a veth pair into a PostgreSQL the
/// cockpit's side shares. `check`, `watch` and the agents are the built binary.
@Suite("Probe agents in network namespaces, over PostgreSQL", .serialized,
       .enabled(if: NetworkNamespace.unavailable == nil && PostgresServer.unavailable == nil && LoopbackDNS.canBindPort53,
                "\(NetworkNamespace.unavailable ?? PostgresServer.unavailable ?? "port 53 on loopback needs root")"))
struct VantageAgentTests {
    static let zone = """
        $ORIGIN example.test.
        $TTL 30
        @   SOA ns1 hostmaster 1 60 60 600 30
            NS  ns1
        ns1 A   192.0.2.53
        api A   %@
        """

    /// The zone with `api` at `address`, as knot takes it.
    static func zones(api address: String) -> [String: String] {
        ["example.test": zone.replacingOccurrences(of: "%@", with: address)]
    }

    /// A launch whose state is in `url` (in the state directory beside it when nil); its one
    /// resolver is `resolver` in whatever network asks.
    static func plan(in directory: TestDirectory, url: String?, resolver: String, quorum: Int = 2) throws -> String {
        try directory.write("""
            launch: { name: Vantage launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC\(url.map { ", state: \"\($0)\"" } ?? "") }
            polling: { interval: 1s, timeout: 1s, failure_threshold: 1 }
            resolvers:
              - { name: anycast, address: "\(resolver)" }
            dns:
              records:
                - { id: dns-api, name: api, type: A, expected: [192.0.2.10], previous: [198.51.100.10] }
            vantages: { quorum: \(quorum), stale_after: 3 }
            """, to: "plan.yaml")
        return directory.file("plan.yaml")
    }

    struct Vantage {
        let name: String
        let network: NetworkNamespace
        let resolver: KnotServer
        var agent: ChildUnderTest?
        let output: String

        var lines: [String] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    }

    func checkJSON(_ plan: String, environment: [String: String]) async throws -> [String: Any] {
        let result = try await FlightdeckProcess.run(["check", plan, "--json"], environment: environment)
        let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let checks = try #require(document?["checks"] as? [[String: Any]], "\(result.stdout)\(result.stderr)")
        return try #require(checks.first { $0["id"] as? String == "dns-api" })
    }

    @Test("three networks, one resolver address answering differently in each: the split grid, the quorum's warning naming the vantage; an agent killed goes silent and the record is unknown, never green; one stopped withdraws",
          .timeLimit(.minutes(3)))
    func splitGrid() async throws {
        let names = ["ap-south", "eu-west", "us-east"]
        let networks = try await offThePool { try names.indices.map { try NetworkNamespace(index: $0) } }
        let server = try await offThePool { try PostgresServer(listeningAlso: networks.map(\.hostAddress)) }
        defer { server.stop() }
        let url = try server.newDatabase(passwordVariable: "LAUNCH_DB_PASSWORD")
        let directory = try TestDirectory("vantage-agents")
        // The same address in every network: this one's and eu-west's and us-east's see the
        // new record, ap-south's still the old.
        let resolver = "127.53.\(Int.random(in: 0...255)).53"
        let home = try await offThePool { try KnotServer(addresses: [resolver], zones: VantageAgentTests.zones(api: "192.0.2.10")) }
        defer { home.stop() }
        let plan = try Self.plan(in: directory, url: url, resolver: resolver)
        let environment = ["LAUNCH_DB_PASSWORD": server.password]
        let resolvers = try await offThePool {
            try zip(names, networks).map { name, network in
                try KnotServer(addresses: [resolver], zones: Self.zones(api: name == "ap-south" ? "198.51.100.10" : "192.0.2.10"), namespace: network)
            }
        }
        var vantages = zip(names, zip(networks, resolvers)).map { name, serving in
            Vantage(name: name, network: serving.0, resolver: serving.1, output: directory.file("\(name).out"))
        }
        defer {
            for vantage in vantages {
                vantage.agent?.stop()
                vantage.resolver.stop()
                vantage.network.stop()
            }
        }
        for index in vantages.indices {
            let vantage = vantages[index]
            // Each agent reaches the database over its network's link, the password in the environment.
            let state = server.resolved(url, passwordVariable: "LAUNCH_DB_PASSWORD")
                .replacingOccurrences(of: ":\(server.password)@127.0.0.1:", with: "@\(vantage.network.hostAddress):")
            let command = vantage.network.command(FlightdeckProcess.binary.path, ["agent", plan, "--vantage", vantage.name])
            vantages[index].agent = try ChildUnderTest(command.executable, command.arguments, stdout: .file(vantage.output), stderr: .file(vantage.output),
                                                       environment: ["PATH": "/usr/bin:/bin", "LAUNCH_DB_PASSWORD": server.password,
                                                                     "PGPASSWORD": server.password, "FLIGHTDECK_STATE": state])
        }
        for vantage in vantages {
            try await waitFor("\(vantage.name)'s first result", seconds: 30) { vantage.lines.contains { $0.contains(" check dns-api ") } }
        }
        #expect(vantages[0].lines.contains { $0.contains("check dns-api FAIL") }, "\(vantages[0].lines)")
        #expect(vantages[1].lines.contains { $0.contains("check dns-api PASS") }, "\(vantages[1].lines)")

        let watch = try DemoProcess(arguments: ["watch", plan], directory: directory, output: "watch.out", environment: environment)
        defer { watch.stop() }
        await watch.wait(for: "the quorum's warning", seconds: 30) { lines in
            lines.contains { $0.contains("check dns-api WARN: fails from ap-south only: ") && $0.contains("(3 of 4 pass; 2 failing make it red)") }
        }
        let warned = try await checkJSON(plan, environment: environment)
        #expect(warned["status"] as? String == "warn", "\(warned)")
        let views = try #require(warned["vantages"] as? [[String: Any]], "\(warned)")
        #expect(views.map { $0["vantage"] as? String } == ["local", "ap-south", "eu-west", "us-east"])
        func cells(_ name: String) -> [String] { views.first { $0["vantage"] as? String == name }?["cells"] as? [String] ?? [] }
        #expect(cells("local").contains { $0.hasPrefix("resolver anycast (\(resolver)): match 192.0.2.10") }, "\(cells("local"))")
        #expect(cells("ap-south").contains { $0.hasPrefix("resolver anycast (\(resolver)): still old 198.51.100.10") }, "\(cells("ap-south"))")
        #expect(cells("eu-west").contains { $0.hasPrefix("resolver anycast (\(resolver)): match 192.0.2.10") }, "\(cells("eu-west"))")

        // Killed outright: silent within stale_after heartbeats of 1 s, and then the record
        // cannot be known to pass (one fails, one is silent: the quorum of 2 may be met).
        vantages[2].agent?.signal(SIGKILL)
        let killedAt = Date()
        await watch.wait(for: "us-east silent", seconds: 20) { $0.contains { $0.contains("vantage us-east SILENT") } }
        #expect(Date().timeIntervalSince(killedAt) < 10)
        await watch.wait(for: "the record unknown", seconds: 10) { $0.contains { $0.contains("check dns-api UNKNOWN: fails from ap-south; not known from us-east") } }
        let silent = try await checkJSON(plan, environment: environment)
        #expect(silent["status"] as? String == "unknown", "\(silent)")
        #expect((silent["vantages"] as? [[String: Any]])?.first { $0["vantage"] as? String == "us-east" }?["stale"] as? Bool == true)

        // Stopped: it withdraws, and nobody waits for it.
        vantages[1].agent?.signal(SIGTERM)
        await watch.wait(for: "eu-west withdrawn", seconds: 20) { $0.contains { $0.hasSuffix("vantage eu-west withdrawn") } }
        let stopped = vantages[1].agent
        #expect(try await offThePool { stopped?.wait() } == .exited(0))
        #expect(vantages[1].lines.last?.hasSuffix("agent eu-west withdrawn") == true, "\(vantages[1].lines)")
        #expect(!(watch.lines + vantages.flatMap(\.lines)).joined().contains(server.password))
    }

    func waitFor(_ what: String, seconds: Double, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else {
                Issue.record("gave up waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

@Suite("A probe agent on this host, in a network namespace, through the SQLite state directory", .serialized,
       .enabled(if: NetworkNamespace.unavailable == nil && LoopbackDNS.canBindPort53,
                "\(NetworkNamespace.unavailable ?? "port 53 on loopback needs root")"))
struct SameHostAgentTests {
    @Test("an agent in another network publishes into the state directory: check turns red naming it (quorum 1); stopped, it withdraws and check is this host's again",
          .timeLimit(.minutes(2)))
    func throughSQLite() async throws {
        let network = try await offThePool { try NetworkNamespace(index: 50) }
        defer { network.stop() }
        let directory = try TestDirectory("vantage-sqlite")
        let resolver = "127.53.\(Int.random(in: 0...255)).54"
        let (home, office) = try await offThePool {
            (try KnotServer(addresses: [resolver], zones: VantageAgentTests.zones(api: "192.0.2.10")),
             try KnotServer(addresses: [resolver], zones: VantageAgentTests.zones(api: "198.51.100.10"), namespace: network))
        }
        defer {
            home.stop()
            office.stop()
        }
        // No database: the state is the directory beside the plan, which the namespace shares.
        let plan = try VantageAgentTests.plan(in: directory, url: nil, resolver: resolver, quorum: 1)
        let output = directory.file("office.out")
        let command = network.command(FlightdeckProcess.binary.path, ["agent", plan, "--vantage", "office"])
        let agent = try ChildUnderTest(command.executable, command.arguments, stdout: .file(output), stderr: .file(output),
                                       environment: ["PATH": "/usr/bin:/bin"])
        defer { agent.stop() }
        func lines() -> [String] { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        // The agent prints a change before it publishes it: check is asked until it is there.
        let deadline = Date().addingTimeInterval(30)
        var red = try await FlightdeckProcess.run(["check", plan])
        while !red.stdout.contains("fails from office"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            red = try await FlightdeckProcess.run(["check", plan])
        }
        #expect(lines().first?.contains("into \(directory.path)/plan.flightdeck/vantages.sqlite") == true, "\(lines())")
        #expect(lines().contains { $0.contains("check dns-api FAIL") }, "\(lines())")
        #expect(red.status == 1, "\(red.stdout)\(red.stderr)\n\(lines())")
        #expect(red.stdout.contains("fails from office: no nameserver of the plan confirms 192.0.2.10: 0 of 1 resolvers see it (anycast: 198.51.100.10)"),
                "\(red.stdout)")

        agent.signal(SIGTERM)
        #expect(try await offThePool { agent.wait() } == .exited(0))
        let green = try await FlightdeckProcess.run(["check", plan])
        #expect(green.status == 0, "\(green.stdout)\(green.stderr)")
        #expect(green.stdout.contains("dns-api") && !green.stdout.contains("vantages"), "this host's own view again: \(green.stdout)")

        // What the agent saw change is in the timeline, under its vantage, and its watch with it.
        let timeline = try await FlightdeckProcess.run(["timeline", plan, "--about", "dns-api", "--json"])
        let entries = try #require((try JSONSerialization.jsonObject(with: Data(timeline.stdout.utf8)) as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(entries.filter { $0["vantage"] as? String == "office" }.map { $0["status"] as? String } == ["fail"], "\(timeline.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(directory.path)/plan.flightdeck/timeline.sqlite"))
    }
}

@Suite("A probe agent when PostgreSQL goes away, and when it is killed and started again",
       .enabled(if: PostgresServer.unavailable == nil, "\(PostgresServer.unavailable ?? "")"))
struct AgentOutageTests {
    @Test("the agent says the state is unreachable, goes on probing, and publishes again when it is back; killed and started again under its name, it waits for the dead one to fall silent, then takes over",
          .timeLimit(.minutes(3)))
    func outageAndTakeover() async throws {
        let own = try await offThePool { try PostgresServer() }
        defer { own.stop() }
        let site = try await offThePool { try HostileServer(.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")) }
        defer { site.stop() }
        let directory = try TestDirectory("agent-outage")
        try directory.write("""
            launch: { name: Outage launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC, state: "\(try own.newDatabase(passwordVariable: "LAUNCH_DB_PASSWORD"))" }
            polling: { interval: 1s, timeout: 1s }
            http:
              - { id: web, url: "http://127.0.0.1:\(site.port)/" }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        let environment = ["LAUNCH_DB_PASSWORD": own.password]
        let agent = try DemoProcess(arguments: ["agent", plan, "--vantage", "office"], directory: directory, output: "agent.out", environment: environment)
        defer { agent.stop() }
        await agent.wait(for: "its first result", seconds: 20) { $0.contains { $0.contains("check web PASS") } }

        try await offThePool { own.stop() }
        await agent.wait(for: "the outage", seconds: 20) { $0.contains { $0.contains("shared state unavailable: ") && $0.hasSuffix("; asking again") } }
        try await offThePool { try own.start() }
        await agent.wait(for: "the state back", seconds: 30) { $0.contains { $0.hasSuffix("shared state reachable again") } }
        let back = try await FlightdeckProcess.run(["check", plan, "--json"], environment: environment)
        let office = try #require(((try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as? [String: Any])?["checks"] as? [[String: Any]])?
            .first?["vantages"] as? [[String: Any]])?.first { $0["vantage"] as? String == "office" }
        #expect(office?["status"] as? String == "pass" && office?["stale"] as? Bool == false, "\(back.stdout)")

        // Killed outright, and started again at once: the dead one still looks alive for
        // stale_after (3) heartbeats of 1 s, then the new one takes its place.
        let killed = agent.process
        killed.signal(SIGKILL)
        _ = try await offThePool { killed.wait() }
        let again = try DemoProcess(arguments: ["agent", plan, "--vantage", "office"], directory: directory, output: "again.out", environment: environment)
        defer { again.stop() }
        await again.wait(for: "the wait", seconds: 20) { $0.contains { $0.contains("office is published by ") && $0.contains("waiting to take over once it is silent for 3 heartbeats") } }
        await again.wait(for: "the takeover", seconds: 20) { $0.contains { $0.hasSuffix("agent office took over") } }
        #expect(!(agent.lines + again.lines).joined().contains(own.password))
    }
}

@Suite("check when the agents' results cannot be read")
struct UnreadableVantagesTests {
    @Test("the shared state unreachable: check says so and goes on with this host's view; vantages the plan declares are not known, never green")
    func unreachable() async throws {
        let site = try await offThePool { try HostileServer(.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")) }
        defer { site.stop() }
        let refused = try FreePort.tcp()
        let directory = try TestDirectory("vantages-unreadable")
        func plan(_ vantages: String) throws -> String {
            try directory.write("""
                launch: { name: Unreadable, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC, state: "postgresql://flightdeck@127.0.0.1:\(refused)/launch" }
                http:
                  - { id: web, url: "http://127.0.0.1:\(site.port)/" }
                \(vantages)
                """, to: "plan.yaml")
            return directory.file("plan.yaml")
        }
        let alone = try await FlightdeckProcess.run(["check", try plan("")])
        #expect(alone.status == 0, "\(alone.stdout)\(alone.stderr)")
        #expect(alone.stderr.contains("warning: the probe agents' results cannot be read, so only this host's are known: "), "\(alone.stderr)")
        let declared = try await FlightdeckProcess.run(["check", try plan("vantages: { points: [{ name: local }, { name: eu-west }] }")])
        #expect(declared.status == 1, "\(declared.stdout)\(declared.stderr)")
        #expect(declared.stdout.contains("UNKNOWN") && declared.stdout.contains("not known from eu-west: eu-west has not reported"), "\(declared.stdout)")
    }
}
