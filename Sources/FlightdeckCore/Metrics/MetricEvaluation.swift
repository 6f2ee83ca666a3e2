import Foundation

/// A metric's number as its source gave it, or why there is none (never a pass).
public enum MetricReading: Sendable, Equatable {
    /// In the source's unit, with the moment it describes when the source says.
    case value(Double, at: Date?)
    /// The source answered, but with no number: no datapoints, an empty result.
    case noData(String)
    /// The source could not be asked or gave an error.
    case unavailable(String)
}

/// Reads the answers metric sources give, and judges a number against its threshold.
public enum MetricEvaluation {
    public static func judge(_ reading: MetricReading, check: MetricCheck) -> (status: CheckStatus, detail: String, observed: [String: ObservedValue]) {
        let label = label(check)
        switch reading {
        case .unavailable(let why): return (.unknown, "\(label): \(why)", [:])
        case .noData(let why): return (.unknown, "\(label): \(why)", [:])
        case .value(let raw, let at):
            let value = check.unit.base(raw)
            var observed: [String: ObservedValue] = ["value": .number(raw), "unit": .text(check.unit.rawValue), "shown": .text(check.unit.format(value))]
            if let at { observed["at"] = .text(at.formatted(.iso8601)) }
            let threshold = check.threshold
            let word = threshold.direction.rawValue
            let failLimit = check.unit.format(threshold.fail)
            let shown = check.unit.format(value)
            let breaches = { (limit: Double) in threshold.direction == .above ? value > limit : value < limit }
            if breaches(threshold.fail) {
                return (.fail, "\(label) is \(shown), \(word) the \(failLimit) threshold", observed)
            }
            if let warn = threshold.warn, breaches(warn) {
                return (.warn, "\(label) is \(shown), \(word) the \(check.unit.format(warn)) warning line (fails \(word) \(failLimit))", observed)
            }
            return (.pass, "\(label) is \(shown) (fails \(word) \(failLimit))", observed)
        }
    }

    /// What the number is, for the reason line: `CacheHitRate Average` or the check's name.
    static func label(_ check: MetricCheck) -> String {
        switch check.source {
        case .cloudwatch(let metric): "\(metric.name) \(metric.statistic)"
        case .prometheus: check.name ?? check.id
        }
    }

    /// A Prometheus `/api/v1/query` answer: one sample of a vector, or a scalar. More than
    /// one series is not a number (the query should aggregate); none is no data.
    public static func prometheus(_ body: [UInt8]) -> MetricReading {
        guard let document = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .unavailable("the answer is not Prometheus's JSON")
        }
        guard document["status"] as? String == "success" else {
            let error = [document["errorType"] as? String, document["error"] as? String].compactMap { $0 }.joined(separator: ": ")
            return .unavailable("Prometheus says \(RemoteText.sanitize(error.isEmpty ? "error" : error, limit: 200))")
        }
        guard let data = document["data"] as? [String: Any], let type = data["resultType"] as? String else {
            return .unavailable("the answer has no data")
        }
        func sample(_ pair: Any?) -> MetricReading {
            guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String, let value = Double(text) else {
                return .unavailable("a sample is not [time, \"number\"]")
            }
            guard value.isFinite else { return .noData("the query's value is \(text)") }
            let at = (pair[0] as? Double).map { Date(timeIntervalSince1970: $0) }
            return .value(value, at: at)
        }
        switch type {
        case "scalar": return sample(data["result"])
        case "vector":
            let series = data["result"] as? [[String: Any]] ?? []
            guard !series.isEmpty else { return .noData("the query returned no series") }
            guard series.count == 1 else { return .unavailable("the query returned \(series.count) series, not one number: aggregate it (sum, max, avg)") }
            return sample(series[0]["value"])
        default:
            return .unavailable("the query returns a \(RemoteText.sanitize(type, limit: 20)), not a number: make it an instant vector or scalar")
        }
    }

    /// A CloudWatch `GetMetricData` answer for one query: its newest datapoint.
    public static func cloudwatch(_ root: XMLElement, window: Duration) -> MetricReading {
        guard root.name == "GetMetricDataResponse",
              let result = root.element(at: "GetMetricDataResult/MetricDataResults")?.children("member").first else {
            return .unavailable("the answer is not a GetMetricData response")
        }
        let values = result.child("Values")?.children("member").compactMap { Double($0.text.trimmingXMLSpace()) } ?? []
        let times = result.child("Timestamps")?.children("member").compactMap { try? Date($0.text.trimmingXMLSpace(), strategy: .iso8601) } ?? []
        guard !values.isEmpty else {
            let status = result.value("StatusCode").map { $0 == "Complete" ? "" : " (status \(RemoteText.sanitize($0, limit: 40)))" } ?? ""
            return .noData("no datapoints in the last \(PlanDuration.format(window))\(status)")
        }
        // Newest first is asked for; sorted here too, so an answer in any order reads the same.
        let pairs = zip(values, times).sorted { $0.1 > $1.1 }
        guard let newest = pairs.first else { return .value(values[0], at: nil) }
        return .value(newest.0, at: newest.1)
    }
}
