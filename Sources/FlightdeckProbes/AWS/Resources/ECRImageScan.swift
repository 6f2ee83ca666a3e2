import FlightdeckCore
import Foundation

/// An ECR image scan (DescribeImageScanFindings): complete, with no finding at or above the
/// plan's severity (CRITICAL by default, or HIGH).
enum ECRImageScan {
    static let severities = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]

    static func read(_ client: AWSClient, repository: String, tag: String, failOn: String) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let answer = await client.json(service: "ecr", host: "api.ecr", target: "AmazonEC2ContainerRegistry_V20150921.DescribeImageScanFindings",
                                       ["repositoryName": repository, "imageId": ["imageTag": tag]])
        var findings = AWSFindings()
        if case .failure(let problem) = answer {
            switch problem.code {
            case "ScanNotFoundException": findings.expect(false, "\(repository):\(tag) has never been scanned")
            case "ImageNotFoundException": findings.expect(false, "no image \(repository):\(tag)")
            case "RepositoryNotFoundException": findings.expect(false, "no repository \(repository)")
            default: return .failure(problem)
            }
            return .success((findings, ""))
        }
        return answer.map { judge($0, image: "\(repository):\(tag)", failOn: failOn) }
    }

    static func judge(_ document: [String: Any], image: String, failOn: String) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let status = document.object("imageScanStatus")?.text("status") ?? "unknown"
        let counts = document.object("imageScanFindings")?.object("findingSeverityCounts") ?? [:]
        let count = { (severity: String) in Int((counts[severity] as? NSNumber)?.intValue ?? 0) }
        findings.observed = ["scan_status": .text(status),
                             "findings": .list(severities.filter { count($0) > 0 }.map { "\($0): \(count($0))" })]
        guard status == "COMPLETE" else {
            let reason = document.object("imageScanStatus")?.text("description").map { ": \($0)" } ?? ""
            findings.expect(false, "the scan of \(image) is \(status)\(reason)", else: status == "IN_PROGRESS" || status == "PENDING" ? .warn : .unknown)
            return (findings, "")
        }
        let blocking = severities.prefix(through: severities.firstIndex(of: failOn) ?? 0)
        let found = blocking.filter { count($0) > 0 }
        findings.expect(found.isEmpty, "\(image) has " + found.map { "\(count($0)) \($0)" }.joined(separator: " and ") + " findings")
        let high = count("HIGH")
        findings.expect(failOn == "HIGH" || high == 0, "\(image) has \(high) HIGH findings", else: .warn)
        return (findings, "\(image) scanned: no \(failOn == "HIGH" ? "CRITICAL or HIGH" : "CRITICAL") findings")
    }
}
