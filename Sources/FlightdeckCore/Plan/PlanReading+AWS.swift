import Foundation

/// `aws.checks`: each AWS resource the launch runs on, by kind, with what it must show.
extension PlanReading {
    static let awsCommonKeys = ["id", "name", "resource", "severity", "region", "endpoint", "runbook"] + timingKeys

    /// The keys each resource kind takes besides the common ones.
    static let awsResourceKeys: [AWSResource.Kind: [String]] = [
        .acmCertificate: ["arn", "covers", "warning_days", "critical_days"],
        .ecsService: ["cluster", "service", "min_running", "stopped_within", "scaling"],
        .rdsInstance: ["instance", "backup_retention_days", "multi_az", "restorable_within"],
        .elastiCacheReplicationGroup: ["group"],
        .s3Bucket: ["bucket", "replication_to"],
        .ssmParameters: ["names"],
        .cloudWatchAlarms: ["alarms"],
        .route53Zone: ["zone_id", "nameservers", "records"],
        .rdsCluster: ["cluster", "backup_retention_days", "multi_az", "restorable_within"],
        .route53HealthCheck: ["health_check_id", "min_healthy"],
        .cloudFrontDistribution: ["distribution_id", "aliases", "certificate_arn"],
        .wafWebACL: ["resource_arn", "web_acl"],
        .ecrImageScan: ["repository", "tag", "fail_on"],
        .budget: ["account_id", "budget", "threshold"],
    ]

