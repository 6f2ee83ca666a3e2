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

    @Test("Slack: an incoming webhook gets a Block Kit message, exactly: the news, the verdict and launch clock, the runbook, the journal head")
    func slack() async throws {
        let receiver = try RecordingHTTPServer(statuses: [200])
        let plan = try plan("  - { id: room, kind: slack, url: \"http://127.0.0.1:\(receiver.port)/services/T0/B0/${HOOK_TOKEN}\" }")
        var full = notice
        full.text = "CRITICAL alarm: api-health red for 3 polls: HTTP 503 <script>&"
        full.verdict = "NO-GO: critical alarm on a blocker"
        full.clock = "T-00:12:30"
        full.runbook = Runbook(url: URL(string: "https://wiki.example.test/api"), text: "restart the API tier")
        full.journalHead = JournalHead(seq: 7, hash: "abc123")
        let result = await sender(plan).deliver(full, to: plan.notifications[0])
        #expect(result.delivered)
        let request = try #require(receiver.requests.first)
        #expect(request.head.hasPrefix("POST /services/T0/B0/s3cr3t HTTP/1.1\r\n"))
        #expect(request.head.contains("\r\nContent-Type: application/json"))
        #expect(request.body == #"{"blocks":[{"text":{"text":"CRITICAL alarm · DirectFanz launch","type":"plain_text"},"type":"header"},{"text":{"text":"CRITICAL alarm: api-health red for 3 polls: HTTP 503 &lt;script&gt;&amp;","type":"mrkdwn"},"type":"section"},{"fields":[{"text":"*Verdict*\nNO-GO: critical alarm on a blocker","type":"mrkdwn"},{"text":"*Launch clock*\nT-00:12:30","type":"mrkdwn"}],"type":"section"},{"text":{"text":"*Runbook* <https://wiki.example.test/api|https://wiki.example.test/api> — restart the API tier","type":"mrkdwn"},"type":"section"},{"elements":[{"text":"Flightdeck · alarm/rule/red/api-health · journal head 7:abc123","type":"mrkdwn"}],"type":"context"}],"text":"[Flightdeck] DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503 <script>& — runbook: https://wiki.example.test/api — restart the API tier (journal head 7:abc123)"}"#,
                "\(request.body)")
    }

    @Test("PagerDuty: trigger, acknowledge and resolve one incident per alarm occurrence, exactly as the Events API v2 documents; the routing key is never in an outcome")
    func pagerDuty() async throws {
        let receiver = try RecordingHTTPServer(statuses: [202, 202, 202, 400])
        let plan = try PlanLoader(environment: ["PD_KEY": "R0UT1NGKEY0123456789abcdef012345"]).load(text: """
            launch: { name: DirectFanz launch, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            polling: { timeout: 2s }
            notifications:
              - { id: pd, kind: pagerduty, routing_key: "${PD_KEY}", url: "http://127.0.0.1:\(receiver.port)/v2/enqueue" }
            """, file: "pd.yaml").get()
        #expect(plan.notifications[0].events == [.criticalAlarm, .alarmAcknowledged, .alarmResolved])
        var trigger = notice
        trigger.occurrence = 42
        trigger.verdict = "NO-GO: critical alarm on a blocker"
        trigger.clock = "T-00:12:30"
        trigger.runbook = Runbook(url: URL(string: "https://wiki.example.test/api"), text: "restart the API tier")
        let now = Date(timeIntervalSince1970: 2_000_000_000)
        #expect(NotificationPayloads.pagerDuty(trigger, plan: plan, routingKey: "R0UT1NGKEY0123456789abcdef012345", at: now)
                == #"{"client":"Flightdeck","dedup_key":"flightdeck/example.test/DirectFanz launch/rule/red/api-health/42","event_action":"trigger","links":[{"href":"https://wiki.example.test/api","text":"Runbook"}],"payload":{"class":"launch alarm","custom_details":{"alarm":"rule/red/api-health","launch":"DirectFanz launch","launch_clock":"T-00:12:30","notice":"alarm/rule/red/api-health","runbook":"restart the API tier","verdict":"NO-GO: critical alarm on a blocker"},"group":"example.test","severity":"critical","source":"Flightdeck: DirectFanz launch","summary":"DirectFanz launch: CRITICAL alarm: api-health red for 3 polls: HTTP 503","timestamp":"2033-05-18T03:33:20Z"},"routing_key":"R0UT1NGKEY0123456789abcdef012345"}"#)
        let acknowledged = LaunchNotice(key: "alarm-acknowledged/42/rule/red/api-health", event: .alarmAcknowledged, text: "ACKNOWLEDGED",
                                        alarmID: "rule/red/api-health", occurrence: 42)
        let resolved = LaunchNotice(key: "alarm-resolved/42/rule/red/api-health", event: .alarmResolved, text: "RESOLVED",
                                    alarmID: "rule/red/api-health", occurrence: 42)
        let pd = sender(plan)
        #expect(await pd.deliver(trigger, to: plan.notifications[0]) == (true, "HTTP 202"))
        #expect(await pd.deliver(acknowledged, to: plan.notifications[0]).delivered)
        #expect(await pd.deliver(resolved, to: plan.notifications[0]).delivered)
        let bodies = receiver.requests.map(\.body)
        #expect(bodies.count == 3)
        #expect(receiver.requests.first?.head.hasPrefix("POST /v2/enqueue HTTP/1.1\r\n") == true)
        #expect(bodies[1] == #"{"dedup_key":"flightdeck/example.test/DirectFanz launch/rule/red/api-health/42","event_action":"acknowledge","routing_key":"R0UT1NGKEY0123456789abcdef012345"}"#)
        #expect(bodies[2] == #"{"dedup_key":"flightdeck/example.test/DirectFanz launch/rule/red/api-health/42","event_action":"resolve","routing_key":"R0UT1NGKEY0123456789abcdef012345"}"#)
        let refused = await pd.deliver(trigger, to: plan.notifications[0])
        #expect(!refused.delivered && refused.outcome.hasPrefix("failed 3 times, last: HTTP 400"), "\(refused.outcome)")
        #expect(!refused.outcome.contains("R0UT1NGKEY"))
    }

    @Test("plan: a PagerDuty routing key only from the environment, and only alarms for PagerDuty")
    func pagerDutyPlan() {
        func problems(_ target: String) -> [String] {
            guard case .failure(let failure) = PlanLoader(environment: ["PD_KEY": "k"]).load(text: """
                launch: { name: L, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
                notifications:
                  - \(target)
                """, file: "pd.yaml") else { return [] }
            return failure.diagnostics.map(\.message)
        }
        #expect(problems("{ id: pd, kind: pagerduty, routing_key: R0UT1NGKEY }") == ["a routing key is a secret: write it as ${ENV_NAME}"])
        #expect(problems("{ id: pd, kind: pagerduty, routing_key: \"${PD_KEY}\", on: [critical-alarm, no-go] }")
                == ["PagerDuty is told of critical alarms: their incidents open, are acknowledged and resolve"])
        #expect(problems("{ id: pd, kind: pagerduty, routing_key: \"${PD_KEY}\", on: [critical-alarm] }").isEmpty)
        #expect(problems("{ id: room, kind: slack, url: \"https://hooks.slack.com/services/T/B/x\", routing_key: y }")
                == ["`routing_key` is not used by slack notifications"])
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
