import Foundation
import Testing

/// Runs the built `flightdeck` binary as a user would and captures what it prints.
struct FlightdeckProcess {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The binary sits beside the test bundle in the build directory.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("flightdeck").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("flightdeck")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> FlightdeckProcess {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a large output cannot fill the pipe and stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return FlightdeckProcess(status: process.terminationStatus,
                                 stdout: String(decoding: stdout, as: UTF8.self),
                                 stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite("Command line")
struct CommandLineTests {
    let secret = "rt_live_0123456789"

    @Test("plan validate: a valid plan gets one summary line and exit 0")
    func validateValid() throws {
        let result = try FlightdeckProcess.run(["plan", "validate", "Examples/local.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout == """
            Examples/local.yaml: valid: DirectFanz local rehearsal: zone directfanz.test, T-0 2026-12-01 14:00 UTC; \
            4 resolvers, 8 DNS records, 5 HTTP checks, 3 TLS endpoints, 2 alarm sources, 12 checklist items, \
            5 roles, 5 approvers, 2 holds

            """)
        #expect(result.stderr.isEmpty)
    }

    @Test("plan validate: every problem on stderr as FILE:LINE:COLUMN, then exit 2")
    func validateInvalid() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flightdeck-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("broken.yaml")
        let text = try String(contentsOfFile: FlightdeckProcess.packageRoot.appendingPathComponent("Examples/local.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "timezone: UTC", with: "timezone: Mars/Olympus")
            .replacingOccurrences(of: "transport: tcp", with: "transport: carrier-pigeon")
        try text.write(to: plan, atomically: true, encoding: .utf8)

        let result = try FlightdeckProcess.run(["plan", "validate", plan.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(plan.path):14:13: launch.timezone: `Mars/Olympus` is not a time zone"))
        #expect(lines.contains("\(plan.path):26:64: resolvers[2].transport: `carrier-pigeon` is not a DNS transport"))
        #expect(lines.contains("    hint: expected one of udp, tcp, tls, https"))
        #expect(lines.last == "\(plan.path): 2 problems; the plan was not loaded")
    }

    @Test("a missing plan file is a plan error, exit 2, without a stack trace")
    func missingFile() throws {
        let result = try FlightdeckProcess.run(["check", "Examples/nope.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr == "Examples/nope.yaml:1:1: no such file\nExamples/nope.yaml: 1 problem; the plan was not loaded\n")
    }

    @Test("usage errors exit 2", arguments: [["check"], ["plan", "validate"], ["check", "--jsn", "Examples/local.yaml"], ["plan", "frobnicate", "x"]])
    func usageErrors(arguments: [String]) throws {
        let result = try FlightdeckProcess.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Usage:") || result.stderr.contains("Error:"))
    }

    @Test("--help exits 0 and names the exit codes")
    func help() throws {
        let result = try FlightdeckProcess.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("2 a usage or plan error"))
    }

    @Test("check --json: the documented shape; unknown blockers make it NO-GO, exit 1")
    func checkJSON() throws {
        let result = try FlightdeckProcess.run(["check", "--json", "Examples/directfanz.yaml"],
                                               environment: ["DIRECTFANZ_READINESS_TOKEN": secret])
        #expect(result.status == 1)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(document.keys) == ["plan", "file", "checked_at", "verdict", "reason", "counts", "checks"])
        #expect(document["plan"] as? String == "DirectFanz production launch")
        #expect(document["verdict"] as? String == "no-go")
        #expect((document["reason"] as? String)?.hasPrefix("20 blockers not known to pass") == true)
        #expect(document["counts"] as? [String: Int] == ["pass": 0, "warn": 0, "fail": 0, "unknown": 27])
        let checks = try #require(document["checks"] as? [[String: Any]])
        #expect(checks.count == 27)
        let readiness = try #require(checks.first { $0["id"] as? String == "api-readiness" })
        #expect(readiness["kind"] as? String == "http")
        #expect(readiness["target"] as? String == "https://api.directfanz.io/internal/readiness")
        #expect(readiness["severity"] as? String == "blocker")
        #expect(readiness["status"] as? String == "unknown")
        #expect(readiness["observed"] as? [String: Any] != nil)
        let tls = try #require(checks.first { $0["id"] as? String == "tls-api-new-alb" })
        #expect(tls["target"] as? String == "api.directfanz.io:443 via 203.0.113.10")
        #expect(!result.stdout.contains(secret))
        #expect(!result.stderr.contains(secret))
    }

    @Test("check: a table and the verdict with its reason")
    func checkTable() throws {
        let result = try FlightdeckProcess.run(["check", "Examples/local.yaml"])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("STATUS   KIND  ID") == true)
        #expect(lines.contains { $0.hasPrefix("UNKNOWN  tls   tls-api ") && $0.contains("api.directfanz.test:18443 via 127.0.0.80") })
        #expect(lines.contains("NO-GO: 15 blockers not known to pass: dns-apex, dns-www, dns-api, dns-ws, dns-stream and 10 more"))
    }

    @Test("version names the C libraries actually linked")
    func version() throws {
        let result = try FlightdeckProcess.run(["version"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("OpenSSL/3"))
        #expect(result.stdout.contains("ncurses 6"))
    }
}
