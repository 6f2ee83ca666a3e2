import FlightdeckCore
import Foundation

/// The headless view of a running launch (`flightdeck watch`, `flightdeck demo --headless`):
/// one line per change of the checks verdict, a check's status (and, for a DNS record, its
/// propagation), an alarm, the shared journal and the launch phase.
public struct WatchLog: Sendable {
    private var verdictKey: String?
    private var lastVerdictLine: String?
    private var checks: [String: String] = [:]
    /// Each agent's standing: reporting, or silent.
    private var vantages: [String: Bool] = [:]
    /// The expected-noise windows standing at the last look.
    private var windows: Set<String> = []
    private var alarms: [String: AlarmBoard.State] = [:]
    private var seenSeq = 0
    private var phase: String?
    private var launchProblem: String?

    public init() {}

    /// The lines `state` adds to what was printed before, each starting with the time.
    public mutating func lines(for state: CockpitState) -> [String] {
        var lines: [String] = []
        let board = state.board.vantages
        for name in board.agentNames {
            let silent = board.isStale(name, now: state.now)
            defer { vantages[name] = silent }
            guard let before = vantages[name] else {
                if !silent { lines.append("vantage \(name) reporting from \(board.agents[name]?.host ?? "?")") }
                continue
            }
            guard before != silent else { continue }
            if silent {
                let silence = board.age(of: name, now: state.now).map { "no heartbeat for \(VantageView.describe($0))" } ?? "withdrawn"
                lines.append("vantage \(name) SILENT: \(silence); its results count as unknown")
            } else {
                lines.append("vantage \(name) reporting again from \(board.agents[name]?.host ?? "?")")
            }
        }
        for name in vantages.keys.sorted() where !board.agentNames.contains(name) {
            vantages[name] = nil
            lines.append("vantage \(name) withdrawn")
        }
        if let launch = state.launch {
            for window in state.plan.windows {
                let open = launch.shouldBeOpen(window, at: state.now)
                guard open != windows.contains(window.id) else { continue }
                if open {
                    windows.insert(window.id)
                    lines.append("window \(window.title) OPEN: \((window.checks + window.sources).joined(separator: ", ")) expected red; no bell, no notification")
                } else {
                    windows.remove(window.id)
                    lines.append("window \(window.title) CLOSED")
                }
            }
        }
        for report in state.board.reports where report.status != .unknown || checks[report.check.id] != nil {
            var key = report.status.rawValue
            if case .number(let percent)? = report.observed["converged_percent"] {
                key += " \(percent) \(report.observed["eta"] == nil ? "" : "eta")"
            }
            // Seen from several vantages: a line when any of them changes.
            if state.board.isCombined(report.check) {
                key += " " + state.board.views(of: report.check).map { "\($0.vantage)=\($0.status.rawValue)" }.joined(separator: ",")
            }
            guard checks[report.check.id] != key else { continue }
            checks[report.check.id] = key
            let expected = report.status == .pass ? "" : state.launch?.window(expecting: report.check.id, at: state.now).map { "expected (\($0.title)): " } ?? ""
            lines.append("check \(report.check.id) \(report.status.rawValue.uppercased()): \(expected)\(report.detail)")
        }
        for entry in state.alarms.entries where alarms[entry.alarm.id] != entry.state {
            alarms[entry.alarm.id] = entry.state
            lines.append("alarm \(entry.state.rawValue.uppercased()) \(entry.alarm.severity.rawValue) \(entry.alarm.id): "
                         + (entry.expectedIn.map { "expected (\($0)): " } ?? "") + entry.alarm.reason)
        }
        // A new verdict line when the verdict or what stands in its way changes, not when
        // only a count in the reason does. The first waits until every blocker was heard
        // from and the shared launch state was read: a broken journal makes it NO-GO.
        let verdict = CheckVerdict(reports: state.board.reports, alarms: state.alarms.standing)
        let verdictKey = "\(verdict.isGo) \(verdict.obstacles.sorted())"
        let heardFromAll = !state.board.reports.contains(where: { $0.check.severity == .blocker && $0.status == .unknown })
            && (state.launch != nil || state.launchProblem != nil)
        if verdictKey != self.verdictKey, self.verdictKey != nil || heardFromAll {
            self.verdictKey = verdictKey
            // What stands in the way can change under a line that reads the same (a flap
            // under a standing alarm): a line is printed only when it says something new.
            let line = "verdict \(verdict.isGo ? "GO" : "NO-GO"): \(verdict.reason)"
            if line != lastVerdictLine {
                lastVerdictLine = line
                lines.append(line)
            }
        }
        if state.launchProblem != launchProblem {
            let wasUnavailable = launchProblem != nil
            launchProblem = state.launchProblem
            if let problem = state.launchProblem {
                lines.append("launch state unavailable: \(problem)")
            } else if wasUnavailable {
                lines.append("launch state reachable again")
            }
        }
        if let launch = state.launch {
            for record in launch.history where record.seq > seenSeq {
                lines.append("journal #\(record.seq) \(record.actor.approver ?? record.actor.login): \(record.event.summary)")
            }
            seenSeq = max(seenSeq, launch.lastSeq)
            if launch.phaseName != phase {
                phase = launch.phaseName
                lines.append("launch \(launch.phaseName)")
            }
        }
        guard !lines.isEmpty else { return [] }
        let time = timeOfDay(state.now)
        return lines.map { RemoteText.sanitize("\(time) \($0)", limit: 1000) }
    }
}
