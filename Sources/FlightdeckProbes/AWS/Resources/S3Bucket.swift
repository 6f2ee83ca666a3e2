import FlightdeckCore
import Foundation

/// An S3 bucket (GetBucketEncryption, GetPublicAccessBlock, GetBucketReplication): default
/// encryption on, public access blocked, and replication enabled to the named destination.
enum S3Bucket {
    static func read(_ client: AWSClient, bucket: String, replicationTo destination: String?) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        // Virtual-hosted on AWS; path-style at a test endpoint.
        let (host, path) = client.endpoint == nil ? ("\(bucket).s3.\(client.region).amazonaws.com", "/") : ("", "/\(bucket)")
        func get(_ subresource: String) async -> Result<XMLElement, AWSProblem> {
            await client.rest(service: "s3", host: host, path: path, query: subresource)
        }
        var findings = AWSFindings()
        switch await get("encryption") {
        case .success(let root):
            let algorithm = root.child("Rule")?.value("ApplyServerSideEncryptionByDefault/SSEAlgorithm")
            findings.observed["encryption"] = .text(algorithm ?? "none")
            findings.expect(algorithm != nil, "default encryption is not configured")
        case .failure(let problem) where problem.code == "NoSuchBucket":
            findings.expect(false, "no bucket \(bucket)")
            return .success((findings, ""))
        case .failure(let problem) where problem.code == "ServerSideEncryptionConfigurationNotFoundError":
            findings.observed["encryption"] = .text("none")
            findings.expect(false, "default encryption is off")
        case .failure(let problem): return .failure(problem)
        }
        switch await get("publicAccessBlock") {
        case .success(let root):
            let settings = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]
            let off = settings.filter { root.value($0) != "true" }
            findings.observed["public_access_block"] = .list(settings.map { "\($0): \(root.value($0) ?? "false")" })
            findings.expect(off.isEmpty, "public access is not fully blocked: \(off.joined(separator: ", ")) off")
        case .failure(let problem) where problem.code == "NoSuchPublicAccessBlockConfiguration":
            findings.expect(false, "public access is not blocked: the bucket has no public access block")
        case .failure(let problem): return .failure(problem)
        }
        var replication = ""
        if let destination {
            let wanted = destination.hasPrefix("arn:") ? destination : "arn:aws:s3:::\(destination)"
            switch await get("replication") {
            case .success(let root):
                let rules = root.children("Rule")
                let toDestination = rules.filter { $0.value("Destination/Bucket") == wanted }
                findings.observed["replication_rules"] = .list(rules.map { "\($0.value("ID") ?? "?"): \($0.value("Status") ?? "?") to \($0.value("Destination/Bucket") ?? "?")" })
                if toDestination.isEmpty {
                    findings.expect(false, "no replication rule to \(destination)")
                } else {
                    let disabled = toDestination.filter { $0.value("Status") != "Enabled" }
                    findings.expect(disabled.count < toDestination.count,
                                    "the replication rule \(disabled.first?.value("ID") ?? "") to \(destination) is \(disabled.first?.value("Status") ?? "not enabled")")
                    replication = ", replicating to \(destination)"
                }
            case .failure(let problem) where problem.code == "ReplicationConfigurationNotFoundError":
                findings.expect(false, "no replication is configured (to \(destination) or anywhere)")
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success((findings, "encrypted by default, public access blocked\(replication)"))
    }
}
