import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import FlightdeckView
import Foundation

/// Runs the cockpit, the Elm way: probes, the clock, the journal and the terminal feed
/// events; one loop reduces each into the state, runs the effects the reducer returns, and
/// hands the state to the terminal thread to draw.
struct Cockpit {
    let plan: LaunchPlan
    let planPath: String
    let planDirectory: String
    let theme: Theme
    let keymap: Keymap
    let readOnly: Bool
    let alert: AlertStyle
    /// The name this host's own results go by among the plan's vantages.
    var vantage = VantageSettings.local
    /// Where the launch's metrics are served, if anywhere.
    var metrics: MetricsEndpoint? = nil
    /// Shown in the status line when the cockpit opens.
    var greeting: String? = nil
    /// Shown in the help overlay below the plan's file.
    var notes: [String] = []

    /// How a new critical alarm gets attention, once.
    enum AlertStyle: String, CaseIterable {
        case bell, flash, off
    }

    func run() async {
        let events = CockpitEvents()
        // An SSH drop (SIGHUP), Ctrl-C and kill end the cockpit the same way as `q`; from
        // before the terminal is taken over, so it is always given back.
        TerminationSignals.onReceive { events.emit(.action(.quit)) }
        let terminal = CockpitTerminal(view: CockpitView(theme: theme, keymap: keymap, notes: ["plan: \(planPath)"] + notes),
                                       alert: alert, emit: events.emit)
        terminal.start()
        let feeds = LaunchFeeds(plan: plan, planPath: planPath, planDirectory: planDirectory, commands: readOnly ? .observes : .runs,
                                vantage: vantage, emit: events.emit)
        let identity = LaunchActor.current()
        let results = CommandResults(stateDirectory: StateDirectory(planPath: planPath, plan: plan).path)
        let desk = feeds.journal.map { LaunchDesk(journal: $0, plan: plan, identity: identity, commandResults: results, emit: events.emit) }

        var state = CockpitState(plan: plan, now: feeds.origin, keymap: keymap, glyphs: theme.glyphs, identity: identity, readOnly: readOnly,
                                 vantage: vantage)
        if let greeting { state.reduce(.message(greeting)) }
        terminal.show(state, alert: false)
        batches: for await batch in events.batches {
            var alerting = false
            for event in batch {
                let effects = state.reduce(event)
                for effect in effects {
                    switch effect {
                    case .launch(let work): desk?.perform(work)
                    case .alert: alerting = true
                    case .quit: break batches
                    }
                }
            }
            feeds.observe(batch, state: state)
            metrics?.update(batch, state: state)
            terminal.show(state, alert: alerting)
        }
        await feeds.stop()
        metrics?.stop()
        TerminationSignals.onReceive(nil)
        await terminal.stop(showing: state)
    }
}
