import Foundation

/// What a session knows of the other vantages, folded from readings of the shared state:
/// the agents' last heartbeats and each one's latest result per check, placed on this
/// process's clock.
public struct VantageBoard: Sendable, Equatable {
    public struct Agent: Sendable, Equatable {
        public var host: String
        public var lastSeen: Date
        public var every: Duration
    }

    public struct Result: Sendable, Equatable {
        public var outcome: PublishedOutcome
        public var publishedAt: Date
    }

    public let settings: VantageSettings
    /// This session's own vantage: what it probes itself is seen from here.
    public let localName: String
    public private(set) var agents: [String: Agent] = [:]
    /// The latest result of each check from each agent: [check: [vantage: result]].
    public private(set) var results: [String: [String: Result]] = [:]
    public private(set) var version = 0

    public init(settings: VantageSettings, localName: String = VantageSettings.local) {
        self.settings = settings
        self.localName = localName
    }

    /// Whether any vantage but this host's has a say: agents beating, or declared.
    public var hasAgents: Bool {
        !agents.isEmpty || settings.points.contains { $0.name != localName }
    }

    public mutating func apply(_ reading: VantageReading) {
        agents = Dictionary(reading.heartbeats.filter { $0.vantage != localName }.map { beat in
            (beat.vantage, Agent(host: beat.host, lastSeen: reading.readAt.addingTimeInterval(-beat.age.timeInterval), every: beat.every))
        }, uniquingKeysWith: { first, _ in first })
        for result in reading.results where result.vantage != localName {
            results[result.outcome.check, default: [:]][result.vantage] =
                Result(outcome: result.outcome, publishedAt: reading.readAt.addingTimeInterval(-result.age.timeInterval))
        }
        // An agent that stopped cleanly withdrew its heartbeat; its results go with it,
        // unless the plan declares it (then it is waited for).
        for check in results.keys {
            results[check] = results[check]?.filter { agents[$0.key] != nil || settings.isDeclared($0.key) }
        }
        version = reading.version
    }

    /// The vantages other than this host that should have a result for `check`: the
    /// declared ones that run it, or every agent that beats or has published one.
    public func agentNames(for check: CheckDescriptor) -> [String] {
        guard check.kind.isSeenFromVantages else { return [] }
        if !settings.points.isEmpty {
            return settings.points.map(\.name).filter { $0 != localName && settings.runs(check, from: $0) }
        }
        return Set(agents.keys).union(results[check.id].map { Array($0.keys) } ?? []).sorted()
    }

    /// Every vantage other than this host's that the board knows of: declared, then the
    /// other agents by name.
    public var agentNames: [String] {
        let declared = settings.points.map(\.name).filter { $0 != localName }
        return declared + agents.keys.filter { !declared.contains($0) }.sorted()
    }

    /// How long since the agent last beat; nil if it never has (or withdrew).
    public func age(of vantage: String, now: Date) -> Duration? {
        agents[vantage].map { .seconds(max(0, now.timeIntervalSince($0.lastSeen))) }
    }

    /// Whether the agent has missed more heartbeats than the plan allows (or never beat).
    public func isStale(_ vantage: String, now: Date) -> Bool {
        guard let agent = agents[vantage], let age = age(of: vantage, now: now) else { return true }
        return age > agent.every * settings.staleAfter
    }

    /// The check as this host sees it (`local`), combined with the agents' views by the
    /// plan's quorum; exactly `local` when nobody else has a say.
    public func combine(_ local: CheckReport, now: Date) -> CheckReport {
        guard let views = views(of: local, now: now) else { return local }
        return VantageQuorum.combine(local.check, views: views, quorum: settings.quorum)
    }

    /// Each vantage's view of a check this host sees as `local`; nil when this host alone sees it.
    public func views(of local: CheckReport, now: Date) -> [VantageView]? {
        guard local.check.kind.isSeenFromVantages else { return nil }
        let view = VantageView(vantage: localName, status: local.status, reason: local.detail, observed: local.observed)
        let views = views(of: local.check, local: view, now: now)
        return views.count == 1 && views[0].vantage == localName ? nil : views
    }

    /// What each vantage saw of the checks in `reports` seen from more than this host, by
    /// check id: what a vote's evidence records.
    public func evidence(_ reports: [CheckReport], now: Date) -> [String: [EvidenceVantage]] {
        Dictionary(reports.compactMap { report in
            views(of: report, now: now).map { (report.check.id, $0.map { EvidenceVantage(vantage: $0.vantage, status: $0.status) }) }
        }, uniquingKeysWith: { first, _ in first })
    }

