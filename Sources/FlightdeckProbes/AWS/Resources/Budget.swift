import FlightdeckCore
import Foundation

/// An AWS Budget (DescribeBudget, DescribeNotificationsForBudget): it exists, and it
/// notifies when spending passes the plan's share of it.
enum Budget {
    static let target = "AWSBudgetServiceGateway"

    static func read(_ client: AWSClient, accountID: String, name: String, thresholdPercent: Double) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        var global = client
        global.region = "us-east-1"
        var findings = AWSFindings()
        switch await global.json(service: "budgets", target: "\(target).DescribeBudget", ["AccountId": accountID, "BudgetName": name]) {
        case .success(let document):
            if let limit = document.object("Budget")?.object("BudgetLimit") {
                findings.observed["limit"] = .text("\(limit.text("Amount") ?? "?") \(limit.text("Unit") ?? "")")
            }
        case .failure(let problem) where problem.code == "NotFoundException":
            findings.expect(false, "no budget \(name) in account \(accountID)")
            return .success((findings, ""))
        case .failure(let problem): return .failure(problem)
        }
        switch await global.json(service: "budgets", target: "\(target).DescribeNotificationsForBudget", ["AccountId": accountID, "BudgetName": name]) {
        case .success(let document): return .success(judge(findings, notifications: document.objects("Notifications"), name: name, thresholdPercent: thresholdPercent))
        case .failure(let problem): return .failure(problem)
        }
    }

    static func judge(_ found: AWSFindings, notifications: [[String: Any]], name: String, thresholdPercent: Double) -> (findings: AWSFindings, summary: String) {
        var findings = found
        let lines = notifications.map { "\($0.text("NotificationType") ?? "?") \($0.text("ComparisonOperator") ?? "?") \($0.number("Threshold").map { String($0) } ?? "?") \($0.text("ThresholdType") ?? "PERCENTAGE")" }
        findings.observed["notifications"] = .list(lines)
        let atThreshold = notifications.contains { notification in
            (notification.text("ThresholdType") ?? "PERCENTAGE") == "PERCENTAGE" && notification.number("Threshold").map { abs($0 - thresholdPercent) < 0.01 } == true
        }
        let shown = thresholdPercent.rounded() == thresholdPercent ? "\(Int(thresholdPercent))%" : "\(thresholdPercent)%"
        findings.expect(atThreshold, notifications.isEmpty ? "budget \(name) notifies nobody" : "budget \(name) has no notification at \(shown) (it has: \(lines.joined(separator: "; ")))")
        return (findings, "budget \(name) notifies at \(shown)")
    }
}
