@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Runbooks: what to do, beside what went red")
struct RunbookTests {
    static let yaml = """
        launch: { name: Runbooks, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
        http:
          - { id: api, url: "http://127.0.0.1:9/health", runbook: "https://wiki.example.test/runbooks/api" }
          - { id: web, url: "http://127.0.0.1:9/", runbook: { url: "https://wiki.example.test/web", text: "fail over to the static site" } }
          - { id: blog, url: "http://127.0.0.1:9/blog", runbook: "page the content team in #launch" }
          - { id: plain, url: "http://127.0.0.1:9/plain" }
        dns:
          runbook: "https://wiki.example.test/dns-cutover"
          nameservers: { expected: [{ name: ns1.new.test, addresses: [127.0.0.1] }] }
          records:
            - { id: dns-api, name: api, type: A, expected: [192.0.2.10], runbook: "https://wiki.example.test/dns-api" }
        alarms:
          sources:
            - { id: am, kind: alertmanager, url: "http://127.0.0.1:9/", runbook: "https://wiki.example.test/alertmanager" }
          rules:
            runbook: "https://wiki.example.test/alarm-rules"
            checks: { web: { red_polls: 2, runbook: "roll back the web deploy" } }
        checklist:
          - { id: rollback, phase: Go, title: Rollback rehearsed, owner: ops, runbook: "https://wiki.example.test/rollback" }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        """

    static func plan(_ text: String = yaml) throws -> LaunchPlan {
        try PlanLoader(environment: [:]).load(text: text, file: "runbooks.yaml").get()
    }

    static func problems(_ runbook: String) -> [String] {
        let text = "launch: { name: R, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }\nhttp:\n  - { id: api, url: \"http://127.0.0.1:9/\", runbook: \(runbook) }\n"
        guard case .failure(let failure) = PlanLoader(environment: [:]).load(text: text, file: "r.yaml") else { return [] }
        return failure.diagnostics.map { "\($0.message)\($0.hint.map { " (\($0))" } ?? "")" }
    }

    @Test("a link, a line of text, or both; on checks, the zone's own checks, checklist items, alarm sources and rules")
    func read() throws {
        let plan = try Self.plan()
        #expect(plan.runbooks[.check("api")] == Runbook(url: URL(string: "https://wiki.example.test/runbooks/api")))
        #expect(plan.runbooks[.check("web")]?.line == "https://wiki.example.test/web — fail over to the static site")
        #expect(plan.runbooks[.check("blog")] == Runbook(text: "page the content team in #launch"))
        #expect(plan.runbooks[.check("plain")] == nil)
        #expect(plan.runbooks[.check(DelegationCheck.id)]?.line == "https://wiki.example.test/dns-cutover")
        #expect(plan.runbooks[.check(DNSSECCheck.id)]?.line == "https://wiki.example.test/dns-cutover")
        #expect(plan.runbooks[.check("dns-api")]?.line == "https://wiki.example.test/dns-api")
        #expect(plan.runbooks[.checklistItem("rollback")]?.line == "https://wiki.example.test/rollback")
        #expect(plan.runbooks[.alarmSource("am")]?.line == "https://wiki.example.test/alertmanager")
        #expect(plan.runbooks[.alarmRule(check: "web")]?.line == "roll back the web deploy")
    }

    @Test("an alarm's runbook: its source's; a rule's, the rules' for its check, else the rules', else the check's")
    func alarmRunbook() throws {
        let plan = try Self.plan()
        func alarm(_ source: String, _ check: String?) -> Alarm {
            Alarm(id: "x", severity: .critical, source: source, since: .zero, reason: "r", checkID: check)
        }
        #expect(plan.runbook(for: alarm("rules", "web"))?.line == "roll back the web deploy")
        #expect(plan.runbook(for: alarm("rules", "api"))?.line == "https://wiki.example.test/alarm-rules")
        #expect(plan.runbook(for: alarm("am", nil))?.line == "https://wiki.example.test/alertmanager")
        let withoutRules = try Self.plan(Self.yaml.replacingOccurrences(of: "    runbook: \"https://wiki.example.test/alarm-rules\"\n", with: ""))
        #expect(withoutRules.runbook(for: alarm("rules", "api"))?.line == "https://wiki.example.test/runbooks/api")
    }

    @Test("a link is http or https, text is one short line; each mistake says what to write")
    func refused() {
        #expect(Self.problems("\"javascript:alert(1)//x://\"") == ["a runbook's link is http:// or https://, not javascript: (link to the runbook's page on the team's wiki)"])
        #expect(Self.problems("\"file:///etc/passwd\"") == ["a runbook's link is http:// or https://, not file: (link to the runbook's page on the team's wiki)"])
        #expect(Self.problems("\"line one\\nline two\"").first?.hasPrefix("a runbook's text is one line") == true)
        #expect(Self.problems("\"\(String(repeating: "x", count: 301))\"").first?.hasPrefix("a runbook's text is at most 300 characters (this one has 301)") == true)
        #expect(Self.problems("{ }") == ["a runbook needs a `url`, a `text` or both"])
        #expect(Self.problems("{ url: \"https://wiki.example.test/x\", txt: y }").first?.contains("unknown key `txt`") == true)
    }

    @Test("the detail views show the runbook: a check's, a checklist item's, an alarm's; a notice carries it")
    func shown() throws {
        let plan = try Self.plan()
        var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 2_000_000_000))
        state.reduce(.resize(width: 120, height: 40))
        for second in [0, 10, 20] {
            state.reduce(.outcome(ProbeOutcome(checkID: "api", finishedAt: .seconds(second), status: .fail, detail: "HTTP 503", latency: nil)))
        }
        state.reduce(.tick(Date(timeIntervalSince1970: 2_000_000_030)))
        let api = try #require(state.rows(.health).first { $0.text.contains(" api ") })
        #expect(api.detail.contains("runbook: https://wiki.example.test/runbooks/api"), "\(api.detail)")
        let rollback = try #require(state.rows(.checklist).first { $0.text.contains("Rollback rehearsed") })
        #expect(rollback.detail.contains("runbook: https://wiki.example.test/rollback"))
        let alarm = try #require(state.rows(.alarms).first { $0.text.contains("api red") })
        #expect(alarm.detail.contains("runbook: https://wiki.example.test/alarm-rules"), "\(alarm.detail)")
        let notice = try #require(LaunchNotice.alarms(on: state.alarms, plan: plan).first { $0.alarmID == "rule/red/api" })
        #expect(notice.message(plan: plan) == "[Flightdeck] Runbooks: CRITICAL alarm: api red for 3 polls: HTTP 503 — runbook: https://wiki.example.test/alarm-rules")
    }
}
