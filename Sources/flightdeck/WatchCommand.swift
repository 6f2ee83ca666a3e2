import ArgumentParser
import FlightdeckCore
import FlightdeckView
import Foundation

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow a launch headless: one line per change of the verdict, a check, an alarm or the go/no-go state.",
        discussion: "Runs until interrupted. Observes only: it never votes, holds or sends notifications.")

    @OptionGroup var plan: PlanArgument
    @OptionGroup var vantage: VantageOption
    @OptionGroup var metrics: MetricsOption

    func run() async throws {
        let loaded = try plan.load()
        await LaunchWatch(plan: loaded, planPath: plan.path, planDirectory: plan.directory, vantage: try vantage.name(),
                          metrics: try metrics.endpoint()).run()
    }
}

/// Polls a plan as the cockpit does and prints what changes, a line at a time, until
/// SIGINT, SIGTERM or SIGHUP, or until stdout is closed.
struct LaunchWatch {
    let plan: LaunchPlan
    let planPath: String
    let planDirectory: String
    var vantage = VantageSettings.local
    /// Where the launch's metrics are served, if anywhere.
    var metrics: MetricsEndpoint? = nil

    func run() async {
        let events = CockpitEvents()
        TerminationSignals.onReceive { events.emit(.action(.quit)) }
        let feeds = LaunchFeeds(plan: plan, planPath: planPath, planDirectory: planDirectory, commands: .runs, vantage: vantage,
                                emit: events.emit)
        var state = CockpitState(plan: plan, now: feeds.origin, readOnly: true, vantage: vantage)
        var log = WatchLog()
        batches: for await batch in events.batches {
            for event in batch {
                state.reduce(event)
                if state.quitting { break batches }
            }
            feeds.observe(batch, state: state)
            metrics?.update(batch, state: state)
            // What changed since the last look; stopped once whoever read the lines has gone (`| head`).
            if !log.lines(for: state).allSatisfy(Console.line) { break }
        }
        await feeds.stop()
        metrics?.stop()
        TerminationSignals.onReceive(nil)
    }
}
