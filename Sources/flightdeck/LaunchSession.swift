import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation

/// How a command-line action proves who is acting: by the login (over SSH), or as a named
/// approver with their PIN (on a shared terminal).
struct SignerOptions: ParsableArguments {
    @Option(help: "Act as this approver, proving it with their PIN (read from the terminal, not echoed; or one line on stdin).")
    var approver: String?
}

/// A plan with its shared launch journal open, for the commands that read or change the launch.
struct LaunchSession {
    let plan: LaunchPlan
    let planArgument: PlanArgument
    let journal: LaunchJournal
    let actor: LaunchActor

    static func open(_ planArgument: PlanArgument) throws -> LaunchSession {
        let plan = try planArgument.load()
        let state = StateDirectory(planPath: planArgument.path, plan: plan)
        do {
            return LaunchSession(plan: plan, planArgument: planArgument,
                                 journal: try LaunchJournal.open(state, plan: plan), actor: .current())
        } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
    }

    /// One full poll of every check, as `flightdeck check` runs it, with the other vantages'
    /// views as the shared state holds them: the reports, and what each vantage saw of the
    /// checks seen from several.
    func pollChecks() async throws -> (reports: [CheckReport], vantages: [String: [EvidenceVantage]]) {
        let vantage = try VantageOption.resolve(nil)
        let probes = PlanProbes.make(for: plan, planDirectory: planArgument.directory, only: plan.checksProbed(by: vantage))
        let outcomes = await PlanProbes.pollOnce(probes, concurrency: plan.polling.concurrency)
        let agents = VantageLook.read(plan: plan, planPath: planArgument.path, vantage: vantage, journal: journal)
        let local = CheckReport.reports(for: plan.checks, outcomes: outcomes)
        let now = Date()
        return (VantageLook.combine(local, with: agents, now: now), agents?.evidence(local, now: now) ?? [:])
    }

    /// The actor signing an action: the named approver after their PIN checks out, or the
    /// approver the login belongs to. Every PIN try is journalled (five lock the approver out).
    func signer(_ options: SignerOptions, role: String? = nil) throws -> LaunchActor {
        guard let name = options.approver else {
            guard let approver = actor.approverByLogin(in: plan, role: role) ?? actor.approverByLogin(in: plan) else {
                Console.error("flightdeck: \(actor.login) is not an approver's login in this plan; use --approver NAME and their PIN")
                throw ExitCode.noGo
            }
            return actor.acting(as: approver.name, pinUsed: false)
        }
        guard let approver = plan.approvers.first(where: { $0.name == name }) else {
            Console.error("flightdeck: no approver is named \(name); approvers: \(plan.approvers.map(\.name).joined(separator: ", "))")
            throw ExitCode.usageOrPlanError
        }
        let pin = PINReader.read(prompt: "PIN for \(name): ")
        let signed: Result<LaunchActor, LaunchRefusal>
        do { signed = try journal.sign(as: approver, pin: pin, actor: actor) } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
        switch signed {
        case .success(let signer): return signer
        case .failure(let refusal):
            Console.error("flightdeck: \(refusal)")
            throw ExitCode.noGo
        }
    }

    /// The launch day as the timeline and the journal hold it, for a review now.
    func timelineReview(state: LaunchState) throws -> TimelineReview {
        let record = try TimelineStore(journal: journal).readAll()
        return TimelineReview(plan: plan, changes: record.changes, watches: record.watches, journal: state.history, now: Date())
    }

    func journalState() throws -> LaunchState {
        do { return try journal.state() } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
    }

    /// Appends one event and says what happened: `recorded #12: ...`, or why it was refused
    /// (exit 1). The entry is signed with the approver's SSH key when the session's
    /// ssh-agent holds one the plan lists for them.
    func record(_ event: LaunchEvent, by signer: LaunchActor, checks: [String: CheckStatus] = [:],
                vantages: [String: [EvidenceVantage]] = [:]) throws {
        let result: Result<LaunchRecord, LaunchRefusal>
        let approver = plan.approvers.first { $0.name == signer.approver }
        do {
            try journal.appendDue(by: actor, checks: checks)
            result = try journal.append(event, by: signer, checks: checks, vantages: vantages,
                                        signer: approver.flatMap { SSHAgentSigner.find(for: $0) })
        } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
        switch result {
        case .success(let record):
            let state = try journalState()
            let signed = record.signature.map { signature -> String in
                let key = signature.key.split(separator: " ")
                return " (signed with \(record.actor.approver ?? "the approver")'s \(key.first ?? "") key …\(key.last?.suffix(8) ?? ""))"
            } ?? ""
            let caveat = state.caveat(for: record.event, checks: checks).map { "; \($0)" } ?? ""
            Console.out("recorded #\(record.seq)\(signed): \(record.event.summary) — launch is \(state.phaseName)\(caveat)")
            if let problem = journal.lastWitnessProblem { Console.error("flightdeck: warning: \(problem); this head is not anchored there") }
        case .failure(let refusal):
            Console.error("flightdeck: refused: \(refusal)")
            throw ExitCode.noGo
        }
    }
}

/// Reads a PIN without echoing it: from the controlling terminal when there is one, else
/// one line from stdin (for scripts and tests).
enum PINReader {
    static func read(prompt: String) -> String {
        let tty = Foundation.open("/dev/tty", O_RDWR | O_NOCTTY)
        guard tty >= 0, isatty(STDIN_FILENO) == 1 else {
            if tty >= 0 { close(tty) }
            return readLine(strippingNewline: true) ?? ""
        }
        defer { close(tty) }
        _ = prompt.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        tcgetattr(tty, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(tty, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(tty, TCSAFLUSH, &saved)
            _ = write(tty, "\n", 1)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while Foundation.read(tty, &byte, 1) == 1, byte != 10, byte != 13, bytes.count < 64 { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
