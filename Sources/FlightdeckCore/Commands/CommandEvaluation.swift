import Foundation

/// What one run of a command did, as the probe saw it.
public struct CommandRun: Sendable, Equatable, Codable {
    public enum Ending: Sendable, Equatable, Codable {
        case exited(Int32)
        /// Killed by a signal it did not ask for (a crash, the OOM killer).
        case signalled(Int32)
        /// Still running at the timeout: the whole process group was killed.
        case timedOut
        /// It never started: why (no such program, the working directory is missing).
        case couldNotStart(String)
    }

    /// Where the report came from and what it said; nil when the check reads no report.
    public enum ReportReading: Sendable, Equatable, Codable {
        case read(TestReport)
        /// The run wrote no report, or left an old one that predates it.
        case missing(String)
        case unreadable(String)
    }

    public var ending: Ending
    public var duration: Duration
    /// When it finished, by the wall clock.
    public var finishedAt: Date
    /// The last lines of its output (standard output and error together), made safe to show.
    public var outputTail: [String]
    public var report: ReportReading?

    public init(ending: Ending, duration: Duration, finishedAt: Date, outputTail: [String], report: ReportReading? = nil) {
        self.ending = ending
        self.duration = duration
        self.finishedAt = finishedAt
        self.outputTail = outputTail
        self.report = report
    }

    /// How many lines of output a result keeps.
    public static let tailLines = 20
}

/// Judges a command's run against its check: the status, the one line, and what was observed.
public enum CommandEvaluation {
    public static func judge(_ run: CommandRun, check: CommandCheck) -> (status: CheckStatus, detail: String, observed: [String: ObservedValue]) {
        var observed: [String: ObservedValue] = [
            "duration_ms": .number((Double(run.duration.components.seconds) * 1000 + Double(run.duration.components.attoseconds) / 1e15).rounded()),
            "finished_at": .text(run.finishedAt.formatted(.iso8601)),
        ]
        if !run.outputTail.isEmpty { observed["output_tail"] = .list(run.outputTail) }
        let took = " in \(seconds(run.duration))"
        let lastLine = run.outputTail.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }).map { ": \($0)" } ?? ""
        let code: Int32
        switch run.ending {
        case .couldNotStart(let why):
            return (.unknown, "cannot run it: \(why)", observed)
        case .timedOut:
            let limit = PlanDuration.format(check.timing.timeout ?? CommandCheck.defaultTimeout)
            return (.fail, "still running after its \(limit) timeout: killed with every process it started\(lastLine)", observed)
        case .signalled(let signal):
            observed["signal"] = .number(Double(signal))
            return (.fail, "killed by signal \(signal) (\(signalName(signal)))\(took)\(lastLine)", observed)
        case .exited(let exitCode):
            code = exitCode
            observed["exit_code"] = .number(Double(exitCode))
        }
        // An exit code the plan maps to anything but pass decides, report or not.
        if let mapping = check.exitCodes {
            let status = mapping[code] ?? .fail
            if status != .pass {
                let meaning = mapping[code] == nil ? "an exit code exit_codes does not list" : "\(status.rawValue) per exit_codes"
                return (status, "exited \(code) (\(meaning))\(took)\(lastLine)", observed)
            }
        }
        guard let report = check.report else {
            if check.exitCodes == nil, code != 0 { return (.fail, "exited \(code)\(took)\(lastLine)", observed) }
            return (.pass, "exited \(code)\(took)", observed)
        }
        let source = report.path ?? "standard output"
        switch run.report {
        case nil, .missing?:
            return (.fail, "exited \(code) without writing a new \(report.format.title) report to \(source)\(lastLine)", observed)
        case .unreadable(let why)?:
            return (.unknown, "its \(report.format.title) report in \(source) cannot be read: \(why)", observed)
        case .read(let tests)?:
            observed["tests"] = .number(Double(tests.ran))
            observed["passed"] = .number(Double(tests.passed))
            observed["failed"] = .number(Double(tests.failed))
            observed["skipped"] = .number(Double(tests.skipped))
            if let rate = tests.passRate { observed["pass_rate"] = .number((rate * 1000).rounded() / 10) }
            if !tests.failedNames.isEmpty { observed["failed_tests"] = .list(tests.failedNames) }
            if let reason = tests.bailedOut {
                return (.fail, "the suite bailed out after \(tests.ran) tests\(reason.isEmpty ? "" : ": \(reason)")", observed)
            }
            guard tests.ran >= check.minimumTests else {
                let ran = tests.ran == 0 ? "no tests ran" : "only \(tests.ran) \(tests.ran == 1 ? "test" : "tests") ran"
                return (.fail, "\(ran)\(tests.skipped > 0 ? " (\(tests.skipped) skipped)" : ""); the plan requires at least \(check.minimumTests)", observed)
            }
            let rate = tests.passRate ?? 0
            let counts = "\(tests.passed) of \(tests.ran) tests pass (\(percent(rate))"
            if rate + 1e-9 < check.passRate {
                return (.fail, "\(counts), below the \(percent(check.passRate)) gate): \(names(tests))", observed)
            }
            let gate = check.passRate < 1 ? ", gate \(percent(check.passRate))" : ""
            let failing = tests.failed > 0 ? "; failing: \(names(tests))" : ""
            return (.pass, "\(counts)\(gate))\(took)\(failing)", observed)
        }
    }

    static func names(_ tests: TestReport) -> String {
        let shown = tests.failedNames.prefix(3).joined(separator: ", ")
        return tests.failed > 3 ? "\(shown) and \(tests.failed - 3) more" : shown
    }

    static func percent(_ share: Double) -> String {
        let tenths = (share * 1000).rounded() / 10
        return tenths.rounded() == tenths ? "\(Int(tenths))%" : "\(tenths)%"
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value < 10 ? String(format: "%.1f s", value) : value < 120 ? "\(Int(value.rounded())) s" : PlanDuration.format(.seconds(Int64(value)))
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case 6: "SIGABRT"
        case 9: "SIGKILL, often the out-of-memory killer"
        case 11: "SIGSEGV, a crash"
        case 15: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
