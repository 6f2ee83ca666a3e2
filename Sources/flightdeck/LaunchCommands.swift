import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation

struct VoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vote",
        abstract: "Vote GO or NO-GO for a role in the go/no-go poll.",
        discussion: """
            The vote records the evidence it was cast on: every blocker's state from one full poll \
            of the checks, run first. The director's GO is the final GO. Exit 1 when the workflow \
            refuses the vote, with the reason.
            """)

    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case go, noGo = "no-go"
    }

    @OptionGroup var plan: PlanArgument
    @Option(help: "The role voting, as the plan names it.") var role: String
    @Argument(help: "go or no-go.") var choice: Choice
    @Option(help: "Why; required for a NO-GO.") var reason: String?
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        let signed = try session.signer(signer, role: role)
        let (reports, vantages) = try await session.pollChecks()
        // The journal fills in the evidence as it writes the vote.
        let placeholder = VoteEvidence(items: [], digest: "")
        try session.record(.voteCast(role: role, choice: choice == .go ? .go : .noGo, reason: reason, evidence: placeholder),
                           by: signed, checks: reports.statusesByID, vantages: vantages)
    }
}

struct ChecklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checklist",
        abstract: "Mark a checklist item done, failed, waived or pending, with a note.",
        discussion: "Items linked to checks are proved by them, not marked done by hand. Waiving needs a --note saying why.")

    @OptionGroup var plan: PlanArgument
    @Argument(help: "The item's id.") var item: String
    @Argument(help: "done, failed, waived or pending.") var mark: ChecklistMark
    @Option(help: "A note; the reason, for waived.") var note: String?
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        try session.record(.checklistMarked(item: item, mark: mark, note: note), by: try session.signer(signer))
    }
}

extension ChecklistMark: ExpressibleByArgument {}

struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Ask for a command check (a test suite, a script) to run again now, not at its interval.",
        discussion: """
            The request is journalled with who asked; the Flightdeck on the plan that runs commands \
            (a cockpit that is not read-only, or watch) runs it within 5 seconds, and every session \
            shows the new result.
            """)

    @OptionGroup var plan: PlanArgument
    @Argument(help: "The command check's id.") var check: String
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        try session.record(.rerunRequested(check: check), by: try session.signer(signer))
        do {
            try CommandResults(stateDirectory: StateDirectory(planPath: plan.path, plan: session.plan).path).requestRerun(check)
        } catch {
            Console.error("flightdeck: recorded, but the request could not be left for the runner: \(error)")
            throw ExitCode.usageOrPlanError
        }
    }
}

struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Stop the launch clock: a hold, with a reason.")

    @OptionGroup var plan: PlanArgument
    @Option(help: "Why the launch holds.") var reason: String
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        try session.record(.holdStarted(kind: .manual, reason: reason), by: try session.signer(signer))
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "End a hold (the director), with a reason.",
        discussion: "The countdown resumes if the poll still stands; otherwise the poll is taken again.")

    @OptionGroup var plan: PlanArgument
    @Option(help: "Why the launch may go on.") var reason: String
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        try session.record(.resumed(reason: reason), by: try session.signer(signer))
    }
}

struct PollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll",
        abstract: "Open the go/no-go poll, start the countdown, launch, or scrub.")

    enum Step: String, ExpressibleByArgument, CaseIterable {
        case open, countdown, launch, scrub
    }

    @Argument(help: "open, countdown, launch or scrub.") var step: Step
    @OptionGroup var plan: PlanArgument
    @Option(help: "Why; required to scrub.") var reason: String?
    @OptionGroup var signer: SignerOptions

    func run() async throws {
        let session = try LaunchSession.open(plan)
        let event: LaunchEvent = switch step {
        case .open: .pollOpened
        case .countdown: .countdownStarted
        case .launch: .launched
        case .scrub: .scrubbed(reason: reason ?? "")
        }
        try session.record(event, by: try session.signer(signer))
    }
}

