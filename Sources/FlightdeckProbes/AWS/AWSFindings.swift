import FlightdeckCore
import Foundation

/// What a look at one AWS resource found: each assertion that did not hold (with how much
/// it matters), the fields that decided, and what to say when everything held.
struct AWSFindings: Sendable, Equatable {
    private(set) var problems: [(status: CheckStatus, line: String)] = []
    var observed: [String: ObservedValue] = [:]

    static func == (lhs: AWSFindings, rhs: AWSFindings) -> Bool {
        lhs.problems.map(\.line) == rhs.problems.map(\.line) && lhs.observed == rhs.observed
    }

    /// Records `line` unless `holds`: red by default, or as `status` says.
    mutating func expect(_ holds: Bool, _ line: @autoclosure () -> String, else status: CheckStatus = .fail) {
        if !holds { problems.append((status, RemoteText.sanitize(line(), limit: 300))) }
    }

    /// The worst problem's status and line (with how many more there are), or the summary.
    func judged(_ summary: String) -> (status: CheckStatus, detail: String, observed: [String: ObservedValue]) {
        var observed = self.observed
        if !problems.isEmpty { observed["findings"] = .list(problems.map { "\($0.status.rawValue): \($0.line)" }) }
        for status in [CheckStatus.fail, .unknown, .warn] {
            let matching = problems.filter { $0.status == status }
            guard let first = matching.first else { continue }
            let more = problems.count - 1
            return (status, first.line + (more > 0 ? " (and \(more) more: see the detail)" : ""), observed)
        }
        return (.pass, RemoteText.sanitize(summary, limit: 300), observed)
    }
}

/// Reading AWS's JSON answers without a decoder per shape: the field, if it is what it should be.
extension Dictionary where Key == String, Value == Any {
    func text(_ key: String) -> String? { self[key] as? String }
    func number(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    func flag(_ key: String) -> Bool? { (self[key] as? NSNumber)?.boolValue }
    func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
    func object(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    /// A time AWS's JSON protocol gives as seconds since 1970.
    func date(_ key: String) -> Date? { number(key).map { Date(timeIntervalSince1970: $0) } }
}
