import FlightdeckCore
import FlightdeckStore
import Foundation
import Testing

/// Reading a plan from disk: what can go wrong with the file itself, and the files it names,
/// found relative to its directory.
@Suite("Plan files")
struct PlanFileTests {
    private static let plan = "launch: { name: File test, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }\n"

    private func headline(_ result: Result<LaunchPlan, PlanLoadError>) -> String? {
        if case .failure(let error) = result { error.diagnostics.first?.headline } else { nil }
    }

    @Test("a missing file, a directory, bytes that are not UTF-8 and a file too big are each named, nothing crashes")
    func badFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flightdeck-planfile-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(headline(PlanLoader.load(path: "\(directory)/nope.yaml", environment: [:])) == "\(directory)/nope.yaml:1:1: no such file")
        #expect(headline(PlanLoader.load(path: directory, environment: [:])) == "\(directory):1:1: this is a directory, not a plan file")
        try Data([0x6C, 0x61, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: "\(directory)/latin.yaml"))
        #expect(headline(PlanLoader.load(path: "\(directory)/latin.yaml", environment: [:])) == "\(directory)/latin.yaml:1:1: the file is not UTF-8 text")
        try Data(count: PlanLoader.maximumPlanBytes + 1).write(to: URL(fileURLWithPath: "\(directory)/big.yaml"))
        #expect(headline(PlanLoader.load(path: "\(directory)/big.yaml", environment: [:]))?
            .hasSuffix("the file is \(PlanLoader.maximumPlanBytes + 1) bytes; a plan is at most \(PlanLoader.maximumPlanBytes)") == true)
    }

    @Test("a CA file is looked for beside the plan, not in the working directory")
    func relativeFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flightdeck-planfile-ca-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = Self.plan + "tls: [{ id: t, host: example.test, address: \"127.0.0.1\", ca_file: ca.pem }]\n"
        try text.write(toFile: "\(directory)/plan.yaml", atomically: true, encoding: .utf8)
        #expect(headline(PlanLoader.load(path: "\(directory)/plan.yaml", environment: [:]))?.contains("cannot read `ca.pem`") == true)
        try "not checked here".write(toFile: "\(directory)/ca.pem", atomically: true, encoding: .utf8)
        #expect(throws: Never.self) { try PlanLoader.load(path: "\(directory)/plan.yaml", environment: [:]).get() }
        // Text alone, with no directory given, names no files to check: the parser does no I/O.
        #expect(throws: Never.self) { try PlanLoader(environment: [:]).load(text: text, file: "plan.yaml").get() }
    }
}
