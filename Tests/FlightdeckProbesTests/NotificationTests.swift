import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("Notifications: webhook, SNS through moto, email over SMTP", .serialized)
struct NotificationTests {
    private func plan(_ targets: String) throws -> LaunchPlan {
        try PlanLoader(environment: ["HOOK_TOKEN": "s3cr3t"]).load(text: """
            launch: { name: DirectFanz launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { timeout: 2s }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            notifications:
            \(targets)
            """, file: "notify.yaml").get()
    }

    private let notice = LaunchNotice(key: "alarm/rule/red/api-health", event: .criticalAlarm,
                                      text: "CRITICAL alarm: api-health red for 3 polls: HTTP 503", alarmID: "rule/red/api-health")

    private func sender(_ plan: LaunchPlan, environment: [String: String] = [:]) -> NotificationSender {
        var sender = NotificationSender(plan: plan, environment: environment)
        sender.backoff = [.milliseconds(20), .milliseconds(20)]
        return sender
    }

    @Test("webhook: the exact Slack-compatible payload, retried after a 500 until it is taken")
    func webhook() async throws {
        let receiver = try RecordingHTTPServer(statuses: [500, 200])
        let plan = try plan("  - { id: slack, kind: webhook, url: \"http://127.0.0.1:\(receiver.port)/hooks/${HOOK_TOKEN}\" }")
        let result = await sender(plan).deliver(notice, to: plan.notifications[0])
        #expect(result.delivered)
        #expect(result.outcome == "HTTP 200 on attempt 2")
        let requests = receiver.requests
        #expect(requests.count == 2)
        #expect(requests.first?.head.hasPrefix("POST /hooks/s3cr3t HTTP/1.1\r\n") == true)
        #expect(requests.first?.head.contains("\r\nContent-Type: application/json") == true)
        #expect(requests.last?.body == #"{"flightdeck":{"alarm":"rule/red/api-health","event":"critical-alarm","key":"alarm/rule/red/api-health","plan":"DirectFanz launch"},"text":"[Flightdeck] DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503"}"#)
    }

    @Test("every notice carries the journal head it went out at: an anchor outside the state directory")
    func anchoredNotice() async throws {
        let receiver = try RecordingHTTPServer(statuses: [200])
        let plan = try plan("  - { id: hook, kind: webhook, url: \"http://127.0.0.1:\(receiver.port)/hook\" }")
        var anchored = notice
        let head = String(repeating: "ab", count: 32)
        anchored.journalHead = JournalHead(seq: 12, hash: head)
        #expect(await sender(plan).deliver(anchored, to: plan.notifications[0]).delivered)
        let body = try #require(receiver.requests.first?.body)
        let payload = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let journal = (payload?["flightdeck"] as? [String: Any])?["journal"] as? [String: Any]
        #expect(journal?["seq"] as? Int == 12)
        #expect(journal?["head"] as? String == head)
        #expect((payload?["text"] as? String)?.hasSuffix("(journal head 12:\(head))") == true)
    }

    @Test("a notice about an alarm with a runbook carries it: in the line every target shows, and as fields in the webhook's JSON")
    func runbookInNotice() async throws {
        let receiver = try RecordingHTTPServer(statuses: [200])
        let plan = try plan("  - { id: hook, kind: webhook, url: \"http://127.0.0.1:\(receiver.port)/hook\" }")
        var withRunbook = notice
        withRunbook.runbook = Runbook(url: URL(string: "https://wiki.example.test/api"), text: "restart the API tier")
        #expect(await sender(plan).deliver(withRunbook, to: plan.notifications[0]).delivered)
        let body = try #require(receiver.requests.first?.body)
        let payload = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect((payload?["flightdeck"] as? [String: Any])?["runbook"] as? [String: String]
                == ["url": "https://wiki.example.test/api", "text": "restart the API tier"])
        #expect(payload?["text"] as? String
                == "[Flightdeck] DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503 — runbook: https://wiki.example.test/api — restart the API tier")
    }

    @Test("a dead target fails after its retries, says why, and holds nothing up")
    func deadTarget() async throws {
        let port = try FreePort.tcp()
        let plan = try plan("  - { id: slack, kind: webhook, url: \"http://127.0.0.1:\(port)/hook\" }")
        let result = await sender(plan).deliver(notice, to: plan.notifications[0])
        #expect(!result.delivered)
        let outcome = result.outcome
        #expect(outcome.hasPrefix("failed 3 times, last: connection refused"), "\(outcome)")
    }

    @Test("email: the envelope and the message as sent over SMTP")
    func email() async throws {
        let receiver = try SMTPReceiver()
        let plan = try plan("""
              - { id: mail, kind: email, url: "smtp://127.0.0.1:\(receiver.port)", from: flightdeck@example.test, to: [oncall@example.test, director@example.test] }
            """)
        let result = await sender(plan).deliver(notice, to: plan.notifications[0])
        let outcome = result.outcome
        #expect(result.delivered, "\(outcome)")
        let mail = try #require(receiver.mails.first)
        #expect(mail.from == "<flightdeck@example.test>")
        #expect(mail.recipients == ["<oncall@example.test>", "<director@example.test>"])
        let lines = mail.data.components(separatedBy: "\r\n")
        #expect(lines.prefix(3) == ["From: Flightdeck <flightdeck@example.test>", "To: <oncall@example.test>, <director@example.test>",
                                    "Subject: Flightdeck DirectFanz launch: CRITICAL-ALARM"])
        #expect(lines.contains { $0.hasPrefix("Date: ") && $0.hasSuffix(" +0000") })
        #expect(lines.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(lines.suffix(2) == ["", "[Flightdeck] DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503"])
    }

    @Test("SNS: Publish signed with SigV4 reaches a queue subscribed to the topic (moto)")
    func sns() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        let (topic, inbox) = try moto.topicWithInbox("launch")
        let plan = try plan("  - { id: sns, kind: sns, topic_arn: \(topic), region: us-east-1, endpoint: \"\(moto.url)\", on: [no-go, critical-alarm] }")
        let credentials = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"]
        let result = await sender(plan, environment: credentials).deliver(notice, to: plan.notifications[0])
        let outcome = result.outcome
        #expect(result.delivered && outcome == "HTTP 200", "\(outcome)")
        let envelopes = try moto.receive(inbox)
        #expect(envelopes.count == 1)
        let envelope = try JSONSerialization.jsonObject(with: Data((envelopes.first ?? "{}").utf8)) as? [String: Any]
        #expect(envelope?["Message"] as? String == "[Flightdeck] DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503")
        #expect(envelope?["Subject"] as? String == "Flightdeck DirectFanz launch: CRITICAL-ALARM")
        #expect(plan.notifications[0].events == [.noGo, .criticalAlarm])

        let noCredentials = await sender(plan).deliver(notice, to: plan.notifications[0])
        let why = noCredentials.outcome
        #expect(!noCredentials.delivered && why == "failed 3 times, last: no AWS credentials for SNS")
    }
}
