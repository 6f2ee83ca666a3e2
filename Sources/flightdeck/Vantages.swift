import ArgumentParser
import FlightdeckCore
import FlightdeckStore
import Foundation

/// The name this host goes by among a launch's vantages: `--vantage`, else
/// `FLIGHTDECK_VANTAGE`, else `local`.
struct VantageOption: ParsableArguments {
    @Option(help: "The name this host's own results go by among the plan's vantages (default: $FLIGHTDECK_VANTAGE, else local).")
    var vantage: String?

    /// The name; exits 2 with the reason when it cannot be one.
    func name() throws -> String {
        try Self.resolve(vantage)
    }

    /// `given`, else `FLIGHTDECK_VANTAGE`, else `local`; exits 2 when it cannot be a name.
    static func resolve(_ given: String?) throws -> String {
        let name = given ?? ProcessInfo.processInfo.environment["FLIGHTDECK_VANTAGE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? VantageSettings.local
        guard LaunchPlan.isValidID(name) else {
            Console.error("flightdeck: `\(name)` is not a vantage name: up to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit")
            throw ExitCode.usageOrPlanError
        }
        return name
    }
}

/// What the shared state holds of the agents, read once: for the commands that poll the
/// checks once (`check`, `vote`, `report`).
enum VantageLook {
    /// The agents' views as a board, or nil when nobody else has a say: the plan has no check
    /// that depends on the network asking, or its shared state holds no agents (a journal in
    /// SQLite that was never made is not made by looking). A shared state that cannot be read
    /// is said on stderr; the vantages the plan declares are then not known, never green.
    static func read(plan: LaunchPlan, planPath: String, vantage: String, journal: LaunchJournal? = nil) -> VantageBoard? {
        guard plan.hasVantageChecks else { return nil }
        let state = StateDirectory(planPath: planPath, plan: plan)
        var board = VantageBoard(settings: plan.vantages, localName: vantage)
        if LaunchJournal.database(of: plan) != nil || FileManager.default.fileExists(atPath: "\(state.path)/\(VantageStore.fileName)") {
            do {
                board.apply(try VantageStore(journal: journal ?? LaunchJournal.open(state, plan: plan)).read(since: 0))
            } catch {
                Console.error("flightdeck: warning: the probe agents' results cannot be read, so only this host's are known: \(error)")
            }
        }
        return board.hasAgents ? board : nil
    }

    /// `reports` of this host's poll, each combined with the agents' views.
    static func combine(_ reports: [CheckReport], with board: VantageBoard?, now: Date = Date()) -> [CheckReport] {
        guard let board else { return reports }
        return reports.map { board.combine($0, now: now) }
    }
}
