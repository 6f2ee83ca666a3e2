import FlightdeckCore
import Foundation

/// An RDS instance or cluster (DescribeDBInstances, DescribeDBClusters): available, backups
/// kept long enough, Multi-AZ, encrypted at rest, and restorable to within minutes
/// (point-in-time recovery is working).
enum RDSInstance {
    /// Statuses in which the instance serves, but something is going on.
    static let busy: Set<String> = ["backing-up", "modifying", "storage-optimization", "configuring-enhanced-monitoring", "maintenance", "upgrading"]

    static func read(_ client: AWSClient, identifier: String, cluster: Bool = false, retentionDays: Int, multiAZ: Bool,
                     restorableWithin: Duration, now: Date = Date()) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let (action, key, notFound, path) = cluster
            ? ("DescribeDBClusters", "DBClusterIdentifier", "DBClusterNotFoundFault", "DescribeDBClustersResult/DBClusters/DBCluster")
            : ("DescribeDBInstances", "DBInstanceIdentifier", "DBInstanceNotFound", "DescribeDBInstancesResult/DBInstances/DBInstance")
        let answer = await client.query(service: "rds", version: "2014-10-31", action: action, [(key, identifier)])
        if case .failure(let problem) = answer, problem.code == notFound {
            var findings = AWSFindings()
            findings.expect(false, "no RDS \(cluster ? "cluster" : "instance") \(identifier) in \(client.region)")
            return .success((findings, ""))
        }
        return answer.map { root in
            judge(root.element(at: path), identifier: identifier, cluster: cluster, retentionDays: retentionDays, multiAZ: multiAZ,
                  restorableWithin: restorableWithin, now: now)
        }
    }

    static func judge(_ instance: XMLElement?, identifier: String, cluster: Bool = false, retentionDays: Int, multiAZ: Bool,
                      restorableWithin: Duration, now: Date) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        let noun = cluster ? "cluster" : "instance"
        guard let instance else {
            findings.expect(false, "no RDS \(noun) \(identifier)")
            return (findings, "")
        }
        let status = instance.value(cluster ? "Status" : "DBInstanceStatus") ?? "unknown"
        let retention = Int(instance.value("BackupRetentionPeriod") ?? "") ?? 0
        let isMultiAZ = instance.value("MultiAZ") == "true"
        let encrypted = instance.value("StorageEncrypted") == "true"
        findings.observed = ["status": .text(status), "backup_retention_days": .number(Double(retention)), "multi_az": .flag(isMultiAZ),
                             "storage_encrypted": .flag(encrypted)]
        findings.expect(status == "available" || busy.contains(status), "the \(noun) is \(status), not available")
        findings.expect(status == "available", "the \(noun) is \(status)", else: .warn)
        findings.expect(retention >= retentionDays, retention == 0 ? "automated backups are off; the plan requires \(retentionDays) days"
                        : "backups are kept \(retention) days; the plan requires \(retentionDays)")
        if multiAZ { findings.expect(isMultiAZ, "it is not Multi-AZ: one Availability Zone going down takes it with it") }
        findings.expect(encrypted, "its storage is not encrypted")
        var restorable = ""
        if let text = instance.value("LatestRestorableTime"), let latest = try? Date(text, strategy: .iso8601) {
            let age = Int(now.timeIntervalSince(latest))
            findings.observed["latest_restorable_time"] = .text(latest.formatted(.iso8601))
            restorable = ", restorable to \(age / 60)m ago"
            findings.expect(Double(age) <= Double(restorableWithin.components.seconds),
                            "it can be restored only to \(PlanDuration.format(.seconds(Int64(age / 60 * 60)))) ago (more than \(PlanDuration.format(restorableWithin))): point-in-time recovery has stalled")
        } else if retention > 0 {
            findings.expect(false, "it reports no latest restorable time", else: .warn)
        }
        return (findings, "\(status), \(isMultiAZ ? "Multi-AZ" : "single-AZ"), encrypted, \(retention)-day backups\(restorable)")
    }
}
