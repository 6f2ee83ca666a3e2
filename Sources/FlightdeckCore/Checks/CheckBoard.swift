import Foundation

/// Every check of a plan and where it stands: the part of the cockpit's state that probe
/// outcomes feed. Outcomes arrive as events; `record` is the reducer step for them.
public struct CheckBoard: Sendable, Equatable {
    public let checks: [CheckDescriptor]
    public private(set) var health: [String: CheckHealth]
    /// Each check's current status and reason, in plan order; kept up to date as outcomes
    /// arrive, because every frame reads it.
    public private(set) var reports: [CheckReport]
    private let positions: [String: Int]
    /// The probe agents' results, from the shared state.
    public private(set) var vantages: VantageBoard
    /// This process's clock, for how long an agent has been silent.
    public private(set) var now: Date

    /// - Parameter vantage: the name this host's own results go by among the vantages.
    public init(plan: LaunchPlan, now: Date = Date(), vantage: String = VantageSettings.local) {
        vantages = VantageBoard(settings: plan.vantages, localName: vantage)
        self.now = now
        checks = plan.checks
        // A command's run is deliberate and slow: one failed run is red, one good run green.
        health = Dictionary(uniqueKeysWithValues: plan.checks.map {
            ($0.id, $0.kind == .command ? CheckHealth(failureThreshold: 1, successThreshold: 1)
                : CheckHealth(failureThreshold: plan.polling.failureThreshold, successThreshold: plan.polling.successThreshold))
        })
        reports = checks.map { CheckReport(check: $0, status: .unknown, detail: CheckHealth.waiting) }
        positions = Dictionary(checks.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        if vantages.hasAgents { refreshVantageChecks() }
    }

    /// Applies one probe outcome of this host's; an outcome for a check the plan does not
    /// have is ignored.
    public mutating func record(_ outcome: ProbeOutcome) {
        guard let position = positions[outcome.checkID] else { return }
        health[outcome.checkID]?.record(outcome)
        reports[position] = report(at: position)
    }

    /// The check's report now, by its id.
    public func report(for id: String) -> CheckReport? {
        positions[id].map { reports[$0] }
    }

    /// Applies what the shared state says of the probe agents.
    public mutating func apply(_ reading: VantageReading) {
        vantages.apply(reading)
        refreshVantageChecks()
    }

    /// Moves the clock on: an agent silent for too long turns its checks unknown.
    public mutating func advance(to date: Date) {
        now = date
        if vantages.hasAgents { refreshVantageChecks() }
    }

    /// Each vantage's view of a check, this host's first, when it is seen from more than this
    /// host; empty otherwise.
    public func views(of check: CheckDescriptor) -> [VantageView] {
        positions[check.id].flatMap { vantages.views(of: localReport(at: $0), now: now) } ?? []
    }

    /// What each vantage sees of the checks seen from more than this host, by check id.
    public var vantageEvidence: [String: [EvidenceVantage]] {
        vantages.evidence(checks.indices.map(localReport(at:)), now: now)
    }

    /// Whether a check's status is combined from more than this host's view.
    public func isCombined(_ check: CheckDescriptor) -> Bool {
        !views(of: check).isEmpty
    }

    private mutating func refreshVantageChecks() {
        for position in checks.indices where checks[position].kind.isSeenFromVantages { reports[position] = report(at: position) }
    }

    /// The check as this host sees it, after its thresholds.
    private func localReport(at position: Int) -> CheckReport {
        let current = health[checks[position].id]
        return CheckReport(check: checks[position], status: current?.status ?? .unknown, detail: current?.reason ?? CheckHealth.waiting,
                           observed: current?.latest?.observed ?? [:])
    }

    /// The check as this host sees it, combined with the agents' views by the plan's quorum.
    private func report(at position: Int) -> CheckReport {
        vantages.combine(localReport(at: position), now: now)
    }

    public var verdict: CheckVerdict { CheckVerdict(reports: reports) }
}
