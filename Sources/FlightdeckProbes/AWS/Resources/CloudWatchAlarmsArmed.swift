import FlightdeckCore
import Foundation

/// CloudWatch alarms armed (DescribeAlarms, then SNS ListSubscriptionsByTopic for each
/// topic they notify): every named alarm exists with its actions enabled and notifies an SNS
/// topic with at least one confirmed email subscription. An alarm nobody hears is not armed.
enum CloudWatchAlarmsArmed {
    /// One subscription to a topic; a pending one has `PendingConfirmation` for its ARN.
    struct Subscription {
        var protocolName: String
        var arn: String
        var endpoint: String
    }

    static func read(_ client: AWSClient, names: [String]) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        var alarms: [XMLElement] = []
        for chunk in stride(from: 0, to: names.count, by: 100).map({ Array(names[$0..<min($0 + 100, names.count)]) }) {
            let parameters = chunk.enumerated().map { ("AlarmNames.member.\($0.offset + 1)", $0.element) } + [("MaxRecords", "100")]
            switch await client.query(service: "monitoring", version: "2010-08-01", action: "DescribeAlarms", parameters) {
            case .success(let root): alarms += root.element(at: "DescribeAlarmsResult/MetricAlarms")?.children("member") ?? []
            case .failure(let problem): return .failure(problem)
            }
        }
        let topics = Set(alarms.flatMap { $0.child("AlarmActions")?.children("member").map { $0.trimmedText } ?? [] }
            .filter { $0.hasPrefix("arn:aws:sns:") })
        var subscriptions: [String: [Subscription]] = [:]
        for topic in topics.sorted() {
            switch await client.query(service: "sns", version: "2010-03-31", action: "ListSubscriptionsByTopic", [("TopicArn", topic)]) {
            case .success(let root):
                let members = root.element(at: "ListSubscriptionsByTopicResult/Subscriptions")?.children("member") ?? []
                subscriptions[topic] = members.map { member in
                    Subscription(protocolName: member.value("Protocol") ?? "", arn: member.value("SubscriptionArn") ?? "",
                                 endpoint: member.value("Endpoint") ?? "")
                }
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(judge(names: names, alarms: alarms, subscriptions: subscriptions))
    }

    static func judge(names: [String], alarms: [XMLElement],
                      subscriptions: [String: [Subscription]]) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let byName = Dictionary(alarms.compactMap { alarm in alarm.value("AlarmName").map { ($0, alarm) } }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        for name in names {
            guard let alarm = byName[name] else {
                findings.expect(false, "no alarm named \(name)")
                lines.append("\(name): missing")
                continue
            }
            let enabled = alarm.value("ActionsEnabled") == "true"
            let actions = alarm.child("AlarmActions")?.children("member").map { $0.trimmedText } ?? []
            findings.expect(enabled, "\(name) has its actions disabled: it will change state and tell nobody")
            findings.expect(!actions.isEmpty, "\(name) has no alarm actions: it notifies nobody")
            for topic in actions where topic.hasPrefix("arn:aws:sns:") {
                let emails = (subscriptions[topic] ?? []).filter { $0.protocolName == "email" || $0.protocolName == "email-json" }
                let confirmed = emails.filter { $0.arn.hasPrefix("arn:") }
                let topicName = topic.split(separator: ":").last.map(String.init) ?? topic
                let pending = emails.filter { !$0.arn.hasPrefix("arn:") }.map { $0.endpoint }
                findings.expect(!confirmed.isEmpty, "\(name) notifies \(topicName), which has no confirmed email subscription"
                                + (pending.isEmpty ? "" : " (\(pending.joined(separator: ", ")): PendingConfirmation)"))
                lines.append("\(name) → \(topicName): \(confirmed.count) confirmed, \(pending.count) pending")
            }
        }
        findings.observed["alarms"] = .list(lines)
        return (findings, names.count == 1 ? "\(names[0]) armed, with a confirmed email subscription" : "all \(names.count) alarms armed, each with a confirmed email subscription")
    }
}
