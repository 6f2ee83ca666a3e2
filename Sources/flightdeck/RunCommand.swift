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

    @OptionGroup var vantage: VantageOption
    @OptionGroup var metrics: MetricsOption

    func run() async throws {
        let loaded = try plan.load()
        let theme = try CockpitFiles.theme(named: theme)
        let keymap = try CockpitFiles.keymap(named: keymap)
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            Console.error("flightdeck: the cockpit needs a terminal; for scripts and CI use `flightdeck check \(plan.path)`")
            throw ExitCode.usageOrPlanError
        }
        await Cockpit(plan: loaded, planPath: plan.path, planDirectory: plan.directory, theme: theme, keymap: keymap,
                      readOnly: readOnly, alert: alert, vantage: try vantage.name(), metrics: try metrics.endpoint()).run()
    }

}

extension Cockpit.AlertStyle: ExpressibleByArgument {}
