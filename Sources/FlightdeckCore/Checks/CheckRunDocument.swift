import Foundation

/// The document `flightdeck check --json` prints: the verdict and every check's outcome.
/// Its shape is a contract with scripts; README.md documents it.
public struct CheckRunDocument: Encodable, Sendable {
    public struct Check: Encodable, Sendable {
        public var id: String
        /// The plan's `name`, when it gives one.
        public var name: String?
        public var kind: CheckKind
        public var target: String
        public var severity: String
        public var status: CheckStatus
        public var detail: String
        public var observed: [String: ObservedValue]
    }

    public struct AlarmEntry: Encodable, Sendable {
        public var id: String
        public var severity: AlarmSeverity
        public var source: String
        public var check: String?
        public var reason: String
    }

    public struct Counts: Encodable, Sendable {
        public var pass = 0, warn = 0, fail = 0, unknown = 0
    }

    public var plan: String
    public var file: String
    /// When the poll finished, ISO 8601 in UTC.
    public var checkedAt: String
    public enum Verdict: String, Encodable, Sendable {
        case go, noGo = "no-go"
    }

    /// `go` or `no-go` in the JSON.
    public var verdict: Verdict
    public var reason: String
    public var counts: Counts
    public var checks: [Check]
    /// Alarms firing when the poll finished, most severe first.
    public var alarms: [AlarmEntry]

    enum CodingKeys: String, CodingKey {
        case plan, file, checkedAt = "checked_at", verdict, reason, counts, checks, alarms
    }

    public init(plan: LaunchPlan, file: String, reports: [CheckReport], alarms: [Alarm] = [], checkedAt: Date) {
        let verdict = CheckVerdict(reports: reports, alarms: alarms)
        self.plan = plan.name
        self.file = file
        self.checkedAt = checkedAt.formatted(.iso8601)
        self.verdict = verdict.isGo ? .go : .noGo
        self.reason = verdict.reason
        var counts = Counts()
        for report in reports {
            switch report.status {
            case .pass: counts.pass += 1
            case .warn: counts.warn += 1
            case .fail: counts.fail += 1
            case .unknown: counts.unknown += 1
            }
        }
        self.counts = counts
        checks = reports.map {
            Check(id: $0.check.id, name: $0.check.title, kind: $0.check.kind, target: $0.check.target, severity: $0.check.severity.rawValue,
                  status: $0.status, detail: $0.detail, observed: $0.observed)
        }
        self.alarms = alarms.map { AlarmEntry(id: $0.id, severity: $0.severity, source: $0.source, check: $0.checkID, reason: $0.reason) }
    }

    /// Pretty-printed JSON with keys in a stable order.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
