import FlightdeckCore
import Foundation

/// A Route 53 health check (GetHealthCheckStatus): the share of Route 53's checkers, in
/// every region they probe from, that last reported success.
enum Route53HealthCheck {
    static func read(_ client: AWSClient, healthCheckID: String, minimumHealthy: Double) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        var global = client
        global.region = "us-east-1"
        let answer = await global.rest(service: "route53", host: "route53.amazonaws.com", path: "\(Route53Zone.version)/healthcheck/\(healthCheckID)/status")
        if case .failure(let problem) = answer, problem.code == "NoSuchHealthCheck" {
            var findings = AWSFindings()
            findings.expect(false, "no Route 53 health check \(healthCheckID)")
            return .success((findings, ""))
        }
        return answer.map { judge($0.element(at: "HealthCheckObservations")?.children("HealthCheckObservation") ?? [], minimumHealthy: minimumHealthy) }
    }

    static func judge(_ observations: [XMLElement], minimumHealthy: Double) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let reports = observations.map { ($0.value("Region") ?? "?", $0.value("StatusReport/Status") ?? "") }
        let healthy = reports.filter { $0.1.hasPrefix("Success") }
        findings.observed["checkers"] = .list(reports.map { "\($0.0): \($0.1)" })
        guard !reports.isEmpty else {
            findings.expect(false, "no checker has reported yet", else: .unknown)
            return (findings, "")
        }
        let share = Double(healthy.count) / Double(reports.count)
        findings.observed["healthy_share"] = .number((share * 1000).rounded() / 10)
        let failing = reports.first { !$0.1.hasPrefix("Success") }
        let example = failing.map { ": \($0.0) says \($0.1)" } ?? ""
        findings.expect(share + 1e-9 >= minimumHealthy, "\(healthy.count) of \(reports.count) checkers report success, below \(Int(minimumHealthy * 100))%\(example)")
        findings.expect(failing == nil, "\(healthy.count) of \(reports.count) checkers report success\(example)", else: .warn)
        return (findings, "all \(reports.count) checkers report success")
    }
}
