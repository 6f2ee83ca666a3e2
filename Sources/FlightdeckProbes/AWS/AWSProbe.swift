import FlightdeckCore
import Foundation

/// An AWS resource check: reads the resource through AWS's read-only APIs and judges it.
/// An AWS error (access denied, an expired token, a region without the service) is
/// `unknown` in AWS's own words: it says nothing about the resource.
public final class AWSProbe: Probe {
    public let check: AWSCheck
    public var checkID: String { check.id }
    public let interval: Duration
    public let timeout: Duration
    private let environment: [String: String]

    public init(check: AWSCheck, polling: PollingSettings, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.check = check
        interval = check.timing.interval ?? AWSCheck.defaultInterval
        timeout = check.timing.timeout ?? polling.timeout
        self.environment = environment
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let started = ContinuousClock.now
        let client = AWSClient(region: check.region, endpoint: check.endpoint, placeholderCredentials: check.placeholderCredentials,
                               environment: environment, timeout: timeout)
        let read: Result<(findings: AWSFindings, summary: String), AWSProblem> = switch check.resource {
        case .acmCertificate(let arn, let covers, let warning, let critical):
            await ACMCertificate.read(client, arn: arn, covers: covers, warningDays: warning, criticalDays: critical)
        case .ecsService(let cluster, let service, let minimum, let stopped, let scaling):
            await ECSService.read(client, cluster: cluster, service: service, minimumRunning: minimum, stoppedWithin: stopped, scaling: scaling)
        case .rdsInstance(let identifier, let retention, let multiAZ, let restorable):
            await RDSInstance.read(client, identifier: identifier, retentionDays: retention, multiAZ: multiAZ, restorableWithin: restorable)
        case .elastiCacheReplicationGroup(let identifier):
            await ElastiCacheReplicationGroup.read(client, identifier: identifier)
        case .s3Bucket(let bucket, let destination):
            await S3Bucket.read(client, bucket: bucket, replicationTo: destination)
        case .ssmParameters(let names):
            await SSMParameters.read(client, names: names)
        case .cloudWatchAlarms(let names):
            await CloudWatchAlarmsArmed.read(client, names: names)
        case .route53Zone(let zoneID, let nameservers, let records):
            await Route53Zone.read(client, zoneID: zoneID, nameservers: nameservers, records: records)
        case .rdsCluster(let identifier, let retention, let multiAZ, let restorable):
            await RDSInstance.read(client, identifier: identifier, cluster: true, retentionDays: retention, multiAZ: multiAZ, restorableWithin: restorable)
        case .route53HealthCheck(let id, let minimum):
            await Route53HealthCheck.read(client, healthCheckID: id, minimumHealthy: minimum)
        case .cloudFrontDistribution(let id, let aliases, let certificate):
            await CloudFrontDistribution.read(client, distributionID: id, aliases: aliases, certificateARN: certificate)
        case .wafWebACL(let arn, let webACL):
            await WAFWebACL.read(client, resourceARN: arn, webACL: webACL)
        case .ecrImageScan(let repository, let tag, let failOn):
            await ECRImageScan.read(client, repository: repository, tag: tag, failOn: failOn)
        case .budget(let account, let name, let threshold):
            await Budget.read(client, accountID: account, name: name, thresholdPercent: threshold)
        }
        let latency = ContinuousClock.now - started
        switch read {
        case .success(let result):
            let (status, detail, observed) = result.findings.judged(result.summary)
            return ProbeOutcome(checkID: check.id, finishedAt: now, status: status, detail: detail, latency: latency, observed: observed)
        case .failure(let problem):
            return ProbeOutcome(checkID: check.id, finishedAt: now, status: .unknown, detail: "AWS says \(problem)", latency: latency)
        }
    }
}