    /// Each vantage's view of `check`: this host's (when it runs the check) first, then the
    /// agents'. A silent agent's view is unknown, whatever it last said.
    public func views(of check: CheckDescriptor, local: VantageView?, now: Date) -> [VantageView] {
        var views: [VantageView] = []
        if let local, settings.runs(check, from: localName) { views.append(local) }
        for name in agentNames(for: check) {
            let result = results[check.id]?[name]
            if isStale(name, now: now) {
                let silence = age(of: name, now: now).map { "silent for \(VantageView.describe($0))" } ?? "has not reported"
                views.append(VantageView(vantage: name, status: .unknown, reason: "\(name) \(silence)", stale: true,
                                         outcome: result?.outcome, publishedAt: result?.publishedAt))
            } else if let result {
                views.append(VantageView(vantage: name, status: result.outcome.status, reason: result.outcome.reason,
                                         observed: result.outcome.observed, outcome: result.outcome, publishedAt: result.publishedAt))
            } else {
                views.append(VantageView(vantage: name, status: .unknown, reason: "waiting for \(name)'s first result"))
            }
        }
        return views
    }
}

/// One vantage's view of one check.
public struct VantageView: Sendable, Equatable {
    public var vantage: String
    public var status: CheckStatus
    public var reason: String
    /// The agent is silent: its last result (if any) is kept for the detail view only.
    public var stale: Bool
    /// What the vantage observed: this host's probe, or what the agent published.
    public var observed: [String: ObservedValue]
    /// What an agent published (nil for this host's own view).
    public var outcome: PublishedOutcome?
    public var publishedAt: Date?

    public init(vantage: String, status: CheckStatus, reason: String, stale: Bool = false, observed: [String: ObservedValue] = [:],
                outcome: PublishedOutcome? = nil, publishedAt: Date? = nil) {
        self.vantage = vantage
        self.status = status
        self.reason = reason
        self.stale = stale
        self.observed = observed
        self.outcome = outcome
        self.publishedAt = publishedAt
    }

    /// An age for people: `4 s`, `3 min`, `2 h`.
    public static func describe(_ age: Duration) -> String {
        let seconds = Int(age.timeInterval.rounded(.down))
        return seconds < 120 ? "\(seconds) s" : (seconds < 7200 ? "\(seconds / 60) min" : "\(seconds / 3600) h")
    }
}

/// Combines the vantages' views of a check into the one status alarms, votes and the
/// verdict see.
///
/// Red when at least `quorum` vantages fail. A vantage with no fresh result counts as
/// possibly failing: while it could make up the quorum the check is unknown, never green;
/// when even its failing could not, the check passes as a warning that names it. Fewer
/// failing than the quorum is a warning that names them.
public enum VantageQuorum {
    public static func combine(_ check: CheckDescriptor, views: [VantageView], quorum: Int) -> CheckReport {
        guard let first = views.first else {
            return CheckReport(check: check, status: .unknown, detail: "no vantage runs this check")
        }
        let needed = min(max(1, quorum), views.count)
        let failing = views.filter { $0.status == .fail }
        let unknown = views.filter { $0.status == .unknown }
        let passing = views.filter { $0.status == .pass || $0.status == .warn }
        var values = (passing.first ?? first).observed
        // The ETA is the slowest vantage's.
        let etas = views.compactMap { view -> String? in
            if case .text(let eta)? = view.observed["eta"] { return eta }
            return nil
        }
        if let slowest = etas.max() { values["eta"] = .text(slowest) }
        let names = { (views: [VantageView]) in views.map(\.vantage).joined(separator: ", ") }
        let status: CheckStatus
        let detail: String
        if failing.count >= needed {
            status = .fail
            detail = "fails from \(names(failing))\(failing.count < views.count ? "" : " (every vantage)"): \(failing[0].reason)"
        } else if failing.count + unknown.count >= needed {
            status = .unknown
            let fails = failing.isEmpty ? "" : "fails from \(names(failing)); "
            detail = fails + "not known from \(names(unknown)): \(unknown[0].reason)"
        } else if !failing.isEmpty || !unknown.isEmpty {
            status = .warn
            let problem = failing.isEmpty ? "not known from \(names(unknown)): \(unknown[0].reason)"
                : "fails from \(names(failing)) only: \(failing[0].reason)"
            detail = "\(problem) (\(passing.count) of \(views.count) pass; \(needed) failing make it red)"
        } else {
            status = views.contains { $0.status == .warn } ? .warn : .pass
            let shown = views.first { $0.status == status } ?? first
            detail = "\(shown.reason) (from \(views.count) vantages)"
        }
        return CheckReport(check: check, status: status, detail: detail, observed: values)
    }
}
