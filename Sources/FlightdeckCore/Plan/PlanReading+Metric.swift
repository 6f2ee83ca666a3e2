import Foundation

/// The `metrics` section: a number from CloudWatch or Prometheus against a threshold; and
/// the plan's `aws` defaults, which the AWS calls share.
extension PlanReading {
    mutating func metricCheck(_ node: YAMLNode, aws: AWSDefaults) -> MetricCheck? {
        guard let map = node.mapping(keys: [
            "id", "name", "severity", "cloudwatch", "prometheus", "unit", "fail_above", "warn_above", "fail_below", "warn_below", "runbook",
        ] + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
        let name = map["name"]?.word()
        let severity = severityOrDefault(map)
        let source: MetricCheck.Source?
        switch (map["cloudwatch"], map["prometheus"]) {
        case (let cloudwatch?, nil): source = cloudWatchMetric(cloudwatch, aws: aws).map(MetricCheck.Source.cloudwatch)
        case (nil, let prometheus?): source = prometheusQuery(prometheus)
        case (_?, let prometheus?):
            prometheus.report("a metric comes from one source: `cloudwatch` or `prometheus`, not both")
            source = nil
        case (nil, nil):
            node.report("a metric needs its source", hint: "add `cloudwatch: {namespace, metric, ...}` or `prometheus: {url, query}`")
            source = nil
        }
        let unit = map.required("unit")?.choice(MetricUnit.self, named: "unit")
        let threshold = unit.flatMap { metricThreshold(map, node: node, unit: $0) }
        guard let id, let severity, let source, let unit, let threshold else { return nil }
        return MetricCheck(id: id, name: name, severity: severity, source: source, unit: unit, threshold: threshold, timing: timing(map))
    }

    func cloudWatchMetric(_ node: YAMLNode, aws: AWSDefaults) -> CloudWatchMetric? {
        guard let map = node.mapping(keys: ["namespace", "metric", "dimensions", "statistic", "period", "window", "region", "endpoint"]) else { return nil }
        let namespace = map.required("namespace")?.word()
        let metric = map.required("metric")?.word()
        let dimensions = map["dimensions"].map { dimensionsNode in
            (dimensionsNode.entries() ?? []).compactMap { name, _, value in value.word().map { MetricDimension(name: name, value: $0) } }
        } ?? []
        let statistic = map["statistic"].map(statistic) ?? "Average"
        let period = map["period"].flatMap(positiveDuration) ?? .seconds(60)
        if period.components.seconds % 60 != 0, period.components.seconds > 60, let node = map["period"] {
            node.report("CloudWatch periods over a minute are whole minutes", hint: "write 1m, 5m, 1h (or 1s, 5s, 10s, 30s for high-resolution metrics)")
        }
        let window = map["window"].flatMap(positiveDuration) ?? period * 5
        if window < period, let node = map["window"] {
            node.report("the window (\(PlanDuration.format(window))) is shorter than one period (\(PlanDuration.format(period)))",
                        hint: "the window must hold at least one datapoint")
        }
        let region = map["region"].flatMap(awsRegion) ?? aws.region
        if region == nil, map["region"] == nil { map.node.report("no AWS region for this metric", hint: "add `region: us-east-1` here, or `aws: { region: ... }` to the plan") }
        let endpoint = map["endpoint"].flatMap { webURL($0, schemes: ["http", "https"]) } ?? aws.endpoint
        guard let namespace, let metric, let statistic, let region, window >= period else { return nil }
        return CloudWatchMetric(namespace: namespace, name: metric, dimensions: dimensions, statistic: statistic, period: period,
                                window: window, region: region, endpoint: endpoint,
                                placeholderCredentials: aws.placeholderCredentials && endpoint != nil)
    }

    func statistic(_ node: YAMLNode) -> String? {
        guard let text = node.word() else { return nil }
        let named = ["Average", "Sum", "Minimum", "Maximum", "SampleCount"]
        if named.contains(text) || text.wholeMatch(of: #/p(\d{1,2}(\.\d{1,2})?|100)/#) != nil { return text }
        let guess = closestMatch(to: text, among: named).map { "did you mean `\($0)`? " } ?? ""
        node.report("`\(text)` is not a CloudWatch statistic", hint: "\(guess)use \(named.joined(separator: ", ")) or a percentile such as p95")
        return nil
    }

    func prometheusQuery(_ node: YAMLNode) -> MetricCheck.Source? {
        guard let map = node.mapping(keys: ["url", "query"]) else { return nil }
        let url = map.required("url").flatMap { secretURL($0, schemes: ["http", "https"]) }
        let query = map.required("query")?.word()
        guard let url, let query else { return nil }
        return .prometheus(url: url, query: query)
    }

    /// `fail_above` (with `warn_above` below it) or `fail_below` (with `warn_below` above it).
    func metricThreshold(_ map: YAMLMapping, node: YAMLNode, unit: MetricUnit) -> MetricThreshold? {
        let direction: MetricThreshold.Direction
        switch (map["fail_above"], map["fail_below"]) {
        case (_?, nil): direction = .above
        case (nil, _?): direction = .below
        case (_?, let below?):
            below.report("a metric fails above or below a value, not both")
            return nil
        case (nil, nil):
            node.report("a metric needs its threshold", hint: "add `fail_above: 200ms` (a latency) or `fail_below: 85%` (a hit rate)")
            return nil
        }
        let other = direction == .above ? "warn_below" : "warn_above"
        if let stray = map[other] {
            stray.report("`\(other)` does not go with `fail_\(direction.rawValue)`", hint: "the warning comes before the failure: warn_\(direction.rawValue)")
            return nil
        }
        guard let fail = map["fail_\(direction.rawValue)"].flatMap({ metricValue($0, unit: unit) }) else { return nil }
        let warnNode = map["warn_\(direction.rawValue)"]
        let warn = warnNode.flatMap { metricValue($0, unit: unit) }
        if warnNode != nil, warn == nil { return nil }
        if let warn, let warnNode, direction == .above ? warn >= fail : warn <= fail {
            warnNode.report("warn_\(direction.rawValue) (\(unit.format(warn))) must come before fail_\(direction.rawValue) (\(unit.format(fail)))",
                            hint: direction == .above ? "make warn_above the smaller" : "make warn_below the larger")
            return nil
        }
        return MetricThreshold(direction: direction, fail: fail, warn: warn)
    }

    /// A threshold as written: `200ms`, `0.5s`, `85%`, or a number in the metric's unit;
    /// in the base unit (seconds, a fraction).
    func metricValue(_ node: YAMLNode, unit: MetricUnit) -> Double? {
        guard let text = node.scalarText()?.trimmingCharacters(in: .whitespaces) else { return nil }
        let isTime = unit == .seconds || unit == .milliseconds
        let isShare = unit == .percent || unit == .ratio
        func number(_ part: Substring) -> Double? { Double(part.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil } }
        if text.hasSuffix("ms"), let value = number(text.dropLast(2)) {
            guard isTime else { return mismatch(node, "a time", unit) }
            return value / 1000
        }
        if text.hasSuffix("s"), let value = number(text.dropLast()) {
            guard isTime else { return mismatch(node, "a time", unit) }
            return value
        }
        if text.hasSuffix("%"), let value = number(text.dropLast()) {
            guard isShare else { return mismatch(node, "a percentage", unit) }
            return value / 100
        }
        if let value = number(Substring(text)) { return unit.base(value) }
        node.report("`\(text)` is not a threshold", hint: "write a number with its unit: 200ms, 0.5s, 85%, or a plain number in the metric's unit")
        return nil
    }

    private func mismatch(_ node: YAMLNode, _ what: String, _ unit: MetricUnit) -> Double? {
        node.report("\(what) does not fit a metric in \(unit.rawValue)", hint: "write the threshold in the metric's unit, or change `unit`")
        return nil
    }

    /// The plan's `aws` section: the region and endpoint every AWS call defaults to.
    func awsDefaults(_ map: YAMLMapping) -> AWSDefaults {
        let region = map["region"].flatMap(awsRegion)
        let endpoint = map["endpoint"].flatMap { webURL($0, schemes: ["http", "https"]) }
        let placeholder = map["placeholder_credentials"].map { $0.bool() } ?? false
        if placeholder == true, map["endpoint"] == nil {
            map["placeholder_credentials"]?.report("placeholder credentials are only for a stand-in `endpoint`",
                                                    hint: "AWS itself needs real credentials: drop this key")
        }
        return AWSDefaults(region: region, endpoint: endpoint, placeholderCredentials: placeholder == true && endpoint != nil)
    }
}

/// The region and endpoint AWS calls use unless a check names its own.
public struct AWSDefaults: Sendable, Equatable {
    public var region: String?
    /// Every AWS call goes here instead of AWS (a test's moto server).
    public var endpoint: URL?
    /// Sign the calls to `endpoint` with a made-up key pair, never the real credentials.
    public var placeholderCredentials = false

    public static let none = AWSDefaults(region: nil, endpoint: nil)
}
