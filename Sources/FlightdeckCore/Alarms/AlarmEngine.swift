import Foundation

/// The alarm rules over the checks, in virtual time: probe outcomes go in as they arrive,
/// and `evaluate` says which alarms stand at a moment. Each alarm keeps the moment its
/// condition began for as long as it lasts.
///
/// Rules: a check red for N polls in a row; p95 latency over the check's budget for a
/// window; a certificate inside its warning or critical days; a new authoritative
/// nameserver disagreeing with the plan; DNS propagation stalled; a check flapping (which
/// replaces its red alarm, so a flapping check raises one alarm, not a storm).
public struct AlarmEngine: Sendable {
    public let rules: AlarmRules
    private let checks: [String: CheckDescriptor]
    private let budgets: [String: Duration]
    private let certificateDays: [String: (warning: Int, critical: Int)]
    private var tracks: [String: Track] = [:]

    struct Track: Sendable {
        var failStreak = 0
        var redSince: Duration?
        var lastDetail = ""
        var lastFailed: Bool?
        var changes: [Duration] = []
        var flappingSince: Duration?
        var latencies: [(at: Duration, latency: Duration)] = []
        var p95: Duration?
        var overBudgetSince: Duration?
        var certificate: (days: Int, since: Duration)?
        var disagreement: (text: String, since: Duration)?
        var converged: Double?
        var lastProgress: Duration?
        /// Seen from several vantages: red and flapping follow the status they combine to,
        /// not this host's probes alone.
        var combined = false
    }

