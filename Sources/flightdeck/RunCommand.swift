import ArgumentParser
import FlightdeckCore
import FlightdeckStore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open the cockpit on a plan (the default command: `flightdeck PLAN`).")

    @OptionGroup var plan: PlanArgument

    func run() async throws {
        let loaded = try plan.load()
        let state = StateDirectory(planPath: plan.path, plan: loaded)
        // Until the cockpit lands, say plainly what it will watch instead of pretending.
        print("""
            \(loaded.summary)
            State directory: \(state.path)

            The live cockpit is not part of this build yet. It will watch these checks:
            """)
        for check in loaded.checks {
            print("  \(check.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))\(check.id): \(check.target)")
        }
        print("\nRun `flightdeck check \(plan.path)` for the headless verdict.")
    }
}
