@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Alarm rules, in virtual time")
struct AlarmEngineTests {
    static let yaml = """
        launch: { name: Alarm rules, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
        http:
          - { id: api, url: "http://127.0.0.1:9/health", expect: { latency_budget: 200ms } }
          - { id: blog, url: "http://127.0.0.1:9/blog", severity: minor }
        tls:
          - { id: tls-api, host: api.example.test, address: "127.0.0.1:9", warning_days: 30, critical_days: 14 }
        dns:
          records:
            - { id: dns-api, name: api, type: A, expected: [192.0.2.10], previous: [198.51.100.10] }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        """

    static func plan(_ extra: String = "") throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: yaml + "\n" + extra, file: "alarms.yaml").get()
    }

    static func outcome(_ check: String, _ status: CheckStatus, at seconds: Int, latency: Int? = nil,
                        evidence: ProbeEvidence = .none) -> ProbeOutcome {
        ProbeOutcome(checkID: check, finishedAt: .seconds(seconds), status: status, detail: status == .fail ? "HTTP 503" : "200 OK",
                     latency: latency.map { .milliseconds($0) }, evidence: evidence)
    }

    @Test("red for N polls: nothing before the Nth failure, critical for a blocker, gone on the first success")
    func redForPolls() throws {
        var engine = AlarmEngine(plan: try Self.plan())
        for second in [0, 10] { engine.observe(Self.outcome("api", .fail, at: second)) }
        #expect(engine.evaluate(at: .seconds(15)).isEmpty)
        engine.observe(Self.outcome("api", .fail, at: 20))
        engine.observe(Self.outcome("blog", .fail, at: 20))
        engine.observe(Self.outcome("api", .fail, at: 30))
        let alarms = engine.evaluate(at: .seconds(35))
        #expect(alarms.map(\.id) == ["rule/red/api"])
        #expect(alarms.first?.severity == .critical)
        #expect(alarms.first?.since == .seconds(20), "since the Nth failure, and it stays there")
        #expect(alarms.first?.reason == "api red for 4 polls: HTTP 503")
        #expect(alarms.first?.checkID == "api")
        engine.observe(Self.outcome("blog", .fail, at: 30))
        engine.observe(Self.outcome("blog", .fail, at: 40))
        #expect(engine.evaluate(at: .seconds(41)).first { $0.id == "rule/red/blog" }?.severity == .warning, "a minor check's alarm is a warning")
        engine.observe(Self.outcome("api", .pass, at: 50))
        #expect(!engine.evaluate(at: .seconds(51)).contains { $0.id == "rule/red/api" })
    }

    @Test("a flapping check raises one alarm marked flapping, not a storm, and it clears once the check settles")
    func flapping() throws {
        var engine = AlarmEngine(plan: try Self.plan("alarms: { rules: { red_polls: 1 } }"))
        var seen: Set<String> = []
        var second = 0
        for index in 0..<12 {
            engine.observe(Self.outcome("api", index % 2 == 0 ? .fail : .pass, at: second))
            second += 10
            for alarm in engine.evaluate(at: .seconds(second)) { seen.insert(alarm.id) }
        }
        #expect(seen == ["rule/red/api", "rule/flapping/api"], "one red alarm before it counted as flapping, then only the flapping one")
        let standing = engine.evaluate(at: .seconds(second))
        #expect(standing.map(\.id) == ["rule/flapping/api"])
        #expect(standing.first?.flapping == true)
        #expect(standing.first?.since == .seconds(40), "the fourth change")
        for _ in 0..<40 {
            engine.observe(Self.outcome("api", .pass, at: second))
            second += 10
        }
        #expect(engine.evaluate(at: .seconds(second)).isEmpty, "settled: no changes in the window")
    }

    @Test("measured spans are rounded for people: 1m 30s, not 1m29s505ms")
    func spansForPeople() {
        #expect(formatSpan(.milliseconds(89_505)) == "1m 30s")
        #expect(formatSpan(.seconds(60)) == "1m")
        #expect(formatSpan(.milliseconds(400)) == "0s")
        #expect(formatSpan(.seconds(7_260)) == "2h 1m")
        #expect(formatSpan(.seconds(7_200)) == "2h")
    }

    @Test("p95 over the latency budget for the whole window raises a warning; back under budget clears it")
    func latency() throws {
        var engine = AlarmEngine(plan: try Self.plan("alarms: { rules: { latency_window: 60s } }"))
        for second in stride(from: 0, through: 50, by: 10) { engine.observe(Self.outcome("api", .pass, at: second, latency: 340)) }
        #expect(engine.evaluate(at: .seconds(50)).isEmpty, "over budget, but not for the whole window yet")
        engine.observe(Self.outcome("api", .pass, at: 60, latency: 360))
        let alarms = engine.evaluate(at: .seconds(60))
        #expect(alarms.map(\.id) == ["rule/latency/api"])
        #expect(alarms.first?.reason == "api p95 360 ms over its 200 ms budget for 1m")
        #expect(alarms.first?.severity == .warning)
        for second in stride(from: 70, through: 130, by: 10) { engine.observe(Self.outcome("api", .pass, at: second, latency: 40)) }
        #expect(engine.evaluate(at: .seconds(130)).isEmpty)
    }

    @Test("a certificate inside its warning days is a warning, inside its critical days critical")
    func certificate() throws {
        let plan = try Self.plan()
        var engine = AlarmEngine(plan: plan)
        func served(daysLeft: Double, at second: Int) -> ProbeOutcome {
            let now = Date(timeIntervalSince1970: 1_900_000_000)
            let leaf = CertificateInfo(subject: "CN=api.example.test", issuer: "CN=CA", serial: "1", fingerprint: "AB",
                                       notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(86_400 * daysLeft),
                                       keyType: "EC", keyBits: 256, signatureAlgorithm: "ecdsa-with-SHA256",
                                       dnsNames: ["api.example.test"], isCA: false)
            let inspection = TLSInspection(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", chain: [leaf], verificationCode: 0,
                                           verificationReason: "ok", ocsp: .none, embeddedSCTs: 0, remoteAddress: "127.0.0.1:9",
                                           connected: .milliseconds(1), handshakeDone: .milliseconds(2))
            let evaluation = TLSEvaluation(endpoint: plan.tlsEndpoints[0], inspection: inspection, now: now)
            return ProbeOutcome(checkID: "tls-api", finishedAt: .seconds(second), status: evaluation.status, detail: evaluation.detail,
                                latency: nil, evidence: .tls([TLSAddressResult(address: "127.0.0.1:9", inspection: inspection, evaluation: evaluation, failure: nil)]))
        }
        engine.observe(served(daysLeft: 45.5, at: 0))
        #expect(engine.evaluate(at: .seconds(1)).isEmpty)
        engine.observe(served(daysLeft: 20.5, at: 10))
        #expect(engine.evaluate(at: .seconds(11)).map { "\($0.severity): \($0.reason)" } == ["warning: tls-api: a certificate expires in 20 days (warning under 30 days)"])
        engine.observe(served(daysLeft: 9.5, at: 20))
        #expect(engine.evaluate(at: .seconds(21)).map { "\($0.severity): \($0.reason)" } == ["critical: tls-api: a certificate expires in 9 days (critical under 14 days)"])
        // The same lines as the check's: 14 days left is no longer under 14.
        engine.observe(served(daysLeft: 14.5, at: 30))
        #expect(engine.evaluate(at: .seconds(31)).map(\.severity) == [.warning])
        engine.observe(served(daysLeft: -29.5, at: 40))
        #expect(engine.evaluate(at: .seconds(41)).map { "\($0.severity): \($0.reason)" } == ["critical: tls-api: a certificate expired 30 days ago (critical under 14 days)"])
    }

    static func propagation(_ plan: LaunchPlan, resolvers: [[UInt8]], newAuthority: [UInt8], at second: Int) -> ProbeOutcome {
        let record = plan.dns.records[0]
        func answer(_ address: [UInt8]) -> DNSObservation.Outcome {
            var flags = DNSFlags()
            flags.isResponse = true
            return .response(DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: record.name, type: .a)],
                                        answers: [DNSRecord(name: record.name, ttl: 300, data: .a(address))]))
        }
        var observations = resolvers.enumerated().map { index, address in
            DNSObservation(server: DNSServerRef(name: "r\(index)", address: "127.0.0.\(index + 1):53", role: .resolver), outcome: answer(address), at: .seconds(second))
        }
        observations.append(DNSObservation(server: DNSServerRef(name: "ns1.new.test", address: "127.0.0.20:53", role: .expectedAuthority),
                                           outcome: answer(newAuthority), at: .seconds(second)))
        let grid = RecordPropagation(record: record, observations: observations)
        let verdict = DNSRecordVerdict(grid, now: .seconds(second), describeTime: { "\($0)" })
        return ProbeOutcome(checkID: record.id, finishedAt: .seconds(second), status: verdict.status, detail: verdict.detail,
                            latency: nil, evidence: .dnsRecord(grid))
    }

    @Test("a new nameserver that disagrees with the plan is critical at once")
    func nameserverDisagrees() throws {
        let plan = try Self.plan()
        var engine = AlarmEngine(plan: plan)
        engine.observe(Self.propagation(plan, resolvers: [[192, 0, 2, 10]], newAuthority: [203, 0, 113, 9], at: 5))
        let alarms = engine.evaluate(at: .seconds(5))
        #expect(alarms.map(\.id) == ["rule/nameserver/dns-api"])
        #expect(alarms.first?.severity == .critical)
        #expect(alarms.first?.reason.hasPrefix("new nameserver ns1.new.test") == true)
        #expect(alarms.first?.reason.hasSuffix("answers 203.0.113.9 for api.example.test A, the plan says 192.0.2.10") == true, "\(alarms)")
    }

    @Test("propagation that makes no progress for the stall window is a warning; progress clears it")
    func stalled() throws {
        let plan = try Self.plan("alarms: { rules: { stall_window: 5m } }")
        var engine = AlarmEngine(plan: plan)
        let new: [UInt8] = [192, 0, 2, 10], old: [UInt8] = [198, 51, 100, 10]
        engine.observe(Self.propagation(plan, resolvers: [new, old], newAuthority: new, at: 0))
        engine.observe(Self.propagation(plan, resolvers: [new, old], newAuthority: new, at: 200))
        #expect(engine.evaluate(at: .seconds(299)).isEmpty)
        let alarms = engine.evaluate(at: .seconds(300))
        #expect(alarms.map(\.reason) == ["dns-api: propagation stalled at 50% for 5m"])
        #expect(alarms.first?.since == .seconds(300))
        engine.observe(Self.propagation(plan, resolvers: [new, new], newAuthority: new, at: 310))
        #expect(engine.evaluate(at: .seconds(310)).isEmpty)
    }

    @Test("rules are tuned per check in the plan: thresholds, severity, or off")
    func tuning() throws {
        let plan = try Self.plan("""
            alarms:
              rules:
                red_polls: 2
                checks:
                  api: { red_polls: 4, severity: info }
                  blog: { enabled: false }
            """)
        #expect(plan.alarmRules.settings(for: "dns-api").redPolls == 2)
        var engine = AlarmEngine(plan: plan)
        for second in [0, 10, 20] {
            engine.observe(Self.outcome("api", .fail, at: second))
            engine.observe(Self.outcome("blog", .fail, at: second))
        }
        #expect(engine.evaluate(at: .seconds(25)).isEmpty)
        engine.observe(Self.outcome("api", .fail, at: 30))
        #expect(engine.evaluate(at: .seconds(35)).map { "\($0.id) \($0.severity)" } == ["rule/red/api info"])

        let broken = PlanLoader(environment: [:]).load(text: Self.yaml + "\nalarms: { rules: { checks: { nope: { red_polls: 0 } } } }", file: "a.yaml")
        guard case .failure(let error) = broken else { Issue.record("a bad rule was accepted"); return }
        #expect(error.description.contains("no check has the id `nope`"))
        #expect(error.description.contains("alarms.rules.checks.nope.red_polls"))
    }

    @Test("a critical alarm on a blocker makes the verdict NO-GO; on a minor check, or a warning, it does not")
    func verdict() throws {
        let plan = try Self.plan()
        let reports = plan.checks.map { CheckReport(check: $0, status: .pass, detail: "ok") }
        let onBlocker = Alarm(id: "rule/red/api", severity: .critical, source: "rules", since: .zero, reason: "api red for 3 polls", checkID: "api")
        #expect(CheckVerdict(reports: reports).isGo)
        let verdict = CheckVerdict(reports: reports, alarms: [onBlocker])
        #expect(!verdict.isGo)
        #expect(verdict.reason == "critical alarm on a blocker: api red for 3 polls")
        var onMinor = onBlocker
        onMinor.checkID = "blog"
        var warning = onBlocker
        warning.severity = .warning
        #expect(CheckVerdict(reports: reports, alarms: [onMinor, warning]).isGo)
        let document = CheckRunDocument(plan: plan, file: "a.yaml", reports: reports, alarms: [onBlocker], checkedAt: Date())
        #expect(document.verdict == .noGo)
        #expect(document.encoded().contains(#""id" : "rule/red/api""#))
    }
}