    mutating func awsCheck(_ node: YAMLNode, aws: AWSDefaults, dns: DNSExpectations, tls: [TLSEndpoint]) -> AWSCheck? {
        // The kind decides which keys are known, so it is read before the mapping is checked.
        guard case .mapping(let raw) = node.node else {
            node.report("expected a mapping of keys to values, got \(node.kindDescription)")
            return nil
        }
        let kindNode = raw.first { $0.key.string == "resource" }.map { node.child($0.value, key: "resource") }
        guard let kindNode else {
            node.report("missing required key `resource`", hint: "the kind of resource: \(AWSResource.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        let kind = kindNode.choice(AWSResource.Kind.self, named: "resource kind Flightdeck checks")
        guard let map = node.mapping(keys: Self.awsCommonKeys + (kind.flatMap { Self.awsResourceKeys[$0] } ?? [])) else { return nil }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
        let name = map["name"]?.word()
        let severity = severityOrDefault(map)
        let region = map["region"].flatMap(awsRegion) ?? aws.region
        if region == nil, map["region"] == nil { node.report("no AWS region for this check", hint: "add `region: us-east-1` here, or `region:` under `aws:`") }
        let endpoint = map["endpoint"].flatMap { webURL($0, schemes: ["http", "https"]) } ?? aws.endpoint
        guard let kind, let resource = awsResource(kind, map, dns: dns, tls: tls), let id, let severity, let region else { return nil }
        var timing = timing(map)
        timing.interval = timing.interval ?? AWSCheck.defaultInterval
        return AWSCheck(id: id, name: name, severity: severity, region: region, endpoint: endpoint,
                        placeholderCredentials: aws.placeholderCredentials && endpoint != nil, resource: resource, timing: timing)
    }

    private func awsResource(_ kind: AWSResource.Kind, _ map: YAMLMapping, dns: DNSExpectations, tls: [TLSEndpoint]) -> AWSResource? {
        switch kind {
        case .acmCertificate:
            let arn = map.required("arn")?.word()
            if let arn, !arn.hasPrefix("arn:aws") { map["arn"]?.report("`\(arn)` is not an ACM certificate ARN", hint: "arn:aws:acm:REGION:ACCOUNT:certificate/ID") }
            // By default the certificate must cover every host the plan's TLS endpoints name.
            let covers = map["covers"].map { $0.list { $0.dnsName(allowWildcard: true) } } ?? tls.flatMap(\.covers)
            let warning = map["warning_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultWarningDays
            let critical = map["critical_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultCriticalDays
            if let warning, let critical, critical > warning {
                map["critical_days"]?.report("critical_days (\(critical)) is more than warning_days (\(warning))", hint: "the warning comes first")
                return nil
            }
            guard let arn, arn.hasPrefix("arn:aws"), let covers, let warning, let critical else { return nil }
            return .acmCertificate(arn: arn, covers: covers, warningDays: warning, criticalDays: critical)
        case .ecsService:
            let cluster = map.required("cluster")?.word()
            let service = map.required("service")?.word()
            let minimum = map["min_running"]?.int(in: 1...100_000)
            let stopped = map["stopped_within"].flatMap(positiveDuration) ?? .seconds(900)
            let scaling = map["scaling"].flatMap(scalingRange)
            guard let cluster, let service, map["min_running"] == nil || minimum != nil, map["scaling"] == nil || scaling != nil else { return nil }
            return .ecsService(cluster: cluster, service: service, minimumRunning: minimum, stoppedWithin: stopped, scaling: scaling)
        case .rdsInstance, .rdsCluster:
            let identifier = map.required(kind == .rdsInstance ? "instance" : "cluster")?.word()
            let retention = map["backup_retention_days"].map { $0.int(in: 1...35) } ?? 7
            let multiAZ = map["multi_az"].map { $0.bool() } ?? true
            let restorable = map["restorable_within"].flatMap(positiveDuration) ?? .seconds(600)
            guard let identifier, let retention, let multiAZ else { return nil }
            return kind == .rdsInstance ? .rdsInstance(identifier: identifier, retentionDays: retention, multiAZ: multiAZ, restorableWithin: restorable)
                : .rdsCluster(identifier: identifier, retentionDays: retention, multiAZ: multiAZ, restorableWithin: restorable)
        case .route53HealthCheck:
            let id = map.required("health_check_id")?.word()
            let share = map["min_healthy"].map(share) ?? 1
            guard let id, let share else { return nil }
            return .route53HealthCheck(healthCheckID: id, minimumHealthy: share)
        case .cloudFrontDistribution:
            let id = map.required("distribution_id")?.word()
            // By default it must answer to every host the plan's TLS endpoints name.
            let aliases = map["aliases"].map { $0.list { $0.dnsName(allowWildcard: true) } } ?? tls.map(\.host)
            let certificate = map["certificate_arn"]?.word()
            guard let id, let aliases else { return nil }
            return .cloudFrontDistribution(distributionID: id, aliases: aliases, certificateARN: certificate)
        case .wafWebACL:
            let arn = map.required("resource_arn")?.word()
            if let arn, !arn.hasPrefix("arn:aws") { map["resource_arn"]?.report("`\(arn)` is not an ARN", hint: "the load balancer's or distribution's ARN") }
            guard let arn, arn.hasPrefix("arn:aws") else { return nil }
            return .wafWebACL(resourceARN: arn, webACL: map["web_acl"]?.word())
        case .ecrImageScan:
            let repository = map.required("repository")?.word()
            let tag = map["tag"]?.word() ?? "latest"
            let failOn = map["fail_on"].map { $0.choice(ScanSeverity.self, named: "severity to fail on") } ?? .critical
            guard let repository, let failOn else { return nil }
            return .ecrImageScan(repository: repository, tag: tag, failOn: failOn.rawValue.uppercased())
        case .budget:
            let account = map.required("account_id")?.word()
            if let account, account.count != 12 || !account.allSatisfy(\.isASCIIDigit) {
                map["account_id"]?.report("`\(account)` is not an AWS account id", hint: "twelve digits, as in 123456789012")
            }
            let name = map.required("budget")?.word()
            let threshold = map.required("threshold").flatMap(share)
            guard let account, account.count == 12, let name, let threshold else { return nil }
            return .budget(accountID: account, name: name, thresholdPercent: threshold * 100)
        case .elastiCacheReplicationGroup:
            return map.required("group")?.word().map { .elastiCacheReplicationGroup(identifier: $0) }
        case .s3Bucket:
            let bucket = map.required("bucket")?.word()
            let destination = map["replication_to"]?.word()
            guard let bucket else { return nil }
            return .s3Bucket(bucket: bucket, replicationTo: destination)
        case .ssmParameters:
            let names = map.required("names")?.list { $0.word() }
            guard let names, !names.isEmpty else {
                if names != nil { map["names"]?.report("name at least one parameter") }
                return nil
            }
            return .ssmParameters(names: names)
        case .cloudWatchAlarms:
            let names = map.required("alarms")?.list { $0.word() }
            guard let names, !names.isEmpty else {
                if names != nil { map["alarms"]?.report("name at least one alarm") }
                return nil
            }
            return .cloudWatchAlarms(names: names)
        case .route53Zone:
            let zoneID = map.required("zone_id")?.word()
            // By default: the names the registrar must be given, and every record the plan expects.
            let nameservers = map["nameservers"].map { $0.list { $0.dnsName() } } ?? dns.expectedNameservers.map(\.name)
            let records = (map["records"].map { $0.bool() } ?? true).map { $0 ? dns.records : [] }
            guard let zoneID, let nameservers, let records else { return nil }
            if nameservers.isEmpty {
                map.node.report("no nameservers to compare the zone's delegation set with",
                                hint: "list them here as `nameservers:`, or under dns.nameservers.expected")
                return nil
            }
            return .route53Zone(zoneID: zoneID.hasPrefix("/hostedzone/") ? String(zoneID.dropFirst(12)) : zoneID, nameservers: nameservers, records: records)
        }
    }

    enum ScanSeverity: String, CaseIterable {
        case critical, high
    }

    /// `scaling: { min: 2, max: 10 }`: the Application Auto Scaling target must say exactly this.
    func scalingRange(_ node: YAMLNode) -> ClosedRange<Int>? {
        guard let map = node.mapping(keys: ["min", "max"]) else { return nil }
        let low = map.required("min")?.int(in: 0...100_000)
        let high = map.required("max")?.int(in: 0...100_000)
        guard let low, let high else { return nil }
        guard low <= high else {
            node.report("min (\(low)) is more than max (\(high))")
            return nil
        }
        return low...high
    }
}
