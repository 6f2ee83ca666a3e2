/// Every check of a plan and where it stands: the part of the cockpit's state that probe
/// outcomes feed. Outcomes arrive as events; `record` is the reducer step for them.
public struct CheckBoard: Sendable, Equatable {
    public let checks: [CheckDescriptor]
    public private(set) var health: [String: CheckHealth]

    public init(plan: LaunchPlan) {
        checks = plan.checks
        health = Dictionary(uniqueKeysWithValues: plan.checks.map {
            ($0.id, CheckHealth(failureThreshold: plan.polling.failureThreshold, successThreshold: plan.polling.successThreshold))
        })
    }

    /// Applies one probe outcome; an outcome for a check the plan does not have is ignored.
    public mutating func record(_ outcome: ProbeOutcome) {
        health[outcome.checkID]?.record(outcome)
    }

    /// Each check's current status and reason, in plan order.
    public var reports: [CheckReport] {
        checks.map { check in
            let current = health[check.id]
            return CheckReport(check: check, status: current?.status ?? .unknown, detail: current?.reason ?? "",
                               observed: current?.latest?.observed ?? [:])
        }
    }

    public var verdict: CheckVerdict { CheckVerdict(reports: reports) }
}
