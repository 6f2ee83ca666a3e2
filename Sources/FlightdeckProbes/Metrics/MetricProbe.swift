import FlightdeckCore
import Foundation

/// A metric check: asks CloudWatch or Prometheus for one number and judges it.
public final class MetricProbe: Probe {
    public let check: MetricCheck
    public var checkID: String { check.id }
    public let interval: Duration
    public let timeout: Duration
    private let environment: [String: String]
    private let mask: SecretMask

    public init(check: MetricCheck, polling: PollingSettings, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.check = check
        interval = check.timing.interval ?? polling.interval
        timeout = check.timing.timeout ?? polling.timeout
        self.environment = environment
        if case .prometheus(let url, _) = check.source { mask = SecretMask([url]) } else { mask = SecretMask([]) }
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let started = ContinuousClock.now
        let reading: MetricReading = switch check.source {
        case .prometheus(let url, let query): await prometheus(url: url, query: query)
        case .cloudwatch(let metric): await cloudwatch(metric)
        }
        let (status, detail, observed) = MetricEvaluation.judge(reading, check: check)
        return ProbeOutcome(checkID: check.id, finishedAt: now, status: status, detail: mask.apply(detail),
                            latency: ContinuousClock.now - started, observed: observed)
    }

    private func prometheus(url: SecretText, query: String) async -> MetricReading {
        var components = URLComponents(string: url.value.hasSuffix("/") ? String(url.value.dropLast()) : url.value)
        components?.path += "/api/v1/query"
        components?.queryItems = [URLQueryItem(name: "query", value: query)]
        // `+` in a query means a space to Prometheus's form decoding: it must be encoded.
        let encoded = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = encoded
        let address = components?.string ?? url.value
        var request = CurlRequest(url: address, destination: components?.host ?? address)
        request.headers = ["Accept: application/json"]
        request.timeout = timeout
        request.bodyCap = 4 << 20
        let exchange = await CurlEngine.shared.perform(request)
        if let error = exchange.transportError { return .unavailable("cannot reach Prometheus: \(error.reason)") }
        guard let status = exchange.statusCode else { return .unavailable("Prometheus gave no answer") }
        // Prometheus answers a bad query with 400 and its error in the usual JSON.
        guard (200...299).contains(status) || [400, 422, 503].contains(status) else { return .unavailable("Prometheus answered HTTP \(status)") }
        return MetricEvaluation.prometheus(exchange.body)
    }

    private func cloudwatch(_ metric: CloudWatchMetric) async -> MetricReading {
        let client = AWSClient(region: metric.region, endpoint: metric.endpoint, placeholderCredentials: metric.placeholderCredentials,
                               environment: environment, timeout: timeout)
        let end = Date()
        let start = end.addingTimeInterval(-Double(metric.window.components.seconds))
        let query = "MetricDataQueries.member.1"
        var parameters: [(String, String)] = [
            ("\(query).Id", "m1"), ("\(query).ReturnData", "true"),
            ("\(query).MetricStat.Metric.Namespace", metric.namespace), ("\(query).MetricStat.Metric.MetricName", metric.name),
            ("\(query).MetricStat.Period", "\(metric.period.components.seconds)"), ("\(query).MetricStat.Stat", metric.statistic),
            ("StartTime", start.formatted(.iso8601)), ("EndTime", end.formatted(.iso8601)), ("ScanBy", "TimestampDescending"),
        ]
        for (index, dimension) in metric.dimensions.enumerated() {
            parameters += [("\(query).MetricStat.Metric.Dimensions.member.\(index + 1).Name", dimension.name),
                           ("\(query).MetricStat.Metric.Dimensions.member.\(index + 1).Value", dimension.value)]
        }
        switch await client.query(service: "monitoring", version: "2010-08-01", action: "GetMetricData", parameters) {
        case .success(let root): return MetricEvaluation.cloudwatch(root, window: metric.window)
        case .failure(let problem): return .unavailable("CloudWatch says \(problem)")
        }
    }
}
