import ArgumentParser
import FlightdeckCore
import FlightdeckDemo
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A whole simulated go-live on loopback, then the cockpit on it: nothing to set up.",
        discussion: """
            Starts, inside this process, the launch's web servers (with certificates made now), \
            the parent zone, the old and new DNS providers, five caching resolvers and an \
            Alertmanager, all on 127.0.0.0/8. The cutover propagates over about three minutes \
            while an endpoint flaps, latency breaches its budget and an alert fires, then all \
            clears and the go/no-go poll can end in GO. On exit it prints the launch day as the \
            timeline recorded it, then removes everything it made.
            """)

    @Option(help: "Run the story this many times faster (1 to 60).")
    var speed: Double = 1

    @Flag(help: "No terminal: print each change of the verdict, checks, alarms and poll, one line each.")
    var headless = false

    @Option(help: "The theme: default, light, high-contrast, monochrome, colourblind, or one of yours.")
    var theme = "default"

    func run() async throws {
        if !headless, isatty(STDOUT_FILENO) != 1 || isatty(STDIN_FILENO) != 1 {
            Console.error("flightdeck: the cockpit needs a terminal; use `flightdeck demo --headless` without one")
            throw ExitCode.usageOrPlanError
        }
        let loadedTheme = try CockpitFiles.theme(named: theme)
        let keymap = try CockpitFiles.keymap(named: "default")
        // Before the world's threads start: a Ctrl-C while it starts still cleans up.
        TerminationSignals.install()
        let world: DemoWorld
        do { world = try DemoWorld(speed: speed) } catch {
            Console.error("flightdeck: the demo could not start: \(error)")
            throw ExitCode.usageOrPlanError
        }
        defer { world.stop() }
        if TerminationSignals.received { return }
        let planArgument = try PlanArgument.parse([world.planPath])
        let plan = try planArgument.load()
        Console.line(introduction(world))
        if headless {
            await LaunchWatch(plan: plan, planPath: world.planPath, planDirectory: planArgument.directory).run()
        } else {
            let pins = DemoWorld.approvers.map { "\($0.name.split(separator: " ")[0]) \($0.pin)" }.joined(separator: " · ")
            await Cockpit(plan: plan, planPath: world.planPath, planDirectory: planArgument.directory, theme: loadedTheme, keymap: keymap,
                          readOnly: false, alert: .bell, greeting: "demo PINs: \(pins) · a acts, ? helps",
                          notes: ["demo PINs: \(pins)",
                                  "from another terminal: flightdeck vote \(world.planPath) --role business go --approver \"Sam Okafor\""]).run()
        }
        printTimeline(planArgument)
        Console.line("The demo has ended: its servers are stopped and \(world.directory) is removed.")
    }

    /// The launch day as the timeline recorded it, as `flightdeck timeline` prints it.
    private func printTimeline(_ planArgument: PlanArgument) {
        let session: LaunchSession, review: TimelineReview
        do {
            session = try LaunchSession.open(planArgument)
            review = try session.timelineReview(state: try session.journalState())
        } catch {
            Console.line("The launch day's timeline cannot be printed: \(error)")
            return
        }
        Console.line("The launch day, as the timeline recorded it (flightdeck timeline PLAN prints it while the demo runs):")
        for line in TimelineReview.lines(review.entries, plan: session.plan) + [""] + review.summaryLines { Console.line(line) }
    }

    private func introduction(_ world: DemoWorld) -> String {
        let approvers = DemoWorld.approvers.map { "  \($0.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \($0.role.padding(toLength: 16, withPad: " ", startingAt: 0)) PIN \($0.pin)" }
        return """
            Flightdeck demo: the DirectFanz go-live, simulated on loopback at \(world.clock.speed.formatted())x speed.
            Plan: \(world.planPath) (removed on exit; other commands work on it meanwhile, e.g.
              flightdeck vote \(world.planPath) --role infrastructure go --approver "Dana Whitfield")
            Approvers:
            \(approvers.joined(separator: "\n"))
            """
    }
}
