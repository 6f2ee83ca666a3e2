import FlightdeckCore
import Foundation

/// An ElastiCache replication group (DescribeReplicationGroups): available, with automatic failover.
enum ElastiCacheReplicationGroup {
    static func read(_ client: AWSClient, identifier: String) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let answer = await client.query(service: "elasticache", version: "2015-02-02", action: "DescribeReplicationGroups",
                                        [("ReplicationGroupId", identifier)])
        if case .failure(let problem) = answer, problem.code == "ReplicationGroupNotFoundFault" {
            var findings = AWSFindings()
            findings.expect(false, "no ElastiCache replication group \(identifier) in \(client.region)")
            return .success((findings, ""))
        }
        return answer.map { judge($0.element(at: "DescribeReplicationGroupsResult/ReplicationGroups")?.child("ReplicationGroup"), identifier: identifier) }
    }

    static func judge(_ group: XMLElement?, identifier: String) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        guard let group else {
            findings.expect(false, "no ElastiCache replication group \(identifier)")
            return (findings, "")
        }
        let status = group.value("Status") ?? "unknown"
        let failover = group.value("AutomaticFailover") ?? "unknown"
        let members = group.child("MemberClusters")?.children.count ?? 0
        findings.observed = ["status": .text(status), "automatic_failover": .text(failover), "member_clusters": .number(Double(members))]
        findings.expect(status == "available" || status == "modifying", "the group is \(status), not available")
        findings.expect(status == "available", "the group is \(status)", else: .warn)
        findings.expect(failover == "enabled", "automatic failover is \(failover): losing the primary means downtime until someone acts")
        return (findings, "available, automatic failover enabled")
    }
}
