import FlightdeckCore
import Foundation

/// An ACM certificate (DescribeCertificate): ISSUED, every domain validated, eligible for
/// renewal, attached to something, covering the plan's hosts, and not close to expiry.
enum ACMCertificate {
    static func read(_ client: AWSClient, arn: String, covers: [DNSName], warningDays: Int, criticalDays: Int,
                     now: Date = Date()) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let answer = await client.json(service: "acm", target: "CertificateManager.DescribeCertificate", ["CertificateArn": arn])
        if case .failure(let problem) = answer, problem.code == "ResourceNotFoundException" {
            var findings = AWSFindings()
            findings.expect(false, "no certificate \(arn) in \(client.region)")
            return .success((findings, ""))
        }
        return answer.map { judge($0.object("Certificate") ?? [:], covers: covers, warningDays: warningDays, criticalDays: criticalDays, now: now) }
    }

    static func judge(_ certificate: [String: Any], covers: [DNSName], warningDays: Int, criticalDays: Int,
                      now: Date) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let status = certificate.text("Status") ?? "unknown"
        let names = (certificate["SubjectAlternativeNames"] as? [String]) ?? certificate.text("DomainName").map { [$0] } ?? []
        let inUse = (certificate["InUseBy"] as? [String]) ?? []
        let imported = certificate.text("Type") == "IMPORTED"
        findings.observed = ["status": .text(status), "names": .list(names), "in_use_by": .list(inUse),
                             "renewal_eligibility": .text(certificate.text("RenewalEligibility") ?? "unknown")]
        findings.expect(status == "ISSUED", "the certificate is \(status), not ISSUED")
        for option in certificate.objects("DomainValidationOptions") {
            let validation = option.text("ValidationStatus") ?? "unknown"
            findings.expect(validation == "SUCCESS", "\(option.text("DomainName") ?? "a domain") is \(validation), not validated")
        }
        for host in covers {
            findings.expect(HostnameCoverage.coveringName(names, host.description) != nil, "it does not cover \(host)")
        }
        findings.expect(!inUse.isEmpty, "it is attached to nothing (InUseBy is empty): no load balancer or distribution serves it")
        let eligibility = certificate.text("RenewalEligibility") ?? "unknown"
        findings.expect(eligibility == "ELIGIBLE", imported ? "it is imported: ACM will not renew it" : "ACM cannot renew it (RenewalEligibility \(eligibility))",
                        else: .warn)
        var days: Int?
        if let notAfter = certificate.date("NotAfter") {
            let left = Int(notAfter.timeIntervalSince(now) / 86_400)
            days = left
            findings.observed["days_left"] = .number(Double(left))
            findings.observed["not_after"] = .text(notAfter.formatted(.iso8601))
            findings.expect(left >= criticalDays, left < 0 ? "it expired \(-left) days ago" : "\(left) days left; red under \(criticalDays) days")
            findings.expect(left >= warningDays, "\(left) days left; yellow under \(warningDays) days", else: .warn)
        }
        let summary = "ISSUED, covers \(covers.isEmpty ? "\(names.count) names" : "all \(covers.count) hosts"), in use by \(inUse.count)"
            + (days.map { ", \($0) days left" } ?? "")
        return (findings, summary)
    }
}