    public init(plan: LaunchPlan, rules: AlarmRules? = nil) {
        self.rules = rules ?? plan.alarmRules
        checks = Dictionary(plan.checks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        budgets = Dictionary(plan.httpChecks.compactMap { check in check.expect.latencyBudget.map { (check.id, $0) } },
                             uniquingKeysWith: { first, _ in first })
        certificateDays = Dictionary(plan.tlsEndpoints.map { ($0.id, (warning: $0.warningDays, critical: $0.criticalDays)) },
                                     uniquingKeysWith: { first, _ in first })
    }

    public mutating func observe(_ outcome: ProbeOutcome) {
        guard checks[outcome.checkID] != nil, outcome.status != .unknown else { return }
        let settings = rules.settings(for: outcome.checkID)
        let now = outcome.finishedAt
        var track = tracks[outcome.checkID] ?? Track()
        let failed = outcome.status == .fail
        if !track.combined {
            if let last = track.lastFailed, last != failed { track.changes.append(now) }
            track.lastFailed = failed
            track.lastDetail = outcome.detail
            if failed {
                track.failStreak += 1
                if track.failStreak == settings.redPolls { track.redSince = now }
            } else {
                track.failStreak = 0
                track.redSince = nil
            }
        }
        if let latency = outcome.latency, let budget = budgets[outcome.checkID] {
            track.latencies.append((now, latency))
            track.latencies.removeAll { $0.at <= now - settings.latencyWindow }
            let sorted = track.latencies.map(\.latency).sorted()
            let p95 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
            track.p95 = p95
            track.overBudgetSince = p95 > budget ? (track.overBudgetSince ?? now) : nil
        }
        switch outcome.evidence {
        case .tls(let results):
            let days = results.compactMap(\.evaluation?.daysLeft).min()
            track.certificate = days.map { (days: $0, since: track.certificate?.since ?? now) }
        case .dnsRecord(let propagation):
            // A nameserver that does not answer is the red rule's business; this one is about
            // answers that contradict the plan.
            let answered: Set<PropagationCell.State> = [.previous, .other, .nxdomain, .nodata]
            if let first = propagation.disagreeingAuthorities.first(where: { answered.contains($0.state) }) {
                let seen = first.values.isEmpty ? first.state.rawValue : first.values.joined(separator: ", ")
                let text = "new nameserver \(first.server) answers \(seen) for \(propagation.record.name) \(propagation.record.type), the plan says \(propagation.record.expected.joined(separator: ", "))"
                track.disagreement = (text, track.disagreement?.since ?? now)
            } else {
                track.disagreement = nil
            }
            let converged = propagation.converged
            if track.converged == nil || converged > track.converged! { track.lastProgress = now }
            track.converged = converged
        default:
            break
        }
        tracks[outcome.checkID] = track
    }

    /// A check's status as its vantages combine it (each already past its own thresholds),
    /// or nil when this host alone sees it again. While combined, the red rule fires on the
    /// combined red at once and flapping counts its changes; what this host's probe saw
    /// still feeds latency, certificates, nameservers and stalls. Unknown changes nothing: a
    /// vantage falling silent neither raises nor clears a red.
    public mutating func observeCombined(_ report: CheckReport?, for id: String, at now: Duration) {
        guard checks[id] != nil else { return }
        var track = tracks[id] ?? Track()
        defer { tracks[id] = track }
        guard let report else {
            if track.combined { (track.combined, track.failStreak, track.redSince, track.lastFailed) = (false, 0, nil, nil) }
            return
        }
        track.combined = true
        guard report.status != .unknown else { return }
        let failed = report.status == .fail
        if let last = track.lastFailed, last != failed { track.changes.append(now) }
        track.lastFailed = failed
        track.lastDetail = report.detail
        if failed {
            track.redSince = track.redSince ?? now
            track.failStreak = max(track.failStreak, rules.settings(for: id).redPolls)
        } else {
            track.failStreak = 0
            track.redSince = nil
        }
    }

    /// The alarms standing at `now`, most severe first, then oldest first.
    public mutating func evaluate(at now: Duration) -> [Alarm] {
        var alarms: [Alarm] = []
        for (id, check) in checks {
            let settings = rules.settings(for: id)
            guard settings.enabled, var track = tracks[id] else { continue }
            func raise(_ rule: String, _ severity: AlarmSeverity, since: Duration, _ reason: String, flapping: Bool = false) {
                alarms.append(Alarm(id: "rule/\(rule)/\(id)", severity: settings.severity ?? severity, source: "rules", since: since,
                                    reason: reason, checkID: id, flapping: flapping))
            }
            let blocker = check.severity == .blocker

            // Flapping ends only once the check has held still for a whole window: a check
            // that changes twice a window is not to be trusted either.
            track.changes.removeAll { $0 <= now - settings.flapWindow }
            if track.changes.count >= settings.flapChanges {
                track.flappingSince = track.flappingSince ?? track.changes[settings.flapChanges - 1]
            } else if track.changes.isEmpty {
                track.flappingSince = nil
            }
            if let since = track.flappingSince {
                raise("flapping", .warning, since: since,
                      "\(id) is flapping: \(track.changes.count) changes in \(PlanDuration.format(settings.flapWindow)); now \(track.lastFailed == true ? "red" : "green"): \(track.lastDetail)",
                      flapping: true)
            } else if let since = track.redSince, track.failStreak >= settings.redPolls {
                raise("red", blocker ? .critical : .warning, since: since,
                      track.combined ? "\(id) red: \(track.lastDetail)" : "\(id) red for \(track.failStreak) polls: \(track.lastDetail)")
            }

            if let budget = budgets[id], let since = track.overBudgetSince, let p95 = track.p95, now - since >= settings.latencyWindow {
                raise("latency", .warning, since: since + settings.latencyWindow,
                      "\(id) p95 \(HTTPEvaluation.milliseconds(p95)) over its \(HTTPEvaluation.milliseconds(budget)) budget for \(formatSpan(now - since))")
            }

            if let certificate = track.certificate, let days = certificateDays[id] {
                // The same lines as the TLS check's: red (critical) under the critical days.
                let left = certificate.days
                let when = left < 0 ? "expired \(TLSEvaluation.days(-left)) ago" : (left == 0 ? "expires today" : "expires in \(TLSEvaluation.days(left))")
                if left < days.critical {
                    raise("certificate", .critical, since: certificate.since, "\(id): a certificate \(when) (critical under \(days.critical) days)")
                } else if left < days.warning {
                    raise("certificate", .warning, since: certificate.since, "\(id): a certificate \(when) (warning under \(days.warning) days)")
                }
            }

            if let disagreement = track.disagreement {
                raise("nameserver", .critical, since: disagreement.since, disagreement.text)
            }

            if let converged = track.converged, converged < 1, let progress = track.lastProgress, now - progress >= settings.stallWindow {
                raise("stalled", .warning, since: progress + settings.stallWindow,
                      "\(id): propagation stalled at \(Int(converged * 100))% for \(formatSpan(now - progress))")
            }
            tracks[id] = track
        }
        return alarms.sorted { ($0.severity, $0.since, $0.id) < ($1.severity, $1.since, $1.id) }
    }
}
