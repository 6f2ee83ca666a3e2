import Foundation

public enum AlarmSeverity: String, Sendable, Equatable, Codable, CaseIterable, Comparable {
    case critical, warning, info

    /// Critical sorts first.
    public static func < (lhs: AlarmSeverity, rhs: AlarmSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Something wrong enough to tell the room: from a rule over the checks, or from an
/// external alarm source.
public struct Alarm: Sendable, Equatable, Identifiable {
    /// Stable while the condition lasts: `rule/red/api-health`, `alertmanager-prod/HighLatency`.
    public var id: String
    public var severity: AlarmSeverity
    /// `rules`, or the id of the plan's alarm source.
    public var source: String
    /// When the condition began, on the poller's clock.
    public var since: Duration
    /// One line a tired person understands.
    public var reason: String
    /// The check the alarm is about, if any.
    public var checkID: String?
    /// The check keeps changing state: one alarm stands for all of it.
    public var flapping: Bool
    /// While it stands the verdict is NO-GO whatever the checks say: the launch's own
    /// record cannot be trusted (a broken journal).
    public var blocksVerdict: Bool

    public init(id: String, severity: AlarmSeverity, source: String, since: Duration, reason: String,
                checkID: String? = nil, flapping: Bool = false, blocksVerdict: Bool = false) {
        self.id = id
        self.severity = severity
        self.source = source
        self.since = since
        self.reason = reason
        self.checkID = checkID
        self.flapping = flapping
        self.blocksVerdict = blocksVerdict
    }
}

/// How the rules over the checks judge one check; every value has a default and each can
/// be tuned per check in the plan (`alarms.rules.checks.ID`).
public struct AlarmRuleSettings: Sendable, Equatable {
    /// A check red this many polls in a row raises an alarm.
    public var redPolls: Int
    /// p95 latency over the check's budget for this long raises an alarm.
    public var latencyWindow: Duration
    /// DNS propagation that makes no progress for this long raises an alarm.
    public var stallWindow: Duration
    /// This many changes between red and green within `flapWindow` is flapping.
    public var flapChanges: Int
    public var flapWindow: Duration
    /// Replaces the rule's own severity for this check.
    public var severity: AlarmSeverity?
    public var enabled: Bool

    public static let defaults = AlarmRuleSettings(
        redPolls: 3, latencyWindow: .seconds(120), stallWindow: .seconds(600), flapChanges: 4, flapWindow: .seconds(300),
        severity: nil, enabled: true)
}

/// The plan's alarm rules: defaults, and settings per check.
public struct AlarmRules: Sendable, Equatable {
    public var defaults: AlarmRuleSettings
    public var checks: [String: AlarmRuleSettings]

    public static let standard = AlarmRules(defaults: .defaults, checks: [:])

    public func settings(for checkID: String) -> AlarmRuleSettings {
        checks[checkID] ?? defaults
    }
}