struct OverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Break-glass: ask to waive red blockers, or approve another approver's request.",
        discussion: """
            An override is in force once a second, different approver approves it: \
            `flightdeck override PLAN --waive api-health --reason ...`, then \
            `flightdeck override PLAN --approve 14` by someone else.
            """)

    @OptionGroup var plan: PlanArgument
    @Option(help: "A blocker to waive: a check id, or checklist:ITEM. Repeat for several.") var waive: [String] = []
    @Option(help: "Why the launch may go on with it red.") var reason: String?
    @Option(help: "Approve the override request with this entry number.") var approve: Int?
    @OptionGroup var signer: SignerOptions

    func validate() throws {
        guard (approve == nil) != waive.isEmpty else { throw ValidationError("give either --waive (with --reason) or --approve") }
    }

    func run() async throws {
        let session = try LaunchSession.open(plan)
        let event: LaunchEvent = approve.map { .overrideApproved(request: $0) } ?? .overrideRequested(waive: waive, reason: reason ?? "")
        try session.record(event, by: try session.signer(signer))
    }
}

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The launch decision as a report: every vote with its evidence, overrides, the checklist, every check, the timeline.",
        discussion: "Checks are polled once for the report; the journal is verified and its head hash printed (exit 1 when it fails verification).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case md, json }

    @OptionGroup var plan: PlanArgument
    @Option(help: "md or json.") var format: Format = .md

    func run() async throws {
        let session = try LaunchSession.open(plan)
        let reports = try await session.pollChecks().reports
        let state = try session.journalState()
        let verification = try session.journal.verify()
        var timeline: TimelineReview.Document?
        do { timeline = try session.timelineReview(state: state).document(plan: session.plan) } catch {
            Console.error("flightdeck: warning: the report has no timeline: \(error)")
        }
        let report = LaunchReport(state: state, checks: reports, checkedAt: Date(), journalHead: verification.head,
                                  journalProblem: verification.problem.map { "at entry \(verification.firstBad ?? 0): \($0)" }, timeline: timeline)
        if format == .json { try Console.json { try report.json() } } else { Console.out(report.markdown(), terminator: "") }
        // The report is printed either way; a journal that fails verification fails the command.
        if !verification.passed { throw ExitCode.noGo }
    }
}

struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Move the launch's shared state between SQLite and PostgreSQL.",
        subcommands: [Copy.self])

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the launch's journal, entry for entry, into an empty one elsewhere; the chain is verified on both sides.",
            discussion: """
                FROM and TO are a state directory (the journal in SQLite there) or a postgresql:// URL \
                without a password (libpq takes it from PGPASSWORD, PGPASSFILE or a client certificate; \
                a password on the command line would show in ps). FROM defaults to where the plan keeps its \
                journal now. Copy while nobody appends; then point the plan's launch.state (or \
                FLIGHTDECK_STATE) at TO.
                """)

        @OptionGroup var plan: PlanArgument
        @Option(help: "Where the journal is now (default: where the plan says).") var from: String?
        @Option(help: "An empty journal to copy into.") var to: String

        func run() async throws {
            let loaded = try plan.load()
            let state = StateDirectory(planPath: plan.path, plan: loaded)
            func open(_ location: String) throws -> LaunchJournal {
                if location.hasPrefix("postgresql://") || location.hasPrefix("postgres://") {
                    guard PostgresLocation.password(in: location) == nil else {
                        Console.error("flightdeck: refused: \(PostgresLocation.withoutPassword(location)) holds a password, which ps would show; "
                                      + "give it in PGPASSWORD or PGPASSFILE")
                        throw ExitCode.usageOrPlanError
                    }
                    return try LaunchJournal(postgresql: location, plan: loaded, witness: state.witness)
                }
                return try LaunchJournal(directory: location, plan: loaded, witness: state.witness)
            }
            do {
                let source = try from.map(open) ?? LaunchJournal.open(state, plan: loaded)
                let destination = try open(to)
                let (entries, head) = try source.copy(to: destination)
                Console.out("copied \(entries) entries from \(source.path) to \(destination.path); both verify, head \(head)")
            } catch let exit as ExitCode {
                throw exit
            } catch {
                Console.error("flightdeck: \(error)")
                throw ExitCode.usageOrPlanError
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check or print the launch journal.",
        subcommands: [Verify.self, Show.self, Restart.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the journal's hash chain and check its signatures and anchors; exit 1 naming the first bad entry.",
            discussion: """
                An anchor is a head hash noted outside the state directory: from a notification, a report, \
                or the plan's witness file (read every time). Give it as HASH, SEQ:HASH, or a FILE of such \
                lines; verify fails if the journal no longer holds it where it was taken.
                """)

        @OptionGroup var plan: PlanArgument
        @Option(help: "A head the journal must still hold: HASH, SEQ:HASH, or a file of them. Repeat for several.")
        var anchor: [String] = []

        func run() async throws {
            let session = try LaunchSession.open(plan)
            var anchors: [LaunchJournal.Anchor] = []
            for given in anchor {
                if let parsed = LaunchJournal.Anchor.parse(given.replacingOccurrences(of: ":", with: " ")) {
                    anchors.append(parsed)
                } else if let data = FileManager.default.contents(atPath: given) {
                    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { LaunchJournal.Anchor.parse(String($0)) }
                    guard !lines.isEmpty else {
                        Console.error("flightdeck: \(given) holds no anchors (lines of HASH or SEQ HASH)")
                        throw ExitCode.usageOrPlanError
                    }
                    anchors += lines
                } else {
                    Console.error("flightdeck: --anchor \(given) is neither a 64-digit hash, SEQ:HASH, nor a readable file")
                    throw ExitCode.usageOrPlanError
                }
            }
            let verification: LaunchJournal.Verification
            do { verification = try session.journal.verify(anchors: anchors) } catch {
                Console.error("flightdeck: \(error)")
                throw ExitCode.usageOrPlanError
            }
            if let bad = verification.firstBad {
                Console.out("FAILED at entry \(bad): \(verification.problem ?? "")")
                Console.out("entries 1 to \(verification.entries) check out; the last good hash is \(verification.head)")
                throw ExitCode.noGo
            }
            let held = verification.anchorsHeld
            let anchored = held == 0 ? "no anchors given" : "\(held) anchor\(held == 1 ? "" : "s") held"
            Console.out("OK: \(verification.entries) entries, chain intact; head \(verification.head)")
            Console.out("signed by key \(verification.signedByKey), by PIN \(verification.pinAttested), by login \(verification.loginAttested); \(anchored)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the journal: every entry, who, when, what.")

        @OptionGroup var plan: PlanArgument

        func run() async throws {
            let session = try LaunchSession.open(plan)
            let state = try session.journalState()
            for record in state.history {
                Console.out(RemoteText.sanitize("#\(record.seq)  \(LaunchRecord.timestamp(record.at))  \(record.actor.summary) pid \(record.actor.pid)  "
                                                + "[\(record.attestation)]  \(record.event.summary)", limit: 4096))
            }
            if let broken = state.journalBreak {
                Console.out("BROKEN: \(broken); run `flightdeck audit verify`")
                throw ExitCode.noGo
            }
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a broken journal aside and start a new one (the director, by their own login).",
            discussion: """
                Only when the chain is broken: the old file is kept beside the new one as \
                launch.sqlite.broken-TIME (export it with `audit show` first), and the new journal's \
                first entry says where the old one broke, its last good head, and why it was restarted. \
                A PIN is not accepted here: a broken journal cannot record the try, so it is not checked.
                """)

        @OptionGroup var plan: PlanArgument
        @Option(help: "Why the journal is restarted.") var reason: String

        func run() async throws {
            let session = try LaunchSession.open(plan)
            guard let broken = try session.journalState().journalBreak else {
                Console.error("flightdeck: refused: the journal holds together (`flightdeck audit verify`); only a broken one is restarted")
                throw ExitCode.noGo
            }
            let director = session.plan.poll.director
            guard let approver = session.actor.approverByLogin(in: session.plan, role: director) else {
                Console.error("flightdeck: refused: only the \(director) restarts the journal, from their own login")
                throw ExitCode.noGo
            }
            let aside: String
            do {
                let head = try session.journal.verify().head
                aside = try session.journal.setAside()
                let fresh = try LaunchSession.open(plan)
                try fresh.record(.journalRestarted(brokenAt: broken.seq, problem: broken.problem, lastGoodHead: head, reason: reason),
                                 by: fresh.actor.acting(as: approver.name, pinUsed: false))
            } catch let exit as ExitCode {
                throw exit
            } catch {
                Console.error("flightdeck: \(error)")
                throw ExitCode.usageOrPlanError
            }
            Console.out("the broken journal is kept as \(aside)")
        }
    }
}

struct ApproverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approver",
        abstract: "Tools for approvers.",
        subcommands: [HashPIN.self])

    struct HashPIN: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-pin",
            abstract: "Make a salted scrypt hash of a PIN for an approver's pin_hash in the plan.",
            discussion: "The PIN is asked twice and never echoed (or read as two lines from stdin). It must be 4 to 8 digits.")

        func run() throws {
            let pin = PINReader.read(prompt: "PIN (4 to 8 digits): ")
            guard (4...8).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                Console.error("flightdeck: a PIN is 4 to 8 digits")
                throw ExitCode.usageOrPlanError
            }
            guard PINReader.read(prompt: "Again: ") == pin else {
                Console.error("flightdeck: the two PINs differ")
                throw ExitCode.usageOrPlanError
            }
            Console.out(Crypto.hashPIN(pin))
        }
    }
}
