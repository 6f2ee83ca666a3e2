import ArgumentParser
import FlightdeckCore
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open the cockpit on a plan (the default command: `flightdeck PLAN`).")

    @OptionGroup var plan: PlanArgument

    @Option(help: "The theme: default, light, high-contrast, monochrome, colourblind, or one of yours.")
    var theme = "default"

    @Option(help: "The keymap: default, vim, or one of yours.")
    var keymap = "default"

    @Flag(help: "Observe only: see everything, change nothing (no votes, marks or holds).")
    var readOnly = false

    @Option(help: "How a new critical alarm gets attention, once: bell, flash or off.")
    var alert: Cockpit.AlertStyle = .bell

    func run() async throws {
        let loaded = try plan.load()
        let theme = try Self.unwrap(CockpitFiles.load("Themes", name: theme, reader: { Theme.load(text: $0, file: $1) }))
        let keymap = try Self.unwrap(CockpitFiles.load("Keymaps", name: keymap, reader: { Keymap.load(text: $0, file: $1) }))
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            Console.error("flightdeck: the cockpit needs a terminal; for scripts and CI use `flightdeck check \(plan.path)`")
            throw ExitCode.usageOrPlanError
        }
        await Cockpit(plan: loaded, planPath: plan.path, planDirectory: plan.directory, theme: theme, keymap: keymap,
                      readOnly: readOnly, alert: alert).run()
    }

    static func unwrap<T>(_ result: Result<T, PlanLoadError>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let error):
            Console.error(error.description)
            throw ExitCode.usageOrPlanError
        }
    }
}

extension Cockpit.AlertStyle: ExpressibleByArgument {}
