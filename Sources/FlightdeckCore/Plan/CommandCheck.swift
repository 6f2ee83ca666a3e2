import Foundation

// The plan's `commands` section: test suites and scripts whose result is evidence.

/// A command whose result is evidence: a test suite, `terraform plan`, a script.
public struct CommandCheck: Sendable, Equatable {
    public enum Invocation: Sendable, Equatable {
        /// Run directly, no shell in between: the first element is the program.
        case argv([String])
        /// Run by `/bin/sh -c`, when the plan says `shell: true`.
        case shell(String)
    }

    /// Where the test report is read from.
    public struct Report: Sendable, Equatable {
        public var format: TestReportFormat
        /// A file (relative to the working directory unless absolute); nil means standard output.
        public var path: String?
    }

    public var id: String
    public var name: String?
    public var severity: Severity
    public var invocation: Invocation
    /// Relative to the plan's directory unless absolute; the plan's directory when nil.
    public var workingDirectory: String?
    /// Set on top of Flightdeck's own environment.
    public var environment: [CommandVariable]
    public var report: Report?
    /// With a report: the share of the tests that ran which must pass, 0 to 1.
    public var passRate: Double
    /// With a report: fewer tests than this ran is a failure, whatever passed.
    public var minimumTests: Int
    /// What each exit code means; nil means 0 passes and anything else fails.
    public var exitCodes: [Int32: CheckStatus]?
    /// A result older than this is unknown: the evidence has gone stale.
    public var maximumAge: Duration
    public var timing: ProbeTiming

    /// Test suites take minutes: they run far less often than a health check.
    public static let defaultInterval: Duration = .seconds(600)
    public static let defaultTimeout: Duration = .seconds(300)

    /// The command as a person reads it, for the check's target.
    public var commandLine: String {
        switch invocation {
        case .argv(let argv): argv.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        case .shell(let script): script
        }
    }
}

public struct CommandVariable: Sendable, Equatable {
    public var name: String
    public var value: SecretText
}
