import ArgumentParser
import FlightdeckCore
import CGlibc
import Foundation

/// The `flightdeck` command: the cockpit by default, and the headless subcommands.
struct Flightdeck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flightdeck",
        abstract: "A terminal launch cockpit: DNS, certificates, health, alarms, checklist and the go/no-go poll.",
        discussion: """
            Exit codes: 0 go (or done), 1 no-go (a blocker fails or is not known to pass) or \
            refused (the go/no-go workflow said no, and why), 2 a usage or plan error.
            """,
        version: FlightdeckVersion.current,
        subcommands: [RunCommand.self, DemoCommand.self, PlanCommand.self, CheckCommand.self, WatchCommand.self, AgentCommand.self, VoteCommand.self,
                      ChecklistCommand.self, RerunCommand.self, HoldCommand.self, ResumeCommand.self, PollCommand.self, OverrideCommand.self, ReportCommand.self, TimelineCommand.self,
                      AuditCommand.self, StateCommand.self, ApproverCommand.self, VersionCommand.self],
        defaultSubcommand: RunCommand.self)
}

/// Runs the command line with the exit codes the headless contract promises: argument
/// errors exit 2 (argument-parser's own default is 64).
@main
enum Main {
    static func main() async {
        // glibc gives each thread that allocates at once an arena of its own, up to eight per
        // core, and each keeps its freed pages: several hundred KiB of private memory per
        // thread in every session, for a program that allocates little. Two are plenty.
        mallopt(M_ARENA_MAX, 2)
        if let topic = unknownHelpTopic(Array(CommandLine.arguments.dropFirst())) {
            Console.error("Error: there is no command `\(topic)`; `flightdeck --help` lists them")
            exit(2)
        }
        do {
            var command = try Flightdeck.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exitCode as ExitCode {
            exit(exitCode.rawValue)
        } catch {
            let message = Flightdeck.fullMessage(for: error)
            if Flightdeck.exitCode(for: error) == .success {
                Console.out(message)
                exit(0)
            }
            Console.error(message)
            exit(2)
        }
    }
}

extension Main {
    /// `flightdeck help NAME...` for a command that does not exist: argument-parser would
    /// print the top-level help and exit 0, as if the question had been answered.
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.first == "help" else { return nil }
        var command: any ParsableCommand.Type = Flightdeck.self
        for name in arguments.dropFirst() where !name.hasPrefix("-") {
            guard let found = command.configuration.subcommands.first(where: { $0._commandName == name }) else { return name }
            command = found
        }
        return nil
    }
}

/// Where the commands write, and the only way they do: output to stdout, diagnostics and
/// errors to stderr. Everything goes out inert (a plan can arrive in a pull request, an
/// argument or a journal entry can hold anything): no control, escape or bidi character
/// reaches the terminal as itself.
enum Console {
    static func error(_ text: String) {
        _ = write(STDERR_FILENO, RemoteText.inert(text) + "\n")
    }

    /// Text on stdout, with a line feed after it unless `terminator` says otherwise.
    static func out(_ text: String, terminator: String = "\n") {
        _ = write(STDOUT_FILENO, RemoteText.inert(text) + terminator)
    }

    /// A JSON document on stdout, its strings' unsafe characters escaped.
    static func json(_ text: String) {
        _ = write(STDOUT_FILENO, RemoteText.inertJSON(text) + "\n")
    }

    /// A document made into JSON and printed; one that cannot be made is an error that says
    /// why (exit 2), not a crash.
    static func json(_ make: () throws -> String) throws {
        do {
            json(try make())
        } catch {
            Console.error("flightdeck: cannot write it as JSON: \(error)")
            throw ExitCode.usageOrPlanError
        }
    }

    /// A line on stdout at once, unbuffered even into a pipe: for output that follows a
    /// running launch. False when nobody reads it any more (the pipe was closed).
    @discardableResult
    static func line(_ text: String) -> Bool {
        write(STDOUT_FILENO, RemoteText.inert(text) + "\n")
    }

    private static func write(_ descriptor: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}

/// Exit codes of the headless contract.
extension ExitCode {
    static let noGo = ExitCode(1)
    static let usageOrPlanError = ExitCode(2)
}
