import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run one full poll of every check in a plan, headless.",
        discussion: "Exit 0 when every blocker passes, 1 when any fails or is not known to pass, 2 on a usage or plan error.")

    @OptionGroup var plan: PlanArgument

    @Flag(help: "Print one JSON document (see README.md) instead of a table.")
    var json = false

    @OptionGroup var vantage: VantageOption

    func run() async throws {
        let loaded = try plan.load()
        let vantageName = try vantage.name()
        // A fresh result a cockpit on the plan stored is used, not run again; one this run
        // makes is stored for them. Without a state directory nothing is shared.
        let state = StateDirectory(planPath: plan.path, plan: loaded).path
        let probes = PlanProbes.make(for: loaded, planDirectory: plan.directory, commands: .runs,
                                     results: CommandResults(stateDirectory: FileManager.default.fileExists(atPath: state) ? state : nil),
                                     only: loaded.checksProbed(by: vantageName))
        async let external = withTaskGroup(of: [Alarm].self) { group in
            for probe in loaded.alarmSources.map({ AlarmSourceProbe(source: $0, plan: loaded) }) {
                group.addTask { await probe.fetch(clock: .zero) }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let outcomes = await PlanProbes.pollOnce(probes, concurrency: loaded.polling.concurrency)
        // The agents' views, as the shared state holds them when this host's poll is done.
        let agents = VantageLook.read(plan: loaded, planPath: plan.path, vantage: vantageName)
        let local = CheckReport.reports(for: loaded.checks, outcomes: outcomes)
        let reports = VantageLook.combine(local, with: agents)
        let checkedAt = Date()
        let views = Dictionary(local.compactMap { report in agents?.views(of: report, now: checkedAt).map { (report.check.id, $0) } },
                               uniquingKeysWith: { first, _ in first })
        // The alarm rules see this one poll: what a single look can tell (a certificate's
        // days, a nameserver that disagrees); rules over time need the cockpit.
        var engine = AlarmEngine(plan: loaded)
        outcomes.forEach { engine.observe($0) }
        let alarms = (engine.evaluate(at: outcomes.map(\.finishedAt).max() ?? .zero) + (await external))
            .sorted { ($0.severity, $0.id) < ($1.severity, $1.id) }
        let document = CheckRunDocument(plan: loaded, file: plan.path, reports: reports, alarms: alarms, checkedAt: checkedAt, views: views)
        if json {
            Console.json(document.encoded())
        } else {
            Console.out(CheckTable(document: document).text)
        }
        if document.verdict != .go { throw ExitCode.noGo }
    }
}

/// The human-readable form of a check run: one row per check, then the verdict.
struct CheckTable {
    let document: CheckRunDocument

    var text: String {
        let header = ["STATUS", "KIND", "ID", "TARGET", "DETAIL"]
        let rows = document.checks.map { check in
            [check.status.rawValue.uppercased(), check.kind.rawValue, check.id, check.target, check.detail]
        }
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            (cells.prefix(4).enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) } + [cells[4]])
                .joined(separator: "  ")
        }
        let verdict = "\(document.verdict.rawValue.uppercased()): \(document.reason)"
        let alarms = document.alarms.map { "ALARM \($0.severity.rawValue.uppercased()) \($0.reason)" }
        return ([line(header)] + rows.map(line) + (alarms.isEmpty ? [] : [""] + alarms) + ["", verdict]).joined(separator: "\n")
    }
}
