import FlightdeckCore
import Foundation

/// The launch in Prometheus's text exposition format (version 0.0.4), for the dashboards a
/// team already has: each check's status and latency (a histogram per check), DNS
/// convergence and ETA, certificate expiry, standing alarms by severity, the verdict, the
/// launch phase and clock, each role's vote, and each vantage's heartbeat. Names follow
/// Prometheus's conventions: a `flightdeck_` prefix, base units (`_seconds`, `_ratio`),
/// `_total` on counters, one series per state for what has states.
public struct MetricsExposition: Sendable {
    /// Latency buckets' upper bounds, in seconds.
    public static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private static let bounds = buckets.map(MetricsText.number)

    struct Histogram: Sendable {
        /// Observations per bucket (not cumulative); the last is above every bound.
        var counts = [Int](repeating: 0, count: MetricsExposition.buckets.count + 1)
        var sum = 0.0
        var count = 0
    }

    private var latencies: [String: Histogram] = [:]
    private var probes: [String: [CheckStatus: Int]] = [:]

    public init() {}

    /// Counts one of this process's probe runs: its result, and its latency when it has one.
    public mutating func observe(_ outcome: ProbeOutcome) {
        probes[outcome.checkID, default: [:]][outcome.status, default: 0] += 1
        guard let latency = outcome.latency else { return }
        let seconds = latency.timeInterval
        var histogram = latencies[outcome.checkID] ?? Histogram()
        histogram.counts[Self.buckets.firstIndex { seconds <= $0 } ?? Self.buckets.count] += 1
        histogram.sum += seconds
        histogram.count += 1
        latencies[outcome.checkID] = histogram
    }

