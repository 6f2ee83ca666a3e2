import FlightdeckTestSupport
import Foundation
import Testing

/// Runs the built `flightdeck` binary as a user would, from the package root.
enum FlightdeckProcess {
    /// The binary sits beside the test bundle in the build directory.
    static let binary = URL(fileURLWithPath: builtExecutable("flightdeck"))

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Waits on a thread of its own: a test that waits for a child on the shared threads holds
    /// one of the two, and tests that need them (a poller on a real clock) starve.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) async throws -> ProcessResult {
        try await offThePool {
            try runProcess(binary.path, arguments,
                           environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { $1 },
                           in: packageRoot.path, stdin: stdin)
        }
    }
}

@Suite("Command line")
struct CommandLineTests {
    let secret = "rt_live_0123456789"

    @Test("plan validate: a valid plan gets one summary line and exit 0")
    func validateValid() async throws {
        let result = try await FlightdeckProcess.run(["plan", "validate", "Examples/local.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout == """
            Examples/local.yaml: valid: DirectFanz local rehearsal: zone directfanz.test, T-0 2026-12-01 14:00 UTC; \
            4 resolvers, 8 DNS records, 5 HTTP checks, 3 TLS endpoints, 0 AWS resources, 0 metrics, 0 commands, 2 alarm sources, 12 checklist items, \
            5 roles, 5 approvers, 2 holds

            """)
        #expect(result.stderr.isEmpty)
    }

    @Test("plan validate: every problem on stderr as FILE:LINE:COLUMN, then exit 2")
    func validateInvalid() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flightdeck-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("broken.yaml")
        let text = try String(contentsOfFile: FlightdeckProcess.packageRoot.appendingPathComponent("Examples/local.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "timezone: UTC", with: "timezone: Mars/Olympus")
            .replacingOccurrences(of: "transport: tcp", with: "transport: carrier-pigeon")
        try text.write(to: plan, atomically: true, encoding: .utf8)

        let result = try await FlightdeckProcess.run(["plan", "validate", plan.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(plan.path):16:13: launch.timezone: `Mars/Olympus` is not a time zone"))
        #expect(lines.contains("\(plan.path):28:64: resolvers[2].transport: `carrier-pigeon` is not a DNS transport"))
        #expect(lines.contains("    hint: expected one of udp, tcp, tls, https"))
        #expect(lines.last == "\(plan.path): 2 problems; the plan was not loaded")
    }

    @Test("plan validate needs no production secrets: an unset one is a warning, exit 0; a command that runs probes still refuses")
    func validateWithoutSecrets() async throws {
        let directory = try TestDirectory("cli-lint")
        try directory.write("""
            launch: { name: Lint, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http:
              - { id: api, url: "http://127.0.0.1:9/health", headers: { X-Readiness-Token: "${FD_LINT_TOKEN}" } }
            notifications:
              - { id: hook, kind: webhook, url: "${FD_LINT_WEBHOOK_URL}" }
            """, to: "plan.yaml")
        let plan = directory.file("plan.yaml")
        let linted = try await FlightdeckProcess.run(["plan", "validate", plan])
        #expect(linted.status == 0, "\(linted.stderr)")
        #expect(linted.stdout.hasPrefix("\(plan): valid: Lint"))
        #expect(linted.stderr.contains("warning: \(plan):3:") && linted.stderr.contains("the environment variable FD_LINT_TOKEN is not set"))
        #expect(linted.stderr.contains("the environment variable FD_LINT_WEBHOOK_URL is not set"))
        let checked = try await FlightdeckProcess.run(["check", plan])
        #expect(checked.status == 2, "probes need the secrets")
        #expect(checked.stderr.contains("the environment variable FD_LINT_TOKEN is not set"))
        let withSecrets = try await FlightdeckProcess.run(["plan", "validate", plan],
                                                    environment: ["FD_LINT_TOKEN": "t0k3n-value", "FD_LINT_WEBHOOK_URL": "not a url"])
        #expect(withSecrets.status == 2, "with the secret given, its URL is checked")
    }

    @Test("a YAML syntax error says it stops the reading, so the problems after it are not a surprise")
    func syntaxErrorStopsTheReading() async throws {
        let directory = try TestDirectory("cli-syntax")
        try directory.write("launch: { name: S, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC\nhttp: []\n", to: "plan.yaml")
        let result = try await FlightdeckProcess.run(["plan", "validate", directory.file("plan.yaml")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("plan.yaml:1:9: YAML syntax: this { is never closed"), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("the plan was not loaded (a YAML syntax error stops the reading: fix it to see any problems after it)\n"))
    }

    @Test("a missing plan file is a plan error, exit 2, without a stack trace")
    func missingFile() async throws {
        let result = try await FlightdeckProcess.run(["check", "Examples/nope.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr == "Examples/nope.yaml:1:1: no such file\nExamples/nope.yaml: 1 problem; the plan was not loaded\n")
    }

    @Test("usage errors exit 2", arguments: [["check"], ["plan", "validate"], ["check", "--jsn", "Examples/local.yaml"], ["plan", "frobnicate", "x"],
                                            ["help", "frobnicate"], ["help", "plan", "frobnicate"]])
    func usageErrors(arguments: [String]) async throws {
        let result = try await FlightdeckProcess.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage:") || result.stderr.contains("Error:"))
    }

    @Test("help for a command that exists exits 0")
    func helpForACommand() async throws {
        let result = try await FlightdeckProcess.run(["help", "plan", "validate"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("validate"))
    }

    @Test("--help exits 0 and names the exit codes")
    func help() async throws {
        let result = try await FlightdeckProcess.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("2 a usage or plan error"))
    }

    /// A plan whose HTTP checks point at the test nginx; `failing` adds a blocker that fails.
    private func nginxPlan(failing: Bool) throws -> (TestDirectory, String) {
        let nginx = try NginxServer.shared()
        let directory = try TestDirectory("cli")
        var yaml = """
            launch: { name: CLI rehearsal, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            dns:
              records:
                - { id: dns-apex, name: "@", type: A, expected: [127.0.0.1], severity: minor }
            http:
              - { id: api-health, url: "\(nginx.url("/health"))", expect: { json: { status: ok } } }
              - id: api-echo
                url: "\(nginx.url("/echo"))"
                headers: { Authorization: "Bearer ${CLI_TOKEN}" }
                expect: { body_contains: "auth=Bearer" }
              - { id: maintenance, url: "\(nginx.url("/status/503"))", severity: major }

            """
        if failing {
            yaml += "  - { id: web-home, url: \"\(nginx.url("/degraded"))\", expect: { json: { status: ok } } }\n"
        }
        try directory.write(yaml, to: "plan.yaml")
        return (directory, directory.file("plan.yaml"))
    }

    @Test("check --json: the documented shape, real probes, exit 0 when every blocker passes")
    func checkJSONGo() async throws {
        let (directory, plan) = try nginxPlan(failing: false)
        let result = try await FlightdeckProcess.run(["check", "--json", plan], environment: ["CLI_TOKEN": secret])
        _ = directory
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(document.keys) == ["plan", "file", "checked_at", "verdict", "reason", "counts", "checks", "alarms"])
        #expect((document["alarms"] as? [Any])?.isEmpty == true)
        #expect(document["plan"] as? String == "CLI rehearsal")
        #expect(document["verdict"] as? String == "go")
        #expect(document["reason"] as? String == "all 2 blocking checks pass")
        #expect(document["counts"] as? [String: Int] == ["pass": 2, "warn": 0, "fail": 1, "unknown": 1])
        let checks = try #require(document["checks"] as? [[String: Any]])
        #expect(checks.map { $0["id"] as? String } == ["dns-apex", "api-health", "api-echo", "maintenance"])
        let health = try #require(checks.first { $0["id"] as? String == "api-health" })
        #expect(health["kind"] as? String == "http")
        #expect(health["severity"] as? String == "blocker")
        #expect(health["status"] as? String == "pass")
        let observed = try #require(health["observed"] as? [String: Any])
        #expect(observed["status_code"] as? Int == 200)
        #expect(observed["total_ms"] is Double || observed["total_ms"] is Int)
        let maintenance = try #require(checks.first { $0["id"] as? String == "maintenance" })
        #expect(maintenance["detail"] as? String == "HTTP 503, expected 200-299")
        let dns = try #require(checks.first { $0["id"] as? String == "dns-apex" })
        #expect(dns["status"] as? String == "unknown")
        // nginx echoes the Authorization header into the body; the excerpt shows the reference.
        let echo = try #require(checks.first { $0["id"] as? String == "api-echo" })
        let excerpt = try #require((echo["observed"] as? [String: Any])?["body_excerpt"] as? String)
        #expect(excerpt.contains("auth=Bearer ${CLI_TOKEN}"))
        #expect(!result.stdout.contains(secret))
        #expect(!result.stderr.contains(secret))
    }

    @Test("check: a failing blocker is NO-GO, exit 1, with the reason in one line")
    func checkTableNoGo() async throws {
        let (directory, plan) = try nginxPlan(failing: true)
        let result = try await FlightdeckProcess.run(["check", plan], environment: ["CLI_TOKEN": secret])
        _ = directory
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("STATUS   KIND  ID") == true)
        #expect(lines.contains { $0.hasPrefix("FAIL     http  web-home ") && $0.hasSuffix(#"JSON status: expected ok, got "degraded""#) })
        #expect(lines.contains { $0.hasPrefix("PASS     http  api-health ") })
        #expect(lines.contains("NO-GO: 1 blocking check failing: web-home"))
    }

    /// The system's trust store is OpenSSL's, which `SSL_CERT_FILE` replaces as it does for the
    /// curl command; a check's own `ca_file` replaces the system's store altogether.
    @Test("check: HTTPS trusts the system store SSL_CERT_FILE names, as curl does; a ca_file replaces it")
    func systemTrustStore() async throws {
        let nginx = try NginxServer.shared()
        let directory = try TestDirectory("cli-trust")
        let url = "https://api.directfanz.test:\(nginx.httpsPort)/health"
        try directory.write("""
            launch: { name: Trust, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            http:
              - { id: system-store, url: "\(url)", connect_to: 127.0.0.1 }
              - { id: other-ca, url: "\(url)", connect_to: 127.0.0.1, ca_file: "\(nginx.certificates.selfSignedCertificate)" }

            """, to: "plan.yaml")
        let environment = ["SSL_CERT_FILE": nginx.certificates.caCertificate]
        let result = try await FlightdeckProcess.run(["check", "--json", directory.file("plan.yaml")], environment: environment)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let checks = try #require(document["checks"] as? [[String: Any]])
        let system = try #require(checks.first { $0["id"] as? String == "system-store" })
        #expect(system["status"] as? String == "pass", "\(system)")
        let other = try #require(checks.first { $0["id"] as? String == "other-ca" })
        #expect(other["detail"] as? String == "TLS: SSL certificate problem: unable to get local issuer certificate")

        let curl = try await runProcess("/usr/bin/curl", ["--silent", "--show-error", "--output", "/dev/null",
                                                          "--connect-to", "api.directfanz.test:\(nginx.httpsPort):127.0.0.1:\(nginx.httpsPort)", url],
                                        environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 })
        #expect(curl.status == 0, "\(curl.stderr)")
    }

    @Test("version names the C libraries actually linked")
    func version() async throws {
        let result = try await FlightdeckProcess.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("OpenSSL/3"))
        #expect(result.stdout.contains("ncurses 6"))
    }
}
