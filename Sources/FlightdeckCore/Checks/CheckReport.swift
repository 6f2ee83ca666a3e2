/// The kinds of automated check a plan declares.
public enum CheckKind: String, Sendable, Equatable, Codable, CaseIterable {
    case dns, http, tls, command, metric, aws
}

/// The check the plan implies when it names the new nameservers: is the zone delegated to them?
public enum DelegationCheck {
    public static let id = "dns-delegation"
}

/// The check that comes with it: does the parent's DS match a key the new provider signs with?
public enum DNSSECCheck {
    public static let id = "dns-dnssec"
}

/// One automated check as the plan declares it: what it is and what it looks at.
public struct CheckDescriptor: Sendable, Equatable {
    public var id: String
    public var kind: CheckKind
    /// What the check looks at, for people: `api.example.com A`, a URL, `host:port`.
    /// Never holds a resolved secret.
    public var target: String
    public var severity: Severity
    /// What the plan calls it (`name:`), for people.
    public var title: String?

    public init(id: String, kind: CheckKind, target: String, severity: Severity, title: String? = nil) {
        self.id = id
        self.kind = kind
        self.target = target
        self.severity = severity
        self.title = title
    }

    init(_ record: DNSRecordExpectation) {
        self.init(id: record.id, kind: .dns, target: "\(record.name) \(record.type)", severity: record.severity)
    }

    init(delegationOf plan: LaunchPlan) {
        self.init(id: DelegationCheck.id, kind: .dns, target: "\(plan.zone) NS delegation", severity: .blocker)
    }

    init(dnssecOf plan: LaunchPlan) {
        self.init(id: DNSSECCheck.id, kind: .dns, target: "\(plan.zone) DNSSEC: DS, DNSKEY, RRSIG", severity: .blocker)
    }

    init(_ check: RDAPCheck) {
        let source = switch check.source {
        case .server(let url): url.host ?? url.absoluteString
        case .bootstrap: "its registry (bootstrap file)"
        }
        self.init(id: check.id, kind: .dns, target: "\(check.domain) at \(source) (RDAP)", severity: check.severity)
    }

    init(_ check: HTTPCheck) {
        var target = check.url.template
        if check.mode != .request { target = "\(check.mode.rawValue) \(target)" }
        if let connectTo = check.connectTo { target += " via \(connectTo)" }
        self.init(id: check.id, kind: .http, target: target, severity: check.severity, title: check.name)
    }

    init(_ command: CommandCheck) {
        self.init(id: command.id, kind: .command, target: command.commandLine, severity: command.severity, title: command.name)
    }

    init(_ metric: MetricCheck) {
        self.init(id: metric.id, kind: .metric, target: metric.target, severity: metric.severity, title: metric.name)
    }

    init(_ check: AWSCheck) {
        self.init(id: check.id, kind: .aws, target: check.resource.target, severity: check.severity, title: check.name)
    }

    init(_ endpoint: TLSEndpoint) {
        var target = "\(endpoint.host):\(endpoint.port)"
        if let address = endpoint.address { target += " via \(address)" }
        self.init(id: endpoint.id, kind: .tls, target: target, severity: endpoint.severity)
    }
}

/// Where a check stands. `unknown` is never good enough for a GO.
public enum CheckStatus: String, Sendable, Equatable, Codable, CaseIterable {
    case pass, warn, fail, unknown
}

/// A value a probe observed, as it appears in `flightdeck check --json`.
public enum ObservedValue: Sendable, Equatable, Codable {
    case text(String)
    case number(Double)
    case flag(Bool)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .list(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let value): try container.encode(value)
        case .number(let value):
            if let whole = Self.whole(value) { try container.encode(whole) } else { try container.encode(value) }
        case .flag(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        }
    }

    /// The value as a person reads it: `200`, not `200.0`; `12.5`; `yes`; a list one per line.
    public var display: String {
        switch self {
        case .text(let text): text
        case .number(let number): Self.whole(number).map(String.init) ?? String(number)
        case .flag(let flag): flag ? "yes" : "no"
        case .list(let items): items.joined(separator: "\n")
        }
    }

    private static func whole(_ value: Double) -> Int? {
        value.rounded() == value && abs(value) < 1e15 ? Int(value) : nil
    }
}

