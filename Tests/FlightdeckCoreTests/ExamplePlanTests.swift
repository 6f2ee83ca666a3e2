@testable import FlightdeckCore
import Foundation
import Testing

/// The plans under Examples/, found from this file's place in the package.
func examplePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples").appendingPathComponent(name).path
}

/// A plan file read as the command line reads one (the reading itself lives in
/// FlightdeckStore: this module does no I/O).
func loadPlan(_ path: String, environment: [String: String]) -> Result<LaunchPlan, PlanLoadError> {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fatalError("cannot read \(path)") }
    let files = PlanFiles(directory: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                          isReadable: { FileManager.default.isReadableFile(atPath: $0) })
    return PlanLoader(environment: environment, files: files).load(text: text, file: path)
}

private func utc(_ text: String) -> Date {
    try! Date(text, strategy: .iso8601)
}

@Suite("Example plans")
struct ExamplePlanTests {
    static let readinessToken = "rt_9f8e7d6c5b4a"

    static func directfanz() throws -> LaunchPlan {
        try loadPlan(examplePath("directfanz.yaml"),
                            environment: ["DIRECTFANZ_READINESS_TOKEN": readinessToken]).get()
    }

    @Test("directfanz.yaml: the launch, its clock and polling")
    func directfanzLaunch() throws {
        let plan = try Self.directfanz()
        #expect(plan.name == "DirectFanz production launch")
        #expect(plan.zone.text == "directfanz.io")
        // 09:00 in New York on 1 December is 14:00 UTC (EST, UTC-5).
        #expect(plan.t0 == utc("2026-12-01T14:00:00Z"))
        #expect(plan.timeZone.identifier == "America/New_York")
        #expect(plan.stateDirectory == nil)
        #expect(plan.polling == PollingSettings(interval: .seconds(15), timeout: .seconds(5), concurrency: 32,
                                                failureThreshold: 2, successThreshold: 2))
    }

    @Test("directfanz.yaml: resolvers with every transport")
    func directfanzResolvers() throws {
        let plan = try Self.directfanz()
        #expect(plan.resolvers.map(\.name) == [
            "cloudflare", "google", "quad9", "opendns", "cloudflare-v6", "cloudflare-dot", "google-doh",
        ])
        #expect(plan.resolvers[0].transport == .udp)
        #expect(plan.resolvers[0].address?.description == "1.1.1.1")
        #expect(plan.resolvers[4].address?.family == .ipv6)
        #expect(plan.resolvers[4].address?.host == "2606:4700:4700::1111")
        #expect(plan.resolvers[5].transport == .tls)
        #expect(plan.resolvers[5].address?.port == 853)
        #expect(plan.resolvers[5].tlsName?.text == "cloudflare-dns.com")
        #expect(plan.resolvers[6].transport == .https)
        #expect(plan.resolvers[6].url?.absoluteString == "https://dns.google/dns-query")
        #expect(plan.resolvers[6].address == nil)
    }

    @Test("directfanz.yaml: the cutover from Hostinger to Route 53")
    func directfanzDNS() throws {
        let dns = try Self.directfanz().dns
        #expect(dns.expectedNameservers.map(\.name.text) == [
            "ns-1234.awsdns-12.org", "ns-567.awsdns-05.net", "ns-89.awsdns-11.com", "ns-1890.awsdns-44.co.uk",
        ])
        #expect(dns.previousNameservers.map(\.name.text) == ["ns1.dns-parking.com", "ns2.dns-parking.com"])
        #expect(dns.records.count == 12)
        let apex = try #require(dns.records.first { $0.id == "dns-apex" })
        #expect(apex.name.text == "directfanz.io")
        #expect(apex.type == .a)
        #expect(apex.expected == ["203.0.113.10", "203.0.113.11"])
        #expect(apex.previous == ["198.51.100.20"])
        #expect(apex.severity == .blocker)
        let www = try #require(dns.records.first { $0.id == "dns-www" })
        #expect(www.name.text == "www.directfanz.io")
        #expect(www.type == .cname)
        let dkim = try #require(dns.records.first { $0.id == "dns-dkim-s1" })
        #expect(dkim.name.text == "s1._domainkey.directfanz.io")
        #expect(dkim.severity == .major)
        let mx = try #require(dns.records.first { $0.id == "dns-mx" })
        #expect(mx.expected == ["10 mx.sendgrid.net"])
        #expect(mx.previous == ["5 mx1.hostinger.com", "10 mx2.hostinger.com"])
        let caa = try #require(dns.records.first { $0.id == "dns-caa" })
        #expect(caa.type == .caa)
        #expect(caa.expected == ["0 issue \"amazon.com\"", "0 issuewild \"amazon.com\""])
        let spf = try #require(dns.records.first { $0.id == "dns-spf" })
        #expect(spf.expected == ["v=spf1 include:sendgrid.net ~all"])
    }

    @Test("directfanz.yaml: health checks, with the secret resolved and never shown")
    func directfanzHTTP() throws {
        let plan = try Self.directfanz()
        #expect(plan.httpChecks.count == 12)
        let health = try #require(plan.httpChecks.first { $0.id == "api-health" })
        #expect(health.method == "GET")
        #expect(health.url.value == "https://api.directfanz.io/health")
        #expect(health.expect.statuses == [200...200])
        #expect(health.expect.json == [JSONExpectation(path: "status", equals: "ok")])
        #expect(health.expect.headers == [HeaderExpectation(name: "strict-transport-security", condition: .present)])
        #expect(health.expect.latencyBudget == .milliseconds(200))
        #expect(health.followRedirects == false)

        let newOrigin = try #require(plan.httpChecks.first { $0.id == "api-health-new-origin" })
        #expect(newOrigin.connectTo?.description == "203.0.113.10:443")

        let redirect = try #require(plan.httpChecks.first { $0.id == "web-http-redirect" })
        #expect(redirect.expect.statuses == [301...301, 308...308])
        #expect(redirect.expect.redirectTo == "https://directfanz.io/")

        let readiness = try #require(plan.httpChecks.first { $0.id == "api-readiness" })
        let authorization = try #require(readiness.headers.first)
        #expect(authorization.name == "Authorization")
        #expect(authorization.value.value == "Bearer \(Self.readinessToken)")
        #expect(authorization.value.template == "Bearer ${DIRECTFANZ_READINESS_TOKEN}")
        #expect(readiness.expect.json.map(\.path) == ["checks.database", "checks.redis", "checks.stripe", "checks.sendgrid"])
        // However the plan is printed, the token stays out.
        #expect(!String(describing: plan).contains(Self.readinessToken))
        #expect(!String(reflecting: plan).contains(Self.readinessToken))
        var dumped = ""
        dump(plan, to: &dumped)
        #expect(!dumped.contains(Self.readinessToken))

        let ws = try #require(plan.httpChecks.first { $0.id == "ws-upgrade" })
        #expect(ws.mode == .websocket)
        #expect(ws.expect.statuses == [101...101])
        let stream = try #require(plan.httpChecks.first { $0.id == "stream-live" })
        #expect(stream.mode == .hls)
        #expect(stream.liveStream)
    }

    @Test("directfanz.yaml: certificates, alarms, people and holds")
    func directfanzRest() throws {
        let plan = try Self.directfanz()
        #expect(plan.tlsEndpoints.map(\.id) == ["tls-apex", "tls-www", "tls-api", "tls-api-new-alb", "tls-ws", "tls-stream"])
        let alb = plan.tlsEndpoints[3]
        #expect(alb.host.text == "api.directfanz.io")
        #expect(alb.port == 443)
        #expect(alb.address?.description == "203.0.113.10")
        #expect(alb.covers.map(\.text) == ["api.directfanz.io", "directfanz.io"])
        #expect(alb.warningDays == 30 && alb.criticalDays == 14)
        #expect(plan.tlsEndpoints[5].warningDays == 21 && plan.tlsEndpoints[5].criticalDays == 7)

        #expect(plan.alarmSources.count == 2)
        #expect(plan.alarmSources[0].kind == .cloudwatch(region: "us-east-1", namePrefix: "directfanz-prod-", endpoint: nil))
        guard case .json(let url, _, let mapping) = plan.alarmSources[1].kind else {
            Issue.record("stripe-status should be a JSON source")
            return
        }
        #expect(url.value == "https://www.stripestatus.com/api/v2/components.json")
        #expect(mapping == JSONAlarmMapping(items: "components", name: "name", state: "status", severity: nil, since: nil))
        #expect(plan.alarmSources[1].timing.interval == .seconds(60))

        #expect(plan.roles.map(\.id) == ["infrastructure", "application", "security", "business", "launch-director"])
        #expect(plan.approvers.count == 6)
        #expect(plan.approvers[0].name == "Dana Whitfield")
        #expect(plan.approvers[0].users == ["dana"])
        #expect(plan.approvers[0].pinHash?.algorithm == .pbkdf2SHA256(iterations: 600_000))
        #expect(plan.approvers[4].pinHash == nil)
        #expect(plan.poll == PollRules(order: ["infrastructure", "application", "security", "business"],
                                       director: "launch-director", allowSelfApproval: false))
        #expect(plan.holds == [
            Hold(name: "Pre-cutover hold", beforeT0: .seconds(1800), duration: .seconds(600)),
            Hold(name: "Final hold", beforeT0: .seconds(300), duration: .seconds(300)),
        ])
    }

    @Test("directfanz.yaml: the checklist covers the seed's ten areas")
    func directfanzChecklist() throws {
        let plan = try Self.directfanz()
        let phases = plan.checklist.map(\.phase).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        #expect(phases == [
            "DNS migration", "SSL certificates", "Infrastructure deployment", "Environment configuration",
            "Testing and validation", "Monitoring and alerting", "Backup and recovery", "Performance optimisation",
            "Security validation", "Launch readiness",
        ])
        let certificate = try #require(plan.checklist.first { $0.id == "cert-issued" })
        #expect(certificate.owner == "security")
        #expect(certificate.severity == .blocker)
        #expect(certificate.mode == .doConfirm)
        #expect(certificate.checks == ["tls-apex", "tls-api", "tls-www", "acm-wildcard"])
        let registrar = try #require(plan.checklist.first { $0.id == "dns-registrar-ns" })
        #expect(registrar.mode == .readDo)
        // Every owner is a role and every linked check exists (the loader refuses otherwise).
        let checkIDs = Set(plan.checks.map(\.id))
        #expect(plan.checklist.allSatisfy { item in item.checks.allSatisfy(checkIDs.contains) })
    }

    @Test("directfanz.yaml: at least 24 of 27 checklist items rest on evidence, with the seed's numbers")
    func directfanzEvidence() throws {
        let plan = try Self.directfanz()
        let linked = plan.checklist.filter { !$0.checks.isEmpty }
        #expect(plan.checklist.count == 27)
        #expect(linked.count >= 24, "unlinked: \(plan.checklist.filter { $0.checks.isEmpty }.map(\.id))")
        #expect(Set(plan.checks.map(\.kind)).isSuperset(of: [.aws, .metric, .command]))
        #expect(plan.checklist.first { $0.id == "dns-registrar-ns" }?.checks == [DelegationCheck.id, DNSSECCheck.id, "r53-zone"])
        let suite = try #require(plan.commandChecks.first { $0.id == "api-suite" })
        #expect(suite.passRate == 0.95 && suite.minimumTests == 130)
        let latency = try #require(plan.metricChecks.first { $0.id == "alb-p95" })
        #expect(latency.threshold == MetricThreshold(direction: .above, fail: 0.2, warn: 0.15))
        let hitRate = try #require(plan.metricChecks.first { $0.id == "cache-hit-rate" })
        #expect(hitRate.threshold.direction == .below && hitRate.threshold.fail == 0.85)
        let query = try #require(plan.metricChecks.first { $0.id == "rds-read-latency" })
        #expect(query.threshold.fail == 0.05)
        guard case .rdsInstance(_, let retention, _, _)? = plan.awsChecks.first(where: { $0.id == "rds-main" })?.resource else {
            Issue.record("no RDS check")
            return
        }
        #expect(retention == 30)
    }

    @Test("directfanz.yaml: refused without its secret")
    func directfanzNeedsItsSecret() {
        guard case .failure(let error) = loadPlan(examplePath("directfanz.yaml"), environment: [:]) else {
            Issue.record("the plan loaded without DIRECTFANZ_READINESS_TOKEN")
            return
        }
        // The readiness check's header and the API suite's environment both need it.
        #expect(error.diagnostics.map(\.message) == Array(repeating: "the environment variable DIRECTFANZ_READINESS_TOKEN is not set", count: 2))
    }

    @Test("local.yaml: the same launch, only on loopback")
    func localPlan() throws {
        let plan = try loadPlan(examplePath("local.yaml"), environment: [:]).get()
        #expect(plan.name == "DirectFanz local rehearsal")
        #expect(plan.zone.text == "directfanz.test")
        #expect(plan.t0 == utc("2026-12-01T14:00:00Z"))
        #expect(plan.resolvers.map(\.transport) == [.udp, .udp, .tcp, .udp])
        #expect(plan.dns.expectedNameservers.map(\.addresses.description) == ["[127.0.0.21:5301]", "[127.0.0.22:5301]"])
        #expect(plan.dns.parentServers.first?.name.text == "ns.parent.test")
        #expect(plan.checks.count == 18)
        #expect(plan.checks.first?.id == "dns-delegation")
        #expect(plan.checks.first?.target == "directfanz.test NS delegation")
        #expect(plan.checks.map(\.kind).filter { $0 == .http }.count == 5)

        // Every address the plan names is on loopback, so no test ever leaves the machine.
        let addresses = plan.resolvers.compactMap(\.address)
            + (plan.dns.expectedNameservers + plan.dns.previousNameservers + plan.dns.parentServers).flatMap(\.addresses)
            + plan.httpChecks.compactMap(\.connectTo) + plan.tlsEndpoints.compactMap(\.address)
        #expect(addresses.count == 16)
        #expect(addresses.allSatisfy { $0.isLoopback })
        for source in plan.alarmSources {
            switch source.kind {
            case .alertmanager(let url, _): #expect(URL(string: url.value)?.host == "127.0.0.1")
            case .cloudwatch(_, _, let endpoint): #expect(endpoint?.host == "127.0.0.1")
            case .json: Issue.record("local.yaml has no JSON source")
            }
        }
    }
}