    /// The exposition text for the launch as `state` shows it.
    public func text(for state: CockpitState) -> String {
        var out = MetricsText()
        let plan = state.plan
        out.family("flightdeck_info", .gauge, "The launch plan this Flightdeck follows.")
        out.sample("flightdeck_info", MetricsText.labels([("plan", plan.name), ("version", FlightdeckVersion.current), ("zone", plan.zone.description)]), 1)

        let reports = state.board.reports
        // Each check's labels, written once: a scrape of a thousand checks writes twenty thousand lines.
        let checkLabels = reports.map { MetricsText.labels([("check", $0.check.id), ("kind", $0.check.kind.rawValue), ("severity", $0.check.severity.rawValue)]) }
        let idLabels = reports.map { MetricsText.labels([("check", $0.check.id)]) }
        out.family("flightdeck_check_up", .gauge, "1 when the check passes (a warning passes), 0 when it fails or is not known to pass.")
        for (report, labels) in zip(reports, checkLabels) {
            out.sample("flightdeck_check_up", labels, report.status == .pass || report.status == .warn ? 1 : 0)
        }
        out.family("flightdeck_check_status", .gauge, "1 for the check's status now (pass, warn, fail, unknown), 0 for the others.")
        for (report, labels) in zip(reports, idLabels) {
            for status in CheckStatus.allCases {
                out.sample("flightdeck_check_status", labels, adding: "status", status.rawValue, report.status == status ? 1 : 0)
            }
        }
        out.family("flightdeck_check_probes_total", .counter, "Probe runs this process made of the check, by their result.")
        for (report, labels) in zip(reports, idLabels) {
            for (status, count) in (probes[report.check.id] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.sample("flightdeck_check_probes_total", labels, adding: "result", status.rawValue, Double(count))
            }
        }
        out.family("flightdeck_check_latency_seconds", .histogram, "Latency of this process's probe runs of the check (an HTTP check's total time).")
        for (report, labels) in zip(reports, idLabels) {
            guard let histogram = latencies[report.check.id] else { continue }
            var cumulative = 0
            for (index, bound) in Self.bounds.enumerated() {
                cumulative += histogram.counts[index]
                out.sample("flightdeck_check_latency_seconds_bucket", labels, adding: "le", bound, Double(cumulative))
            }
            out.sample("flightdeck_check_latency_seconds_bucket", labels, adding: "le", "+Inf", Double(histogram.count))
            out.sample("flightdeck_check_latency_seconds_sum", labels, histogram.sum)
            out.sample("flightdeck_check_latency_seconds_count", labels, Double(histogram.count))
        }

        out.family("flightdeck_dns_converged_ratio", .gauge, "The share of a DNS record's resolvers that see the new value (0 to 1).")
        for report in reports {
            if case .number(let percent)? = report.observed["converged_percent"] {
                out.sample("flightdeck_dns_converged_ratio", MetricsText.labels([("check", report.check.id)]), percent / 100)
            }
        }
        out.family("flightdeck_dns_eta_timestamp_seconds", .gauge, "When the last stale cached answer of a DNS record expires (Unix time).")
        for report in reports {
            if case .text(let eta)? = report.observed["eta"], let date = try? Date(eta, strategy: .iso8601) {
                out.sample("flightdeck_dns_eta_timestamp_seconds", MetricsText.labels([("check", report.check.id)]), date.timeIntervalSince1970.rounded())
            }
        }
        out.family("flightdeck_tls_certificate_expiry_timestamp_seconds", .gauge, "When the certificate a TLS endpoint serves expires (Unix time).")
        for report in reports where report.check.kind == .tls {
            if case .text(let notAfter)? = report.observed["not_after"], let date = try? Date(notAfter, strategy: .iso8601) {
                out.sample("flightdeck_tls_certificate_expiry_timestamp_seconds", MetricsText.labels([("check", report.check.id)]), date.timeIntervalSince1970.rounded())
            }
        }

        out.family("flightdeck_alarms", .gauge, "Alarms standing, by severity and state (firing, acknowledged, silenced).")
        for severity in AlarmSeverity.allCases {
            for alarmState in [AlarmBoard.State.firing, .acknowledged, .silenced] {
                let count = state.alarms.entries.filter { $0.alarm.severity == severity && $0.state == alarmState }.count
                out.sample("flightdeck_alarms", MetricsText.labels([("severity", severity.rawValue), ("state", alarmState.rawValue)]), Double(count))
            }
        }

        let verdict = CheckVerdict(reports: reports, alarms: state.alarms.standing)
        let decision = switch verdict.decision {
        case .go: "go"
        case .noGo: "no-go"
        case .undecided: "undecided"
        }
        out.family("flightdeck_verdict", .gauge, "1 for the checks' verdict now (go, no-go, undecided while a blocker is not yet known), 0 for the others.")
        for name in ["go", "no-go", "undecided"] { out.sample("flightdeck_verdict", MetricsText.labels([("verdict", name)]), name == decision ? 1 : 0) }

        if let launch = state.launch {
            out.family("flightdeck_launch_phase", .gauge, "1 for the launch's phase now, 0 for the others.")
            for phase in ["READINESS", "POLL OPEN", "GO", "COUNTDOWN", "HOLD", "NO-GO", "SCRUBBED", "LAUNCHED"] {
                out.sample("flightdeck_launch_phase", MetricsText.labels([("phase", phase)]), launch.phaseName == phase ? 1 : 0)
            }
            out.family("flightdeck_launch_t_minus_seconds", .gauge, "Time to T-0 on the launch clock, which stops during holds; negative after T-0.")
            out.sample("flightdeck_launch_t_minus_seconds", "", launch.tMinus(at: state.now).rounded())
            let roles = plan.hasPoll ? launch.requiredRoles + [plan.poll.director] : []
            out.family("flightdeck_poll_vote", .gauge, "1 for each role's standing vote (go, no-go, none), 0 for the others.")
            for role in roles {
                let standing = launch.votes[role].map { $0.choice == .go ? "go" : "no-go" } ?? "none"
                for name in ["go", "no-go", "none"] { out.sample("flightdeck_poll_vote", MetricsText.labels([("role", role), ("vote", name)]), name == standing ? 1 : 0) }
            }
            out.family("flightdeck_poll_vote_stale", .gauge, "1 when a role's vote went stale (a blocker it rested on turned red).")
            for role in roles { out.sample("flightdeck_poll_vote_stale", MetricsText.labels([("role", role)]), launch.votes[role]?.staleBecause == nil ? 0 : 1) }
            out.family("flightdeck_journal_entries", .gauge, "Entries in the launch journal.")
            out.sample("flightdeck_journal_entries", "", Double(launch.lastSeq))
        }
        out.family("flightdeck_launch_state_reachable", .gauge, "1 while the shared launch state can be read.")
        out.sample("flightdeck_launch_state_reachable", "", state.launchProblem == nil ? 1 : 0)

        let vantages = state.board.vantages
        out.family("flightdeck_vantage_up", .gauge, "1 while a probe agent beats, 0 once it has missed the plan's stale_after heartbeats.")
        for name in vantages.agentNames { out.sample("flightdeck_vantage_up", MetricsText.labels([("vantage", name)]), vantages.isStale(name, now: state.now) ? 0 : 1) }
        out.family("flightdeck_vantage_heartbeat_age_seconds", .gauge, "Time since a probe agent's last heartbeat.")
        for name in vantages.agentNames {
            if let age = vantages.age(of: name, now: state.now) {
                out.sample("flightdeck_vantage_heartbeat_age_seconds", MetricsText.labels([("vantage", name)]), (age.timeInterval * 10).rounded() / 10)
            }
        }
        return out.text
    }

}

/// Prometheus's text format, written a family at a time.
struct MetricsText {
    enum Kind: String {
        case gauge, counter, histogram
    }

    private(set) var text = ""

    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// A sample; `labels` as `labels(_:)` wrote them (`""` for none).
    mutating func sample(_ name: String, _ labels: String, _ value: Double) {
        text += name
        if !labels.isEmpty { text += "{\(labels)}" }
        text += " \(Self.number(value))\n"
    }

    /// A sample with one more label after `labels`.
    mutating func sample(_ name: String, _ labels: String, adding label: String, _ labelValue: String, _ value: Double) {
        text += "\(name){\(labels),\(label)=\"\(Self.escaped(labelValue))\"} \(Self.number(value))\n"
    }

    /// `key="value",...` in the order given, values escaped.
    static func labels(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",")
    }

    /// A label value as the format wants it: backslash, double quote and line feed escaped.
    static func escaped(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// `1`, `0.25`, `-3`: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
