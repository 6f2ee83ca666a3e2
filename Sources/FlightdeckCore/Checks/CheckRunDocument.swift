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
        /// Each vantage's view, when the check is seen from more than this host.
        public var vantages: [Vantage]?
    }

    /// One vantage's view of a check.
    public struct Vantage: Encodable, Sendable {
        public var vantage: String
        public var status: CheckStatus
        public var detail: String
        /// The agent has missed its heartbeats: its view counts as unknown.
        public var stale: Bool
        /// How long ago the agent published it; none for this host's own.
        public var ageSeconds: Double?
        /// For a DNS record: each server's answer as the vantage saw it.
        public var cells: [String]?

        enum CodingKeys: String, CodingKey {
            case vantage, status, detail, stale, ageSeconds = "age_seconds", cells
        }

        init(_ view: VantageView, now: Date) {
            vantage = view.vantage
            status = view.status
            detail = view.reason
            stale = view.stale
            ageSeconds = view.publishedAt.map { (max(0, now.timeIntervalSince($0)) * 10).rounded() / 10 }
            if case .list(let lines)? = view.observed["cells"] {
                cells = lines
            } else {
                cells = view.outcome?.cells.map { $0.compactMap(\.cell?.line) }
            }
        }
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

    /// - Parameter views: each check's vantages, for the checks seen from more than this host.
    public init(plan: LaunchPlan, file: String, reports: [CheckReport], alarms: [Alarm] = [], checkedAt: Date,
                views: [String: [VantageView]] = [:]) {
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
                  status: $0.status, detail: $0.detail, observed: $0.observed,
                  vantages: views[$0.check.id].map { $0.map { Vantage($0, now: checkedAt) } })
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
