/// Every check of a plan and where it stands: the part of the cockpit's state that probe
/// outcomes feed. Outcomes arrive as events; `record` is the reducer step for them.
public struct CheckBoard: Sendable, Equatable {
    public let checks: [CheckDescriptor]
    public private(set) var health: [String: CheckHealth]
    /// Each check's current status and reason, in plan order; kept up to date as outcomes
    /// arrive, because every frame reads it.
    public private(set) var reports: [CheckReport]
    private let positions: [String: Int]

    public init(plan: LaunchPlan) {
        checks = plan.checks
        // A command's run is deliberate and slow: one failed run is red, one good run green.
        health = Dictionary(uniqueKeysWithValues: plan.checks.map {
            ($0.id, $0.kind == .command ? CheckHealth(failureThreshold: 1, successThreshold: 1)
                : CheckHealth(failureThreshold: plan.polling.failureThreshold, successThreshold: plan.polling.successThreshold))
        })
        reports = checks.map { CheckReport(check: $0, status: .unknown, detail: CheckHealth.waiting) }
        positions = Dictionary(checks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Applies one probe outcome; an outcome for a check the plan does not have is ignored.
    public mutating func record(_ outcome: ProbeOutcome) {
        guard let position = positions[outcome.checkID] else { return }
        health[outcome.checkID]?.record(outcome)
        guard let current = health[outcome.checkID] else { return }
        reports[position] = CheckReport(check: checks[position], status: current.status, detail: current.reason,
                                        observed: current.latest?.observed ?? [:])
    }

    public var verdict: CheckVerdict { CheckVerdict(reports: reports) }
}
