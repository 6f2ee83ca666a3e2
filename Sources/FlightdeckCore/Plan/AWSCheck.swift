import Foundation

// The plan's `aws.checks`: the AWS resources the launch runs on.

/// The state of one AWS resource the launch runs on, read through AWS's read-only APIs.
public struct AWSCheck: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var severity: Severity
    public var region: String
    public var endpoint: URL?
    /// Sign the calls to `endpoint` with a made-up key pair (`aws.placeholder_credentials`).
    public var placeholderCredentials = false
    public var resource: AWSResource
    public var timing: ProbeTiming

    /// AWS's state changes slowly and its APIs are rate-limited: a minute is often enough.
    public static let defaultInterval: Duration = .seconds(60)
}

/// What is checked, by resource kind, with what the plan expects of it. Defaults follow
/// AWS's own best-practice guidance, and the seed's numbers where it gives them.
public enum AWSResource: Sendable, Equatable {
    /// ISSUED, every domain validated, renewal eligible, attached, covering the names, not expiring.
    case acmCertificate(arn: String, covers: [DNSName], warningDays: Int, criticalDays: Int)
    /// ACTIVE, running == desired (and at least `minimumRunning`), one PRIMARY deployment
    /// COMPLETED, no task stopped by a failed health check lately; scaling registered.
    case ecsService(cluster: String, service: String, minimumRunning: Int?, stoppedWithin: Duration, scaling: ClosedRange<Int>?)
    /// available, backups kept `retentionDays` or more, Multi-AZ, encrypted, restorable to within `restorableWithin`.
    case rdsInstance(identifier: String, retentionDays: Int, multiAZ: Bool, restorableWithin: Duration)
    /// The same of an Aurora or Multi-AZ DB cluster.
    case rdsCluster(identifier: String, retentionDays: Int, multiAZ: Bool, restorableWithin: Duration)
    /// The share of Route 53's health checkers that report success.
    case route53HealthCheck(healthCheckID: String, minimumHealthy: Double)
    /// Deployed, answering to the plan's hosts, serving the plan's ACM certificate.
    case cloudFrontDistribution(distributionID: String, aliases: [DNSName], certificateARN: String?)
    /// A WAF web ACL is associated with the load balancer (or distribution), and it is the named one.
    case wafWebACL(resourceARN: String, webACL: String?)
    /// The image's scan found nothing at or above `failOn`.
    case ecrImageScan(repository: String, tag: String, failOn: String)
    /// The budget exists and notifies at the plan's threshold.
    case budget(accountID: String, name: String, thresholdPercent: Double)
    /// available, with automatic failover.
    case elastiCacheReplicationGroup(identifier: String)
    /// Default encryption, public access blocked, and replication enabled to the destination.
    case s3Bucket(bucket: String, replicationTo: String?)
    /// The parameters exist (names and versions only: a value is never fetched).
    case ssmParameters(names: [String])
    /// The alarms exist with actions enabled; their SNS topics have a confirmed email subscription.
    case cloudWatchAlarms(names: [String])
    /// The zone exists, is delegated to the plan's nameservers, and holds the plan's records.
    case route53Zone(zoneID: String, nameservers: [DNSName], records: [DNSRecordExpectation])

    public enum Kind: String, Sendable, CaseIterable {
        case acmCertificate = "acm-certificate", ecsService = "ecs-service", rdsInstance = "rds-instance"
        case elastiCacheReplicationGroup = "elasticache-replication-group", s3Bucket = "s3-bucket"
        case ssmParameters = "ssm-parameters", cloudWatchAlarms = "cloudwatch-alarms", route53Zone = "route53-zone"
        case rdsCluster = "rds-cluster", route53HealthCheck = "route53-health-check", cloudFrontDistribution = "cloudfront-distribution"
        case wafWebACL = "wafv2-web-acl", ecrImageScan = "ecr-image-scan", budget
    }

    public var kind: Kind {
        switch self {
        case .acmCertificate: .acmCertificate
        case .ecsService: .ecsService
        case .rdsInstance: .rdsInstance
        case .elastiCacheReplicationGroup: .elastiCacheReplicationGroup
        case .s3Bucket: .s3Bucket
        case .ssmParameters: .ssmParameters
        case .cloudWatchAlarms: .cloudWatchAlarms
        case .route53Zone: .route53Zone
        case .rdsCluster: .rdsCluster
        case .route53HealthCheck: .route53HealthCheck
        case .cloudFrontDistribution: .cloudFrontDistribution
        case .wafWebACL: .wafWebACL
        case .ecrImageScan: .ecrImageScan
        case .budget: .budget
        }
    }

    /// The resource, for people: `ecs-service directfanz-prod/api`.
    public var target: String {
        let name: String = switch self {
        case .acmCertificate(let arn, _, _, _): arn.split(separator: "/").last.map(String.init) ?? arn
        case .ecsService(let cluster, let service, _, _, _): "\(cluster)/\(service)"
        case .rdsInstance(let identifier, _, _, _), .rdsCluster(let identifier, _, _, _), .elastiCacheReplicationGroup(let identifier): identifier
        case .route53HealthCheck(let id, _): id
        case .cloudFrontDistribution(let id, _, _): id
        case .wafWebACL(let arn, _): arn.split(separator: "/").dropFirst().joined(separator: "/")
        case .ecrImageScan(let repository, let tag, _): "\(repository):\(tag)"
        case .budget(_, let name, _): name
        case .s3Bucket(let bucket, _): bucket
        case .ssmParameters(let names), .cloudWatchAlarms(let names): names.count == 1 ? names[0] : "\(names.count) names"
        case .route53Zone(let zoneID, _, _): zoneID
        }
        return "\(kind.rawValue) \(name)"
    }
}
