import ArgumentParser
import FlightdeckCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Work with launch plans.",
        subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plan and report every problem in it.",
            discussion: "Exit 0 and a one-line summary when the plan is valid; exit 2 and every problem, as FILE:LINE:COLUMN: key: message, when not.")

        @OptionGroup var plan: PlanArgument

        func run() async throws {
            let loaded = try plan.load(lintOnly: true)
            Console.out("\(plan.path): valid: \(loaded.summary)")
        }
    }
}
