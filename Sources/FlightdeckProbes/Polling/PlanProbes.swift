import FlightdeckCore

/// The probes for a plan's checks, and one full poll of them for `flightdeck check`.
public enum PlanProbes {
    /// Every check of the plan that has a probe in this build.
    /// - Parameters:
    ///   - commands: whether this process runs the plan's commands or only shows them.
    ///   - results: where command results are shared with the plan's other processes.
    ///   - only: the checks to probe, when not all (a vantage runs its own).
    public static func make(for plan: LaunchPlan, planDirectory: String?, commands: CommandRole = .runs,
                            results: CommandResults = CommandResults(stateDirectory: nil), only: Set<String>? = nil) -> [any Probe] {
        let probes = all(for: plan, planDirectory: planDirectory, commands: commands, results: results)
        guard let only else { return probes }
        return probes.filter { only.contains($0.checkID) }
    }

    private static func all(for plan: LaunchPlan, planDirectory: String?, commands: CommandRole, results: CommandResults) -> [any Probe] {
        let servers = DNSServers(plan: plan, planDirectory: planDirectory)
        let delegation: [any Probe] = plan.dns.expectedNameservers.isEmpty ? []
            : [DelegationProbe(plan: plan, servers: servers), DNSSECProbe(plan: plan, servers: servers)]
        return delegation
            + (plan.dns.rdap.map { [RDAPProbe(check: $0, plan: plan, planDirectory: planDirectory, servers: servers)] } ?? [])
            + plan.dns.records.map { DNSRecordProbe(record: $0, polling: plan.polling, quorum: plan.dns.quorum, servers: servers) }
            + plan.httpChecks.map { HTTPProbe(check: $0, polling: plan.polling, planDirectory: planDirectory) }
            + plan.tlsEndpoints.map { TLSProbe(endpoint: $0, polling: plan.polling, planDirectory: planDirectory, servers: servers) }
            + plan.commandChecks.map { CommandProbe(check: $0, role: commands, results: results, planDirectory: planDirectory) }
            + plan.metricChecks.map { MetricProbe(check: $0, polling: plan.polling) }
            + plan.awsChecks.map { AWSProbe(check: $0, polling: plan.polling) }
    }

    /// Runs every probe once, at most `concurrency` at a time; outcomes in the probes' order.
    public static func pollOnce(_ probes: [any Probe], concurrency: Int) async -> [ProbeOutcome] {
        await withTaskGroup(of: (Int, ProbeOutcome).self) { group in
            var outcomes = [ProbeOutcome?](repeating: nil, count: probes.count)
            var next = 0
            func startNext() {
                guard next < probes.count else { return }
                let index = next
                let probe = probes[index]
                group.addTask { (index, await probe.run(at: .zero)) }
                next += 1
            }
            for _ in 0..<max(1, concurrency) { startNext() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                startNext()
            }
            return outcomes.compactMap { $0 }
        }
    }
}
