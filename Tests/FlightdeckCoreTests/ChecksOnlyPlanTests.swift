@testable import FlightdeckCore
import Foundation
import Testing

/// A DNS-only or TLS-only plan: checks, and no go/no-go workflow around them.
@Suite("Plans of checks only")
struct ChecksOnlyPlanTests {
    static let yaml = """
        launch: { name: DNS only, zone: example.test, t0: 2026-12-01T14:00Z, timezone: UTC }
        resolvers: [{ name: r, address: "127.0.0.1:5399" }]
        dns:
          converged_when: 90%
          records:
            - { id: dkim, name: sel._domainkey, type: TXT, expected: ['"v=DKIM1; k=rsa; " "p=MIIBIjANBg"'], timeout: 300ms }
        """

    @Test("no roles, approvers or poll needed; the verdict is the checks'; the workflow refuses with a reason")
    func loads() throws {
        let plan = try PlanLoader(environment: [:]).load(text: Self.yaml, file: "dns.yaml").get()
        #expect(!plan.hasPoll)
        #expect(plan.roles.isEmpty && plan.approvers.isEmpty)
        #expect(plan.dns.quorum == .atLeast(0.9))
        #expect(plan.dns.records[0].timing.timeout == .milliseconds(300))
        let launch = LaunchState(plan: plan)
        let actor = LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "h")
        #expect(launch.refusal(for: .pollOpened, by: actor, at: Date(), checks: [:])
                == LaunchRefusal("this plan has no go/no-go poll, only checks (add roles, approvers and a poll to run one)"))
    }

    @Test("a TXT record of several strings (DKIM) is one value, compared joined, as resolvers join them")
    func multiStringTXT() throws {
        let plan = try PlanLoader(environment: [:]).load(text: Self.yaml, file: "dns.yaml").get()
        let record = plan.dns.records[0]
        var flags = DNSFlags()
        flags.isResponse = true
        let answer = DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: record.name, type: .txt)], answers: [
            DNSRecord(name: record.name, ttl: 60, data: .txt([Array("v=DKIM1; k=rsa; ".utf8), Array("p=MIIBIjANBg".utf8)])),
        ])
        let server = DNSServerRef(name: "r", address: "127.0.0.1:5399", role: .resolver)
        let grid = RecordPropagation(record: record, observations: [DNSObservation(server: server, outcome: .response(answer), at: .zero)])
        #expect(grid.cells.map(\.state) == [.match])
    }

    @Test("once a plan has any part of the workflow, it needs all of it")
    func partialWorkflow() throws {
        let yaml = Self.yaml + "\nchecklist:\n  - { id: c, phase: T-1d, title: Rollback rehearsed, owner: ops }\n"
        guard case .failure(let error) = PlanLoader(environment: [:]).load(text: yaml, file: "dns.yaml") else {
            Issue.record("loaded without roles")
            return
        }
        #expect(error.diagnostics.contains { $0.message.contains("roles") })
    }
}

@Suite("Observed values as people and scripts read them")
struct ObservedValueTests {
    @Test("whole numbers print without a fraction, in the detail view and in JSON")
    func wholeNumbers() throws {
        #expect(ObservedValue.number(200).display == "200")
        #expect(ObservedValue.number(30).display == "30")
        #expect(ObservedValue.number(12.5).display == "12.5")
        #expect(ObservedValue.flag(true).display == "yes")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(["status_code": ObservedValue.number(200), "total_ms": .number(4.1)]), as: UTF8.self)
        #expect(json == #"{"status_code":200,"total_ms":4.1}"#)
    }
}
