import Foundation

/// What a test run reported: how many tests passed, failed and were skipped, and the names
/// of the ones that failed. Read from JUnit XML or from TAP.
public struct TestReport: Sendable, Equatable, Codable {
    public var passed = 0
    public var failed = 0
    public var skipped = 0
    /// The failed tests by name, in the report's order; at most ``namesKept``.
    public var failedNames: [String] = []
    /// The runner gave up (TAP's `Bail out!`), with its reason.
    public var bailedOut: String?

    public static let namesKept = 200

    public init() {}

    /// The tests that ran: passed and failed, not skipped.
    public var ran: Int { passed + failed }

    /// The share of the tests that ran which passed, 0 to 1; nil when none ran.
    public var passRate: Double? { ran == 0 ? nil : Double(passed) / Double(ran) }

    mutating func fail(_ name: String) {
        failed += 1
        if failedNames.count < Self.namesKept { failedNames.append(RemoteText.sanitize(name, limit: 160)) }
    }
}

/// The formats a command's report can be read in.
public enum TestReportFormat: String, Sendable, Equatable, CaseIterable {
    case junit, tap

    /// As people write it: `JUnit`, `TAP`.
    public var title: String { self == .junit ? "JUnit" : "TAP" }
}

extension TestReport {
    /// Reads a JUnit XML report (`pytest --junitxml`, Maven Surefire, `go-junit-report`):
    /// every `testcase` at any depth under `testsuites` or `testsuite`. A case with a
    /// `failure` or `error` failed; one with `skipped` was skipped.
    public static func junit(_ bytes: some Collection<UInt8>) -> Result<TestReport, XMLError> {
        let root: XMLElement
        switch XMLElement.parse(bytes) {
        case .success(let element): root = element
        case .failure(let error): return .failure(error)
        }
        guard root.name == "testsuites" || root.name == "testsuite" else {
            return .failure(XMLError(message: "the root element is <\(root.name)>, not <testsuites> or <testsuite>", offset: 0))
        }
        var report = TestReport()
        let cases = root.name == "testsuite" && root.children.isEmpty ? [] : root.descendants("testcase")
        for testCase in cases {
            let names = [testCase.attributes["classname"], testCase.attributes["name"]].compactMap { $0 }.filter { !$0.isEmpty }
            let name = names.isEmpty ? "unnamed test" : names.joined(separator: ".")
            if testCase.child("failure") != nil || testCase.child("error") != nil {
                report.fail(name)
            } else if testCase.child("skipped") != nil {
                report.skipped += 1
            } else {
                report.passed += 1
            }
        }
        return .success(report)
    }

    /// Reads TAP (the Test Anything Protocol, versions 12 to 14) as a test script writes it
    /// or as `prove -v` prints it: `prove`'s `t/api.t ..` lines name the file each test is
    /// in. A test planned (`1..N`) but never reported failed; `# SKIP` is skipped; a failing
    /// `# TODO` test is expected to fail and counts as skipped; indented lines are subtests,
    /// which their parent's line sums up.
    public static func tap(_ text: String) -> TestReport {
        var report = TestReport()
        var file: String?
        var planned: Int?
        var seen = 0
        func closeSection() {
            if let planned, planned > seen {
                for number in seen + 1...planned { report.fail("\(file.map { "\($0) " } ?? "")test \(number) (planned, never reported)") }
            }
            planned = nil
            seen = 0
        }
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = Substring(rawLine)
            if line.first == " " || line.first == "\t" { continue }
            if let header = proveHeader(line) {
                closeSection()
                file = header
                continue
            }
            if line.hasPrefix("Bail out!") {
                report.bailedOut = RemoteText.sanitize(line.dropFirst(9).trimmingXMLSpaceSubstring(), limit: 200)
                continue
            }
            if line.hasPrefix("1..") {
                planned = Int(line.dropFirst(3).prefix { $0.isNumber })
                continue
            }
            let failing = line.hasPrefix("not ok")
            guard failing || line.hasPrefix("ok") else { continue }
            let after = line.dropFirst(failing ? 6 : 2)
            guard after.isEmpty || after.first == " " || after.first == "\t" else { continue }
            // `prove -v` ends each file with a bare `ok` once its plan is met: its verdict, not a test.
            if after.isEmpty, !failing, let planned, seen >= planned { continue }
            seen += 1
            var description = after.drop { $0 == " " }
            description = description.drop { $0.isNumber }.drop { $0 == " " }
            if description.hasPrefix("- ") { description = description.dropFirst(2) }
            var directive = ""
            if let hash = description.firstIndex(of: "#") {
                directive = description[description.index(after: hash)...].trimmingXMLSpaceSubstring().uppercased()
                description = description[..<hash]
            }
            if directive.hasPrefix("SKIP") || (directive.hasPrefix("TODO") && failing) {
                report.skipped += 1
            } else if failing {
                let name = description.trimmingXMLSpaceSubstring()
                report.fail("\(file.map { "\($0) " } ?? "")\(name.isEmpty ? "test \(seen)" : name)")
            } else {
                report.passed += 1
            }
        }
        closeSection()
        return report
    }

    /// The file `prove` names on a `t/api.t .. ` line (what follows it, if anything, is its verdict).
    private static func proveHeader(_ line: Substring) -> String? {
        guard !line.hasPrefix("ok"), !line.hasPrefix("not ok"), !line.hasPrefix("#"),
              let marker = line.range(of: " .. ") ?? (line.hasSuffix(" ..") ? line.range(of: " ..", options: .backwards) : nil) else { return nil }
        let file = line[..<marker.lowerBound]
        return file.isEmpty || file.contains(" ") ? nil : RemoteText.sanitize(String(file), limit: 120)
    }
}

extension Substring {
    func trimmingXMLSpaceSubstring() -> String { String(self).trimmingXMLSpace() }
}
