import FlightdeckCore
import Foundation
import Synchronization

/// Whether a process runs the plan's commands or only shows the results others store.
public enum CommandRole: Sendable, Equatable {
    /// Runs a command when its result is due (or a rerun was asked for) and nobody else on
    /// the plan is running it: the cockpit, `watch` and `check`.
    case runs
    /// Only reads the shared results: a read-only cockpit.
    case observes
}

/// A command check: a test suite or script run on its interval, once for every process on
/// the plan. Every few seconds it looks at the shared result; when the result is due and
/// this process runs commands, it takes the run lock and runs the command itself.
public final class CommandProbe: Probe {
    public let check: CommandCheck
    public var checkID: String { check.id }
    /// How often the shared result is looked at, not how often the command runs.
    public let interval: Duration
    public let timeout: Duration
    private let role: CommandRole
    private let results: CommandResults
    private let planDirectory: String?
    /// This process's own last run, for when nothing is shared.
    private let own = Mutex<CommandResults.Stored?>(nil)

    static let lookInterval: Duration = .seconds(5)

    public init(check: CommandCheck, role: CommandRole, results: CommandResults, planDirectory: String?) {
        self.check = check
        self.role = role
        self.results = results
        self.planDirectory = planDirectory
        interval = min(Self.lookInterval, check.timing.interval ?? CommandCheck.defaultInterval)
        timeout = (check.timing.timeout ?? CommandCheck.defaultTimeout) + .seconds(5)
    }

    var runInterval: Duration { check.timing.interval ?? CommandCheck.defaultInterval }

    public func run(at now: Duration) async -> ProbeOutcome {
        var latest = newest()
        if role == .runs, isDue(latest) {
            let ran = await results.whileRunLocked(check.id) { () async -> CommandResults.Stored? in
                // Someone may have finished a run between the look and the lock.
                guard isDue(newest()) else { return nil }
                return await execute()
            }
            latest = (ran ?? nil) ?? newest()
        }
        guard let latest else {
            let waiting = role == .runs ? "waiting for its first run (another Flightdeck on this plan is running it)"
                : "no result yet: a read-only session shows what a session that runs commands stores"
            return ProbeOutcome(checkID: check.id, finishedAt: now, status: .unknown, detail: waiting, latency: nil, evidenceID: "none")
        }
        return outcome(latest, now: now)
    }

    /// The newer of the shared result and this process's own.
    func newest() -> CommandResults.Stored? {
        let shared = results.latest(check.id)
        let mine = own.withLock { $0 }
        guard let shared else { return mine }
        guard let mine else { return shared }
        return shared.run.finishedAt >= mine.run.finishedAt ? shared : mine
    }

    func isDue(_ latest: CommandResults.Stored?) -> Bool {
        guard let latest else { return true }
        if let asked = results.rerunRequested(check.id), asked > latest.startedAt { return true }
        return Date().timeIntervalSince(latest.run.finishedAt) >= Double(runInterval.components.seconds)
    }

    func outcome(_ stored: CommandResults.Stored, now: Duration) -> ProbeOutcome {
        var (status, detail, observed) = CommandEvaluation.judge(stored.run, check: check)
        let age = Date().timeIntervalSince(stored.run.finishedAt)
        let stale = age > Double(check.maximumAge.components.seconds)
        if stale {
            detail = "the last result is \(PlanDuration.format(.seconds(Int64(age / 60) * 60))) old, past its max_age of \(PlanDuration.format(check.maximumAge)); it said: \(detail)"
            status = .unknown
        }
        let latency = stored.run.duration
        return ProbeOutcome(checkID: check.id, finishedAt: now, status: status, detail: detail, latency: latency, observed: observed,
                            evidenceID: "\(stored.run.finishedAt.timeIntervalSince1970)\(stale ? "/stale" : "")")
    }

    /// Runs the command once, reads its report, and stores the result for everyone.
    func execute() async -> CommandResults.Stored {
        let directory = workingDirectory
        let reportPath = check.report?.path.map { $0.hasPrefix("/") ? $0 : "\(directory)/\($0)" }
        let before = reportPath.flatMap(Self.fileIdentity)
        let argv: [String] = switch check.invocation {
        case .argv(let words): words
        case .shell(let script): ["/bin/sh", "-c", script]
        }
        var environment = ProcessInfo.processInfo.environment
        for variable in check.environment { environment[variable.name] = variable.value.value }
        let startedAt = Date()
        let process = ChildProcess(argv: argv, workingDirectory: directory, environment: environment,
                                   timeout: check.timing.timeout ?? CommandCheck.defaultTimeout)
        let finished = await process.run()
        // A secret handed to the command through its environment and printed back is masked.
        let mask = SecretMask(check.environment.map(\.value))
        var run = CommandRun(ending: finished.ending, duration: finished.duration, finishedAt: Date(),
                             outputTail: finished.tail.map { mask.apply($0) })
        if let report = check.report, case .exited = finished.ending {
            run.report = read(report, path: reportPath, unchangedFrom: before, standardOutput: finished.standardOutput)
        }
        let stored = CommandResults.Stored(startedAt: startedAt, run: run)
        own.withLock { $0 = stored }
        results.store(stored, for: check.id)
        return stored
    }

    var workingDirectory: String {
        let base = planDirectory ?? FileManager.default.currentDirectoryPath
        guard let configured = check.workingDirectory else { return base }
        return configured.hasPrefix("/") ? configured : "\(base)/\(configured)"
    }

    func read(_ report: CommandCheck.Report, path: String?, unchangedFrom before: String?, standardOutput: [UInt8]) -> CommandRun.ReportReading {
        let bytes: [UInt8]
        if let path {
            guard let identity = Self.fileIdentity(path) else { return .missing("no file \(path)") }
            guard identity != before else { return .missing("\(path) is left from an earlier run") }
            guard let data = FileManager.default.contents(atPath: path) else { return .missing("cannot read \(path)") }
            guard data.count <= Self.reportCap else { return .unreadable("it is larger than \(Self.reportCap >> 20) MiB") }
            bytes = Array(data)
        } else {
            bytes = standardOutput
        }
        switch report.format {
        case .tap:
            return .read(TestReport.tap(String(decoding: bytes, as: UTF8.self)))
        case .junit:
            switch TestReport.junit(bytes) {
            case .success(let tests): return .read(tests)
            case .failure(let error): return .unreadable(error.description)
            }
        }
    }

    static let reportCap = 64 << 20

    /// What tells one version of a file from another: its inode, size and modification time.
    static func fileIdentity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_ino)/\(info.st_size)/\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }
}
