import FlightdeckCore
import Foundation

/// WAFv2 (GetWebACLForResource; for a CloudFront distribution, its WebACLId): a web ACL
/// protects the load balancer or distribution, and it is the one the plan names.
enum WAFWebACL {
    static func read(_ client: AWSClient, resourceARN: String, webACL: String?) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        var attached: String?
        if resourceARN.contains(":cloudfront::") {
            let id = resourceARN.split(separator: "/").last.map(String.init) ?? resourceARN
            switch await CloudFrontDistribution.distribution(client, id) {
            case .success(let distribution): attached = distribution.value("DistributionConfig/WebACLId").flatMap { $0.isEmpty ? nil : $0 }
            case .failure(let problem): return .failure(problem)
            }
        } else {
            switch await client.json(service: "wafv2", target: "AWSWAF_20190729.GetWebACLForResource", ["ResourceArn": resourceARN]) {
            case .success(let document): attached = document.object("WebACL").flatMap { $0.text("ARN") ?? $0.text("Name") }
            case .failure(let problem) where problem.code == "WAFNonexistentItemException": attached = nil
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(judge(attached: attached, resourceARN: resourceARN, webACL: webACL))
    }

    static func judge(attached: String?, resourceARN: String, webACL: String?) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let resource = resourceARN.split(separator: "/").dropFirst().joined(separator: "/")
        findings.observed["web_acl"] = .text(attached ?? "none")
        guard let attached else {
            findings.expect(false, "no web ACL protects \(resource)")
            return (findings, "")
        }
        // A web ACL's ARN ends `.../webacl/NAME/ID`.
        let name = attached.split(separator: "/").dropLast().last.map(String.init) ?? attached
        if let webACL { findings.expect(name == webACL || attached == webACL, "\(resource) is protected by \(name), not \(webACL)") }
        return (findings, "web ACL \(name) protects \(resource)")
    }
}