/// The latest outcome of one check.
public struct CheckReport: Sendable, Equatable {
    public var check: CheckDescriptor
    public var status: CheckStatus
    /// One line a tired person understands: why it is not green, or what was seen.
    public var detail: String
    public var observed: [String: ObservedValue]

    public init(check: CheckDescriptor, status: CheckStatus, detail: String, observed: [String: ObservedValue] = [:]) {
        self.check = check
        self.status = status
        self.detail = detail
        self.observed = observed
    }
}

extension CheckReport {
    /// The reports for `checks` from one poll's outcomes. A check whose probe did not report
    /// is unknown, never passing.
    public static func reports(for checks: [CheckDescriptor], outcomes: [ProbeOutcome]) -> [CheckReport] {
        let byID = Dictionary(outcomes.map { ($0.checkID, $0) }, uniquingKeysWith: { first, _ in first })
        return checks.map { check in
            guard let outcome = byID[check.id] else { return CheckReport(check: check, status: .unknown, detail: "no result from its probe") }
            return CheckReport(check: check, status: outcome.status, detail: outcome.detail, observed: outcome.observed)
        }
    }
}

extension [CheckReport] {
    /// Each check's status by its id.
    public var statusesByID: [String: CheckStatus] {
        Dictionary(map { ($0.check.id, $0.status) }, uniquingKeysWith: { first, _ in first })
    }
}

/// The headless verdict: GO only when every blocker has passed (a warning passes), no
/// critical alarm stands on a blocker, no blocker is flapping, and the launch journal holds
/// together.
public struct CheckVerdict: Sendable, Equatable {
    public enum Decision: Sendable, Equatable {
        case go
        /// NO-GO only because some blocker is not known to pass yet: nothing is known to be wrong.
        case undecided
        case noGo
    }

    public var decision: Decision
    public var reason: String
    /// What stands in the way of GO, by id: blocking checks that fail or are not known to
    /// pass, and the alarms that hold the verdict (critical or flapping on a blocker, a broken
    /// journal). Empty when GO.
    public var obstacles: [String]

    /// GO, earned: every blocker passes and nothing stands against it.
    public var isGo: Bool { decision == .go }

    public init(reports: [CheckReport], alarms: [Alarm] = []) {
        let blockers = reports.filter { $0.check.severity == .blocker }
        let failed = blockers.filter { $0.status == .fail }
        let unknown = blockers.filter { $0.status == .unknown }
        // A blocker that keeps changing is not green, whichever way it last went.
        let concerning = alarms.filter { ($0.severity == .critical || $0.flapping) && $0.checkID != nil }
        let blockerIDs = concerning.isEmpty ? [] : Set(blockers.map(\.check.id))
        let onBlockers = concerning.filter { $0.checkID.map(blockerIDs.contains) == true }
        let alarmed = onBlockers.filter { $0.severity == .critical }
        let flapping = onBlockers.filter(\.flapping)
        let untrusted = alarms.first(where: \.blocksVerdict)
        obstacles = (failed + unknown).map(\.check.id) + (alarmed + flapping).map(\.id) + (untrusted.map { [$0.id] } ?? [])
        let wrong = !failed.isEmpty || !alarmed.isEmpty || untrusted != nil || !flapping.isEmpty
        decision = wrong ? .noGo : (unknown.isEmpty ? .go : .undecided)
        if let untrusted {
            reason = untrusted.reason
        } else if let alarm = alarmed.first {
            reason = "critical alarm on a blocker: \(alarm.reason)\(alarmed.count > 1 ? " (and \(alarmed.count - 1) more)" : "")"
        } else if let flap = flapping.first {
            reason = "blocking check flapping: \(flap.reason); GO waits until it holds still"
        } else if !failed.isEmpty {
            reason = "\(Self.count(failed.count, "blocking check")) failing: \(Self.names(failed))"
        } else if !unknown.isEmpty {
            reason = "\(Self.count(unknown.count, "blocking check")) not known to pass: \(Self.names(unknown))"
        } else {
            reason = blockers.isEmpty ? "the plan has no blocking checks" : "all \(Self.count(blockers.count, "blocking check")) pass"
        }
    }

    private static func count(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
    }

    private static func names(_ reports: [CheckReport]) -> String {
        let shown = reports.prefix(5).map(\.check.id).joined(separator: ", ")
        return reports.count > 5 ? "\(shown) and \(reports.count - 5) more" : shown
    }
}
