import Foundation

/// Turns what an external alarm source answered into alarms. Pure: the probe fetches, this
/// reads. Every text that came from the source goes through the remote-text sanitiser, and
/// a malformed answer is an error that says what was wrong with it.
public enum AlarmFeeds {
    public struct FeedError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// A moment on the wall clock as a moment on the poller's clock, given that `now` on one
    /// is `clock` on the other.
    static func onClock(_ date: Date?, now: Date, clock: Duration) -> Duration {
        guard let date else { return clock }
        return clock - .seconds(max(0, now.timeIntervalSince(date)))
    }

    static func severity(_ text: String?) -> AlarmSeverity {
        switch text?.lowercased() {
        case "critical", "crit", "page", "error", "high", "p1": .critical
        case "info", "informational", "low", "none": .info
        default: .warning
        }
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return (try? Date(text, strategy: .iso8601))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
    }

    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: RemoteText.sanitize(string, limit: 300)
        case let number as NSNumber: number.stringValue
        default: nil
        }
    }

    /// Alertmanager API v2 `GET /api/v2/alerts`: an array of alerts with `labels`,
    /// `annotations`, `startsAt` and `status.state`. Only active alerts count; silenced and
    /// inhibited ones (`suppressed`) are Alertmanager's own decision to stay quiet. An alert
    /// with a `check` label naming a check of the plan is linked to that check.
    public static func alertmanager(_ body: [UInt8], source: String, checks: Set<String>, now: Date, clock: Duration) -> Result<[Alarm], FeedError> {
        guard let alerts = (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]] else {
            return .failure(FeedError(message: "\(source): the answer is not a list of Alertmanager alerts"))
        }
        var alarms: [Alarm] = []
        for alert in alerts {
            let labels = alert["labels"] as? [String: Any] ?? [:]
            let annotations = alert["annotations"] as? [String: Any] ?? [:]
            guard (alert["status"] as? [String: Any])?["state"] as? String == "active", let name = text(labels["alertname"]) else { continue }
            let fingerprint = text(alert["fingerprint"]) ?? name
            let summary = text(annotations["summary"]) ?? text(annotations["description"])
            let check = text(labels["check"]).flatMap { checks.contains($0) ? $0 : nil }
            alarms.append(Alarm(id: "\(source)/\(name)/\(fingerprint)", severity: severity(text(labels["severity"])), source: source,
                                since: onClock(date(text(alert["startsAt"])), now: now, clock: clock),
                                reason: summary.map { "\(name): \($0)" } ?? name, checkID: check))
        }
        return .success(alarms)
    }

    /// Any JSON document, mapped by the plan's field paths (`items`, `name`, `state`,
    /// `severity`, `since`). An item is firing when its state reads like one: `alarm`,
    /// `firing`, `active`, `triggered`, `critical`, `warning`, `error`, `down` or `true`.
    public static func json(_ body: [UInt8], source: String, mapping: JSONAlarmMapping, now: Date, clock: Duration) -> Result<[Alarm], FeedError> {
        guard let document = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            return .failure(FeedError(message: "\(source): the answer is not JSON"))
        }
        guard let items = value(at: mapping.items, in: document) as? [Any] else {
            return .failure(FeedError(message: "\(source): no list of alarms at `\(mapping.items.isEmpty ? "(the document)" : mapping.items)`"))
        }
        let firing: Set<String> = ["alarm", "firing", "active", "triggered", "critical", "warning", "error", "down", "true", "1"]
        var alarms: [Alarm] = []
        for item in items {
            guard let name = text(value(at: mapping.name, in: item)) else { continue }
            guard let state = text(value(at: mapping.state, in: item)), firing.contains(state.lowercased()) else { continue }
            let severityText = mapping.severity.flatMap { text(value(at: $0, in: item)) }
            let since = mapping.since.flatMap { date(text(value(at: $0, in: item))) }
            alarms.append(Alarm(id: "\(source)/\(name)", severity: severity(severityText ?? (state.lowercased() == "critical" ? "critical" : nil)),
                                source: source, since: onClock(since, now: now, clock: clock), reason: "\(name): \(state)"))
        }
        return .success(alarms)
    }

    /// One page of CloudWatch `DescribeAlarms` (the Query API's XML): alarms in ALARM are
    /// critical, INSUFFICIENT_DATA informational, OK not shown. Returns the next page's token.
    public static func cloudwatch(_ body: [UInt8], source: String, now: Date, clock: Duration) -> Result<(alarms: [Alarm], next: String?), FeedError> {
        let text = String(decoding: body, as: UTF8.self)
        if let code = element("Code", in: text) {
            let message = element("Message", in: text).map { ": \($0)" } ?? ""
            return .failure(FeedError(message: "\(source): CloudWatch says \(code)\(message)"))
        }
        guard text.contains("<DescribeAlarmsResponse") else {
            return .failure(FeedError(message: "\(source): the answer is not a DescribeAlarms response"))
        }
        let metricAlarms = element("MetricAlarms", in: text, raw: true) ?? ""
        let compositeAlarms = element("CompositeAlarms", in: text, raw: true) ?? ""
        var alarms: [Alarm] = []
        for member in (metricAlarms + compositeAlarms).components(separatedBy: "<member>").dropFirst() {
            guard let name = element("AlarmName", in: member), let state = element("StateValue", in: member), state != "OK" else { continue }
            let reason = element("StateReason", in: member) ?? state
            alarms.append(Alarm(id: "\(source)/\(name)", severity: state == "ALARM" ? .critical : .info, source: source,
                                since: onClock(date(element("StateUpdatedTimestamp", in: member)), now: now, clock: clock),
                                reason: state == "ALARM" ? "\(name): \(reason)" : "\(name): insufficient data (\(reason))"))
        }
        return .success((alarms, element("NextToken", in: text)))
    }

    /// The text of the first `<name>` element (entities decoded and sanitised, or `raw`);
    /// AWS answers are flat and attribute-free where it matters, so no XML parser is needed.
    static func element(_ name: String, in text: String, raw: Bool = false) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else { return nil }
        let inner = String(text[open.upperBound..<close.lowerBound])
        if raw { return inner }
        let decoded = inner.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        return RemoteText.sanitize(decoded, limit: 300)
    }

    /// The value at a dotted path (`data.alarms`); the document itself for an empty path.
    static func value(at path: String, in document: Any) -> Any? {
        var current: Any? = document
        for key in path.split(separator: ".") where !key.isEmpty {
            current = (current as? [String: Any])?[String(key)]
        }
        return current
    }
}
