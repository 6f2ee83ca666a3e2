import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// AWS resource checks against moto's server: each bad state and the good one set up
/// through the same APIs AWS has, then read back by the probe. Where moto cannot produce a
/// state (a task running, a subscription pending), the reader is tested on the response
/// shape AWS documents.
@Suite("AWS resource checks: moto standing in for AWS", .serialized)
struct AWSProbeTests {
    static let credentials = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    private func plan(_ checks: String, endpoint: String, extra: String = "") throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: """
            launch: { name: AWS, zone: directfanz.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            \(extra)
            aws:
              region: us-east-1
              endpoint: "\(endpoint)"
              checks:
            \(checks)
            """, file: "aws.yaml").get()
    }

    private func run(_ plan: LaunchPlan, _ index: Int = 0) async -> ProbeOutcome {
        await AWSProbe(check: plan.awsChecks[index], polling: plan.polling, environment: Self.credentials).run(at: .zero)
    }

    private func findings(_ outcome: ProbeOutcome) -> [String] {
        if case .list(let lines)? = outcome.observed["findings"] { return lines }
        return []
    }

    @Test("RDS: 7-day backups against the seed's 30 fail; after ModifyDBInstance to 30 it passes; a missing instance fails")
    func rds() async throws {
        let moto = try MotoServer.shared()
        try moto.query("rds", version: "2014-10-31", ["Action": "CreateDBInstance", "DBInstanceIdentifier": "directfanz-prod",
                                                      "DBInstanceClass": "db.t3.micro", "Engine": "postgres", "MasterUsername": "app",
                                                      "MasterUserPassword": "correct-horse-1", "AllocatedStorage": "20",
                                                      "BackupRetentionPeriod": "7", "MultiAZ": "true", "StorageEncrypted": "true"])
        let plan = try plan("""
                - { id: rds-main, resource: rds-instance, instance: directfanz-prod, backup_retention_days: 30 }
                - { id: rds-gone, resource: rds-instance, instance: nope }
            """, endpoint: moto.url)
        let short = await run(plan)
        #expect((short.status, short.detail) == (.fail, "backups are kept 7 days; the plan requires 30"))
        try moto.query("rds", version: "2014-10-31", ["Action": "ModifyDBInstance", "DBInstanceIdentifier": "directfanz-prod",
                                                      "BackupRetentionPeriod": "30", "ApplyImmediately": "true"])
        let kept = await run(plan)
        #expect(kept.status == .pass)
        #expect(kept.detail.hasPrefix("available, Multi-AZ, encrypted, 30-day backups, restorable to "))
        #expect(kept.observed["backup_retention_days"] == .number(30))
        let gone = await run(plan, 1)
        #expect((gone.status, gone.detail) == (.fail, "no RDS instance nope in us-east-1"))
    }

    @Test("RDS on AWS's documented shape: point-in-time recovery that stalled two hours ago is red")
    func rdsStalledRecovery() throws {
        let now = Date()
        let instance = try XMLElement.parse(Array("""
            <DBInstance><DBInstanceStatus>available</DBInstanceStatus><BackupRetentionPeriod>30</BackupRetentionPeriod>
            <MultiAZ>true</MultiAZ><StorageEncrypted>true</StorageEncrypted>
            <LatestRestorableTime>\(now.addingTimeInterval(-7200).formatted(.iso8601))</LatestRestorableTime></DBInstance>
            """.utf8)).get()
        let judged = RDSInstance.judge(instance, identifier: "db", retentionDays: 30, multiAZ: true, restorableWithin: .seconds(600), now: now)
            .findings.judged("")
        #expect((judged.status, judged.detail) == (.fail, "it can be restored only to 2h ago (more than 10m): point-in-time recovery has stalled"))
    }

    @Test("ACM: a certificate pending validation fails; an imported one is ISSUED but attached to nothing, not renewed by ACM, and close to expiry")
    func acm() async throws {
        let moto = try MotoServer.shared()
        let requested = try moto.json("acm", target: "CertificateManager.RequestCertificate",
                                      ["DomainName": "directfanz.test", "SubjectAlternativeNames": ["*.directfanz.test"], "ValidationMethod": "DNS"])
        let pendingARN = try #require(requested["CertificateArn"] as? String)
        let directory = try TestDirectory("acm")
        let certificates = try TestCertificates(directory: directory.path, names: ["directfanz.test", "api.directfanz.test"])
        let imported = try moto.json("acm", target: "CertificateManager.ImportCertificate", [
            "Certificate": Data(try String(contentsOfFile: certificates.serverCertificate, encoding: .utf8).utf8).base64EncodedString(),
            "PrivateKey": Data(try String(contentsOfFile: certificates.serverKey, encoding: .utf8).utf8).base64EncodedString(),
        ])
        let importedARN = try #require(imported["CertificateArn"] as? String)
        let plan = try plan("""
                - { id: cert-pending, resource: acm-certificate, arn: "\(pendingARN)", covers: [directfanz.test, www.directfanz.test] }
                - { id: cert-imported, resource: acm-certificate, arn: "\(importedARN)", covers: [api.directfanz.test, cdn.directfanz.test] }
            """, endpoint: moto.url)
        let pending = await run(plan)
        #expect(pending.status == .fail)
        #expect(pending.detail.hasPrefix("the certificate is PENDING_VALIDATION, not ISSUED (and "))
        #expect(findings(pending).contains("fail: directfanz.test is PENDING_VALIDATION, not validated"))
        #expect(!findings(pending).contains { $0.contains("www.directfanz.test") }, "the wildcard covers www")

        let attached = await run(plan, 1)
        #expect(attached.status == .fail)
        #expect(findings(attached) == [
            "fail: it does not cover cdn.directfanz.test",
            "fail: it is attached to nothing (InUseBy is empty): no load balancer or distribution serves it",
            "warn: it is imported: ACM will not renew it",
            "warn: 29 days left; yellow under 30 days",
        ])
    }

    @Test("ECS through moto: desired 4, none running is red with the count; the scaling target must match the plan")
    func ecs() async throws {
        let moto = try MotoServer.shared()
        let ecs = "AmazonEC2ContainerServiceV20141113"
        try moto.json("ecs", target: "\(ecs).CreateCluster", ["clusterName": "directfanz-prod"])
        try moto.json("ecs", target: "\(ecs).RegisterTaskDefinition", ["family": "api", "containerDefinitions": [["name": "api", "image": "nginx", "memory": 128]]])
        try moto.json("ecs", target: "\(ecs).CreateService", ["cluster": "directfanz-prod", "serviceName": "api", "taskDefinition": "api", "desiredCount": 4])
        try moto.json("application-autoscaling", target: "AnyScaleFrontendService.RegisterScalableTarget", [
            "ServiceNamespace": "ecs", "ResourceId": "service/directfanz-prod/api", "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": 2, "MaxCapacity": 4,
        ])
        let plan = try plan("""
                - { id: ecs-api, resource: ecs-service, cluster: directfanz-prod, service: api, scaling: { min: 2, max: 10 } }
                - { id: ecs-gone, resource: ecs-service, cluster: directfanz-prod, service: worker }
            """, endpoint: moto.url)
        let outcome = await run(plan)
        #expect((outcome.status, outcome.detail) == (.fail, "0 of 4 tasks running (4 pending) (and 2 more: see the detail)"))
        #expect(findings(outcome) == ["fail: 0 of 4 tasks running (4 pending)", "warn: a deployment is rolling out (IN_PROGRESS)",
                                      "fail: it scales 2 to 4; the plan expects 2 to 10"])
        let missing = await run(plan, 1)
        #expect((missing.status, missing.detail) == (.fail, "no service worker in cluster directfanz-prod (MISSING)"))
    }

    @Test("ECS on AWS's documented shape: 2 of 4 running, then 4 of 4 with the rollout COMPLETED; a task stopped by a failed health check")
    func ecsDocumented() throws {
        let now = Date()
        func service(running: Int, rollout: String) -> [String: Any] {
            ["services": [["status": "ACTIVE", "runningCount": running, "desiredCount": 4, "pendingCount": 4 - running,
                           "deployments": [["status": "PRIMARY", "rolloutState": rollout]]]]]
        }
        func judge(_ document: [String: Any], stopped: [[String: Any]] = []) -> (CheckStatus, String) {
            let (findings, summary) = ECSService.judge(document, cluster: "prod", service: "api", minimumRunning: nil, stoppedTasks: stopped,
                                                       stoppedWithin: .seconds(900), scaling: nil, scalableTargets: nil, now: now)
            let judged = findings.judged(summary)
            return (judged.status, judged.detail)
        }
        #expect(judge(service(running: 2, rollout: "IN_PROGRESS")) == (.fail, "2 of 4 tasks running (2 pending) (and 1 more: see the detail)"))
        #expect(judge(service(running: 4, rollout: "COMPLETED")) == (.pass, "ACTIVE, 4 of 4 tasks running, deployment COMPLETED"))
        let stopped: [[String: Any]] = [["taskArn": "arn:aws:ecs:us-east-1:1:task/prod/abc123", "stoppedAt": now.addingTimeInterval(-240).timeIntervalSince1970,
                                         "stoppedReason": "Task failed ELB health checks in (target-group arn:aws:...:targetgroup/api/1)"]]
        #expect(judge(service(running: 4, rollout: "COMPLETED"), stopped: stopped)
            == (.fail, "task abc123 stopped by a failed health check 4m ago: Task failed ELB health checks in (target-group arn:aws:...:targetgroup/api/1)"))
    }

    @Test("S3: no encryption and no public access block fail; a disabled replication rule fails; enabled to the destination passes")
    func s3() async throws {
        let moto = try MotoServer.shared()
        try moto.rest("s3", "PUT", "/directfanz-media")
        let plan = try plan("""
                - { id: s3-media, resource: s3-bucket, bucket: directfanz-media, replication_to: directfanz-media-dr }
            """, endpoint: moto.url)
        let bare = await run(plan)
        #expect(bare.status == .fail)
        #expect(findings(bare) == ["fail: default encryption is off", "fail: public access is not blocked: the bucket has no public access block",
                                   "fail: no replication is configured (to directfanz-media-dr or anywhere)"])
        try moto.rest("s3", "PUT", "/directfanz-media?encryption", """
            <ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>\
            </ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>
            """)
        try moto.rest("s3", "PUT", "/directfanz-media?publicAccessBlock", """
            <PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>\
            <BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>
            """)
        try moto.rest("s3", "PUT", "/directfanz-media?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
        func replication(_ status: String) throws {
            try moto.rest("s3", "PUT", "/directfanz-media?replication", """
                <ReplicationConfiguration><Role>arn:aws:iam::123456789012:role/replication</Role><Rule><ID>dr</ID><Priority>1</Priority>\
                <Status>\(status)</Status><Filter><Prefix></Prefix></Filter><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>\
                <Destination><Bucket>arn:aws:s3:::directfanz-media-dr</Bucket></Destination></Rule></ReplicationConfiguration>
                """)
        }
        try replication("Disabled")
        let disabled = await run(plan)
        #expect((disabled.status, disabled.detail) == (.fail, "the replication rule dr to directfanz-media-dr is Disabled"))
        try replication("Enabled")
        let good = await run(plan)
        #expect((good.status, good.detail) == (.pass, "encrypted by default, public access blocked, replicating to directfanz-media-dr"))
    }

    @Test("SSM: a missing parameter is named; values are never fetched, so a secret value appears nowhere")
    func ssm() async throws {
        let moto = try MotoServer.shared()
        for name in ["/prod/db-url", "/prod/stripe-key"] {
            try moto.json("ssm", target: "AmazonSSM.PutParameter", ["Name": name, "Value": "sk_live_do_not_show_\(name.count)", "Type": "SecureString"])
        }
        let plan = try plan("""
                - { id: ssm, resource: ssm-parameters, names: [/prod/db-url, /prod/stripe-key, /prod/jwt-secret] }
            """, endpoint: moto.url)
        let outcome = await run(plan)
        #expect((outcome.status, outcome.detail) == (.fail, "1 of 3 parameters missing: /prod/jwt-secret"))
        #expect(outcome.observed["parameters"] == .list(["/prod/db-url (version 1)", "/prod/stripe-key (version 1)", "/prod/jwt-secret (missing)"]))
        #expect(!"\(outcome)".contains("sk_live"))
    }

    @Test("CloudWatch alarms armed: actions disabled, no actions, a missing alarm fail; an SNS email subscription confirmed passes")
    func alarmsArmed() async throws {
        let moto = try MotoServer.shared()
        let topic = try moto.query("sns", version: "2010-03-31", ["Action": "CreateTopic", "Name": "launch-alerts"])
        let topicARN = String(topic.components(separatedBy: "<TopicArn>")[1].prefix { $0 != "<" })
        try moto.query("sns", version: "2010-03-31", ["Action": "Subscribe", "TopicArn": topicARN, "Protocol": "email", "Endpoint": "oncall@directfanz.test"])
        func alarm(_ name: String, actions: [String], enabled: Bool) throws {
            var parameters = ["Action": "PutMetricAlarm", "AlarmName": name, "MetricName": "5XXError", "Namespace": "AWS/ApplicationELB",
                              "Statistic": "Sum", "Period": "60", "EvaluationPeriods": "1", "Threshold": "5",
                              "ComparisonOperator": "GreaterThanThreshold", "ActionsEnabled": enabled ? "true" : "false"]
            for (index, action) in actions.enumerated() { parameters["AlarmActions.member.\(index + 1)"] = action }
            try moto.cloudwatch(parameters)
        }
        try alarm("api-5xx", actions: [topicARN], enabled: true)
        try alarm("api-latency", actions: [topicARN], enabled: false)
        try alarm("db-cpu", actions: [], enabled: true)
        let plan = try plan("""
                - { id: armed, resource: cloudwatch-alarms, alarms: [api-5xx] }
                - { id: disarmed, resource: cloudwatch-alarms, alarms: [api-5xx, api-latency, db-cpu, cache-evictions] }
            """, endpoint: moto.url)
        let armed = await run(plan)
        #expect((armed.status, armed.detail) == (.pass, "api-5xx armed, with a confirmed email subscription"))
        let disarmed = await run(plan, 1)
        #expect(findings(disarmed) == ["fail: api-latency has its actions disabled: it will change state and tell nobody",
                                       "fail: db-cpu has no alarm actions: it notifies nobody", "fail: no alarm named cache-evictions"])
    }

    @Test("CloudWatch alarms on SNS's documented shape: an email subscription still PendingConfirmation is not one")
    func pendingSubscription() throws {
        let alarm = try XMLElement.parse(Array("""
            <member><AlarmName>api-5xx</AlarmName><ActionsEnabled>true</ActionsEnabled>
            <AlarmActions><member>arn:aws:sns:us-east-1:1:launch-alerts</member></AlarmActions></member>
            """.utf8)).get()
        let judged = CloudWatchAlarmsArmed.judge(names: ["api-5xx"], alarms: [alarm], subscriptions: [
            "arn:aws:sns:us-east-1:1:launch-alerts": [.init(protocolName: "email", arn: "PendingConfirmation", endpoint: "oncall@directfanz.test")],
        ]).findings.judged("")
        #expect((judged.status, judged.detail) == (.fail, "api-5xx notifies launch-alerts, which has no confirmed email subscription (oncall@directfanz.test: PendingConfirmation)"))
    }

    @Test("Route 53: the zone's delegation set against the plan's nameservers, and its records against the plan's")
    func route53() async throws {
        let moto = try MotoServer.shared()
        let created = try moto.rest("route53", "POST", "/2013-04-01/hostedzone", """
            <CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>directfanz.test.</Name>\
            <CallerReference>launch-1</CallerReference></CreateHostedZoneRequest>
            """)
        let zoneID = String(created.components(separatedBy: "<Id>/hostedzone/")[1].prefix { $0 != "<" })
        let delegation = created.components(separatedBy: "<NameServer>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        try moto.rest("route53", "POST", "/2013-04-01/hostedzone/\(zoneID)/rrset", """
            <ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change>\
            <Action>CREATE</Action><ResourceRecordSet><Name>api.directfanz.test.</Name><Type>A</Type><TTL>60</TTL>\
            <ResourceRecords><ResourceRecord><Value>203.0.113.10</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>\
            </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>
            """)
        func zonePlan(nameservers: [String], apiValue: String) throws -> LaunchPlan {
            try plan("""
                    - { id: r53, resource: route53-zone, zone_id: "\(zoneID)" }
                """, endpoint: moto.url, extra: """
                dns:
                  nameservers: { expected: [\(nameservers.joined(separator: ", "))] }
                  records:
                    - { id: dns-api, name: api.directfanz.test, type: A, expected: ["\(apiValue)"] }
                    - { id: dns-www, name: www.directfanz.test, type: A, expected: ["203.0.113.11"] }
                """)
        }
        let wrong = await run(try zonePlan(nameservers: ["ns1.newdns.test", "ns2.newdns.test"], apiValue: "203.0.113.99"))
        #expect(findings(wrong) == [
            "fail: the zone's nameservers are \(delegation.joined(separator: ", ")), not the plan's ns1.newdns.test, ns2.newdns.test: the registrar must be given the zone's",
            "fail: api.directfanz.test A in the zone is 203.0.113.10, not 203.0.113.99",
            "fail: the zone has no www.directfanz.test A record",
        ])
        try moto.rest("route53", "POST", "/2013-04-01/hostedzone/\(zoneID)/rrset", """
            <ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change>\
            <Action>CREATE</Action><ResourceRecordSet><Name>www.directfanz.test.</Name><Type>A</Type><TTL>60</TTL>\
            <ResourceRecords><ResourceRecord><Value>203.0.113.11</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>\
            </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>
            """)
        let right = await run(try zonePlan(nameservers: delegation, apiValue: "203.0.113.10"))
        #expect((right.status, right.detail) == (.pass, "directfanz.test. delegated to the plan's 4 nameservers, all 2 records as planned"))
    }

    @Test("ElastiCache: automatic failover disabled fails; enabled passes")
    func elastiCache() async throws {
        let moto = try MotoServer.shared()
        for (group, failover) in [("cache-single", "false"), ("cache-ha", "true")] {
            try moto.query("elasticache", version: "2015-02-02", ["Action": "CreateReplicationGroup", "ReplicationGroupId": group,
                                                                  "ReplicationGroupDescription": "launch cache", "AutomaticFailoverEnabled": failover,
                                                                  "NumCacheClusters": "2", "CacheNodeType": "cache.t3.micro", "Engine": "redis"])
        }
        let plan = try plan("""
                - { id: cache-single, resource: elasticache-replication-group, group: cache-single }
                - { id: cache-ha, resource: elasticache-replication-group, group: cache-ha }
            """, endpoint: moto.url)
        let single = await run(plan)
        #expect((single.status, single.detail) == (.fail, "automatic failover is disabled: losing the primary means downtime until someone acts"))
        let ha = await run(plan, 1)
        #expect((ha.status, ha.detail) == (.pass, "available, automatic failover enabled"))
    }

    @Test("AWS's error answers are unknown in AWS's own words: access denied, an expired token")
    func errors() async throws {
        for (type, message) in [("AccessDeniedException", "User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:DescribeServices"),
                                ("ExpiredTokenException", "The security token included in the request is expired")] {
            let body = #"{"__type":"com.amazonaws.ecs#\#(type)","message":"\#(message)"}"#
            let server = try HostileServer(.raw("HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
            defer { server.stop() }
            let plan = try plan("    - { id: ecs-api, resource: ecs-service, cluster: prod, service: api }", endpoint: server.url)
            let outcome = await run(plan)
            #expect((outcome.status, outcome.detail) == (.unknown, "AWS says \(type): \(message)"))
        }
    }

    @Test("RDS clusters, Budgets, ECR scans, WAF and Route 53 health checks through moto: each in the state moto can make")
    func moreResources() async throws {
        let moto = try MotoServer.shared()
        try moto.query("rds", version: "2014-10-31", ["Action": "CreateDBCluster", "DBClusterIdentifier": "aurora-prod", "Engine": "aurora-postgresql",
                                                      "MasterUsername": "app", "MasterUserPassword": "correct-horse-1",
                                                      "BackupRetentionPeriod": "30", "StorageEncrypted": "true"])
        try moto.json("budgets", target: "AWSBudgetServiceGateway.CreateBudget", [
            "AccountId": "123456789012",
            "Budget": ["BudgetName": "launch-month", "BudgetLimit": ["Amount": "5000", "Unit": "USD"], "TimeUnit": "MONTHLY", "BudgetType": "COST"],
            "NotificationsWithSubscribers": [["Notification": ["NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80,
                                                               "ThresholdType": "PERCENTAGE"],
                                              "Subscribers": [["SubscriptionType": "EMAIL", "Address": "finance@directfanz.test"]]]],
        ])
        let ecr = "AmazonEC2ContainerRegistry_V20150921"
        try moto.json("ecr", target: "\(ecr).CreateRepository", ["repositoryName": "api"])
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:abc","size":1,"mediaType":"application/vnd.docker.container.image.v1+json"},"layers":[]}"#
        try moto.json("ecr", target: "\(ecr).PutImage", ["repositoryName": "api", "imageTag": "v42", "imageManifest": manifest])
        try moto.json("ecr", target: "\(ecr).PutImage", ["repositoryName": "api", "imageTag": "v43", "imageManifest": manifest.replacingOccurrences(of: "abc", with: "def")])
        try moto.json("ecr", target: "\(ecr).StartImageScan", ["repositoryName": "api", "imageId": ["imageTag": "v42"]])
        let acl = try moto.json("wafv2", target: "AWSWAF_20190729.CreateWebACL", [
            "Name": "launch-acl", "Scope": "REGIONAL", "DefaultAction": ["Allow": [String: Any]()],
            "VisibilityConfig": ["SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "launch"],
        ])
        let aclARN = try #require((acl["Summary"] as? [String: Any])?["ARN"] as? String)
        let protected = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
        try moto.json("wafv2", target: "AWSWAF_20190729.AssociateWebACL", ["WebACLArn": aclARN, "ResourceArn": protected])
        let healthCheck = try moto.rest("route53", "POST", "/2013-04-01/healthcheck", """
            <CreateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><CallerReference>hc-1</CallerReference>\
            <HealthCheckConfig><Type>HTTPS</Type><FullyQualifiedDomainName>api.directfanz.test</FullyQualifiedDomainName><Port>443</Port>\
            <ResourcePath>/health</ResourcePath></HealthCheckConfig></CreateHealthCheckRequest>
            """)
        let healthCheckID = String(healthCheck.components(separatedBy: "<Id>")[1].prefix { $0 != "<" })

        let plan = try plan("""
                - { id: aurora, resource: rds-cluster, cluster: aurora-prod, backup_retention_days: 30 }
                - { id: budget-ok, resource: budget, account_id: "123456789012", budget: launch-month, threshold: 80% }
                - { id: budget-90, resource: budget, account_id: "123456789012", budget: launch-month, threshold: 90% }
                - { id: scan-critical, resource: ecr-image-scan, repository: api, tag: v42 }
                - { id: scan-high, resource: ecr-image-scan, repository: api, tag: v42, fail_on: high }
                - { id: scan-never, resource: ecr-image-scan, repository: api, tag: v43 }
                - { id: waf-web, resource: wafv2-web-acl, resource_arn: "\(protected)", web_acl: launch-acl }
                - { id: waf-bare, resource: wafv2-web-acl, resource_arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/admin/1" }
                - { id: hc-api, resource: route53-health-check, health_check_id: "\(healthCheckID)" }
            """, endpoint: moto.url)
        var outcomes: [String: (CheckStatus, String)] = [:]
        for index in plan.awsChecks.indices {
            let outcome = await run(plan, index)
            outcomes[outcome.checkID] = (outcome.status, outcome.detail)
        }
        // moto's cluster is never Multi-AZ.
        #expect(outcomes["aurora"].map { [$0.0.rawValue, $0.1] } == ["fail", "it is not Multi-AZ: one Availability Zone going down takes it with it"])
        #expect(outcomes["budget-ok"].map { [$0.0.rawValue, $0.1] } == ["pass", "budget launch-month notifies at 80%"])
        #expect(outcomes["budget-90"].map { [$0.0.rawValue, $0.1] }
            == ["fail", "budget launch-month has no notification at 90% (it has: ACTUAL GREATER_THAN 80.0 PERCENTAGE)"])
        // moto's scanner finds one HIGH and no CRITICAL.
        #expect(outcomes["scan-critical"].map { [$0.0.rawValue, $0.1] } == ["warn", "api:v42 has 1 HIGH findings"])
        #expect(outcomes["scan-high"].map { [$0.0.rawValue, $0.1] } == ["fail", "api:v42 has 1 HIGH findings"])
        #expect(outcomes["scan-never"].map { [$0.0.rawValue, $0.1] } == ["fail", "api:v43 has never been scanned"])
        #expect(outcomes["waf-web"].map { [$0.0.rawValue, $0.1] } == ["pass", "web ACL launch-acl protects app/web/50dc6c495c0c9188"])
        #expect(outcomes["waf-bare"].map { [$0.0.rawValue, $0.1] } == ["fail", "no web ACL protects app/admin/1"])
        #expect(outcomes["hc-api"]?.0 == .pass)
        #expect(outcomes["hc-api"]?.1.hasSuffix("checkers report success") == true)
    }

    @Test("Route 53 health checks and CloudFront on AWS's documented shapes: a share of failing checkers; an alias and a certificate missing")
    func documentedShapes() throws {
        let observations = try XMLElement.parse(Array("""
            <HealthCheckObservations>
            <HealthCheckObservation><Region>us-east-1</Region><StatusReport><Status>Success: HTTP Status Code 200, OK</Status></StatusReport></HealthCheckObservation>
            <HealthCheckObservation><Region>eu-west-1</Region><StatusReport><Status>Failure: Connection timed out.</Status></StatusReport></HealthCheckObservation>
            <HealthCheckObservation><Region>ap-southeast-1</Region><StatusReport><Status>Failure: Connection timed out.</Status></StatusReport></HealthCheckObservation>
            <HealthCheckObservation><Region>sa-east-1</Region><StatusReport><Status>Success: HTTP Status Code 200, OK</Status></StatusReport></HealthCheckObservation>
            </HealthCheckObservations>
            """.utf8)).get().children("HealthCheckObservation")
        let half = Route53HealthCheck.judge(observations, minimumHealthy: 0.5).findings.judged("")
        #expect((half.status, half.detail) == (.warn, "2 of 4 checkers report success: eu-west-1 says Failure: Connection timed out."))
        let strict = Route53HealthCheck.judge(observations, minimumHealthy: 1).findings.judged("")
        #expect(strict.status == .fail)
        #expect(strict.detail.hasPrefix("2 of 4 checkers report success, below 100%: eu-west-1 says Failure: Connection timed out."))

        let distribution = try XMLElement.parse(Array("""
            <Distribution><Id>E2QWRUHAPOMQZL</Id><Status>InProgress</Status><DistributionConfig>
            <Aliases><Quantity>1</Quantity><Items><CNAME>directfanz.io</CNAME></Items></Aliases>
            <ViewerCertificate><ACMCertificateArn>arn:aws:acm:us-east-1:1:certificate/old</ACMCertificateArn></ViewerCertificate>
            </DistributionConfig></Distribution>
            """.utf8)).get()
        let aliases = try [DNSName.parse("directfanz.io").get(), DNSName.parse("www.directfanz.io").get()]
        let judged = CloudFrontDistribution.judge(distribution, aliases: aliases, certificateARN: "arn:aws:acm:us-east-1:1:certificate/wildcard")
            .findings.judged("")
        #expect(judged.observed["findings"] == .list([
            "warn: the distribution is InProgress: changes are still reaching the edge",
            "fail: it does not answer to www.directfanz.io (its aliases: directfanz.io)",
            "fail: it serves arn:aws:acm:us-east-1:1:certificate/old, not the plan's wildcard",
        ]))
    }
}
