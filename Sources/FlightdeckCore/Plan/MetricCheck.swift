import Foundation

// The plan's `metrics` section: a number from CloudWatch or Prometheus against a threshold.

/// A number against a threshold: a cache hit rate, a query latency, a p95.
public struct MetricCheck: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// CloudWatch GetMetricData: the newest datapoint of one statistic in the window.
        case cloudwatch(CloudWatchMetric)
        /// A Prometheus instant query (`/api/v1/query`) that must return one number.
        case prometheus(url: SecretText, query: String)
    }

    public var id: String
    public var name: String?
    public var severity: Severity
    public var source: Source
    /// What the source's numbers are in.
    public var unit: MetricUnit
    public var threshold: MetricThreshold
    public var timing: ProbeTiming

    /// What the check looks at, for people.
    public var target: String {
        switch source {
        case .cloudwatch(let metric):
            let dimensions = metric.dimensions.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            return "\(metric.namespace) \(metric.name)\(dimensions.isEmpty ? "" : " {\(dimensions)}") \(metric.statistic)"
        case .prometheus(let url, let query): return "\(query) at \(url.template)"
        }
    }
}

public struct CloudWatchMetric: Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var dimensions: [MetricDimension]
    /// `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount` or a percentile such as `p95`.
    public var statistic: String
    public var period: Duration
    /// How far back to look for the newest datapoint.
    public var window: Duration
    public var region: String
    /// Where to send the calls instead of AWS (tests).
    public var endpoint: URL?
    /// Sign the calls to `endpoint` with a made-up key pair (`aws.placeholder_credentials`).
    public var placeholderCredentials = false
}

public struct MetricDimension: Sendable, Equatable {
    public var name: String
    public var value: String
}

/// The unit a metric's source reports in. Values and thresholds are compared in one base
/// unit: seconds for times, a fraction for percentages and ratios.
public enum MetricUnit: String, Sendable, Equatable, CaseIterable {
    case seconds, milliseconds, percent, ratio, count, bytes

    /// A source's number in the base unit.
    public func base(_ value: Double) -> Double {
        switch self {
        case .milliseconds: value / 1000
        case .percent: value / 100
        case .seconds, .ratio, .count, .bytes: value
        }
    }

    /// A value in the base unit as a person reads it: `12 ms`, `1.25 s`, `87.5%`, `1200`.
    public func format(_ base: Double) -> String {
        func trimmed(_ number: Double, _ digits: Int) -> String {
            var text = String(format: "%.\(digits)f", number)
            if text.contains(".") { while text.hasSuffix("0") { text.removeLast() }; if text.hasSuffix(".") { text.removeLast() } }
            return text
        }
        switch self {
        case .seconds, .milliseconds: return base < 1 ? "\(trimmed(base * 1000, 1)) ms" : "\(trimmed(base, 2)) s"
        case .percent, .ratio: return "\(trimmed(base * 100, 1))%"
        case .count: return trimmed(base, 2)
        case .bytes: return "\(trimmed(base, 0)) bytes"
        }
    }
}

/// Where a metric turns red, and yellow before it: above (a latency) or below (a hit rate).
public struct MetricThreshold: Sendable, Equatable {
    public enum Direction: String, Sendable, Equatable {
        case above, below
    }

    public var direction: Direction
    /// In the base unit.
    public var fail: Double
    public var warn: Double?
}
