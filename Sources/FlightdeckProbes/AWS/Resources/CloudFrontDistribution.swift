import FlightdeckCore
import Foundation

/// A CloudFront distribution (GetDistribution): Deployed, answering to the plan's hosts, and
/// serving the plan's ACM certificate.
enum CloudFrontDistribution {
    static func read(_ client: AWSClient, distributionID: String, aliases: [DNSName], certificateARN: String?) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let answer = await distribution(client, distributionID)
        if case .failure(let problem) = answer, problem.code == "NoSuchDistribution" {
            var findings = AWSFindings()
            findings.expect(false, "no CloudFront distribution \(distributionID)")
            return .success((findings, ""))
        }
        return answer.map { judge($0, aliases: aliases, certificateARN: certificateARN) }
    }

    /// CloudFront is global: signed for us-east-1.
    static func distribution(_ client: AWSClient, _ id: String) async -> Result<XMLElement, AWSProblem> {
        var global = client
        global.region = "us-east-1"
        return await global.rest(service: "cloudfront", host: "cloudfront.amazonaws.com", path: "/2020-05-31/distribution/\(id)")
    }

    static func judge(_ distribution: XMLElement, aliases: [DNSName], certificateARN: String?) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let status = distribution.value("Status") ?? "unknown"
        let served = (distribution.element(at: "DistributionConfig/Aliases/Items")?.children("CNAME") ?? []).map(\.trimmedText)
        let certificate = distribution.value("DistributionConfig/ViewerCertificate/ACMCertificateArn")
        findings.observed = ["status": .text(status), "aliases": .list(served), "certificate": .text(certificate ?? "none")]
        findings.expect(status == "Deployed" || status == "InProgress", "the distribution is \(status)")
        findings.expect(status == "Deployed", "the distribution is \(status): changes are still reaching the edge", else: .warn)
        for alias in aliases {
            findings.expect(served.contains { Route53Zone.sameName($0, alias.description) }, "it does not answer to \(alias) (its aliases: \(served.isEmpty ? "none" : served.joined(separator: ", ")))")
        }
        if let certificateARN {
            findings.expect(certificate == certificateARN, "it serves \(certificate ?? "no ACM certificate"), not the plan's \(certificateARN.split(separator: "/").last ?? "")")
        }
        return (findings, "Deployed, answering to \(aliases.count) hosts" + (certificateARN == nil ? "" : " with the plan's certificate"))
    }
}
