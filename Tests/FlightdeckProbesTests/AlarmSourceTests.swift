import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

@Suite("Alarm sources: a real Alertmanager and a JSON feed on loopback", .serialized)
struct AlarmSourceTests {
    private func plan(sources: String, environment: [String: String] = [:]) throws -> LaunchPlan {
        try PlanLoader(environment: environment).load(text: """
            launch: { name: Sources, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http: [{ id: api-health, url: "http://127.0.0.1:9/health" }]
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            alarms:
              sources:
            \(sources)
            """, file: "sources.yaml").get()
    }

    private func fetch(_ plan: LaunchPlan) async -> [Alarm] {
        await AlarmSourceProbe(source: plan.alarmSources[0], plan: plan).fetch(clock: .seconds(1000))
            .sorted { ($0.severity, $0.id) < ($1.severity, $1.id) }
    }

    @Test("Alertmanager: active alerts become alarms with their severity and check; silenced ones and other matchers stay out")
    func alertmanager() async throws {
        let server = try AlertmanagerServer()
        defer { server.stop() }
        let started = Date().addingTimeInterval(-7200)
        #expect(try server.post([
            ["labels": ["alertname": "HighLatency", "severity": "critical", "check": "api-health", "team": "api"],
             "annotations": ["summary": "p99 over 2s \u{1B}[31mfor 5m"], "startsAt": started.formatted(.iso8601)],
            ["labels": ["alertname": "QueueBacklog", "severity": "warning", "team": "payments"],
             "annotations": ["description": "3,000 jobs waiting"]],
            ["labels": ["alertname": "DiskFilling", "severity": "info", "team": "api"]],
        ]) == 200)
        try server.silence(label: "alertname", value: "DiskFilling")

        var alarms: [Alarm] = []
        for _ in 0..<50 {
            alarms = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\" }"))
            if alarms.count == 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(alarms.map(\.severity) == [.critical, .warning])
        let latency = try #require(alarms.first)
        #expect(latency.id.hasPrefix("am/HighLatency/"))
        #expect(latency.source == "am")
        #expect(latency.checkID == "api-health")
        #expect(latency.reason == "HighLatency: p99 over 2s \u{FFFD}[31mfor 5m", "escape sequences from the source are inert")
        // Two hours before the fetch, which read the poller's clock as 1000 s; the slack is for a slow machine.
        #expect(abs((latency.since - .seconds(1000 - 7200)).timeInterval) < 60, "since it started: \(latency.since)")
        #expect(alarms.last?.reason == "QueueBacklog: 3,000 jobs waiting")
        #expect(alarms.last?.checkID == nil)

        let filtered = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\", matchers: [\"team=\\\"payments\\\"\"] }"))
        #expect(filtered.map(\.reason) == ["QueueBacklog: 3,000 jobs waiting"])

        server.stop()
        let gone = await fetch(try plan(sources: "    - { id: am, kind: alertmanager, url: \"\(server.url)\" }"))
        #expect(gone.map(\.id) == ["am/unreadable"])
        #expect(gone.first?.reason.hasPrefix("alarm source am cannot be read: cannot reach it: connection refused") == true, "\(gone)")
    }

    @Test("a JSON feed mapped by field paths; an answer that is not JSON is an alarm of its own")
    func jsonFeed() async throws {
        let nginx = try NginxServer.shared()
        try Data("""
            {"data": {"alarms": [
              {"name": "checkout-5xx", "state": "ALARM", "level": "critical", "since": "2030-01-01T00:00:00Z"},
              {"name": "cdn-origin", "state": "OK", "level": "critical"},
              {"name": "search-latency", "state": "firing"}
            ]}}
            """.utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/alarms.json"))
        try Data("<html>502 Bad Gateway</html>".utf8).write(to: URL(fileURLWithPath: nginx.filesDirectory + "/broken.json"))
        func feed(_ file: String) throws -> LaunchPlan {
            try plan(sources: """
                    - id: status
                      kind: json
                      url: "\(nginx.url("/files/\(file)"))"
                      fields: { items: data.alarms, name: name, state: state, severity: level, since: since }
                """)
        }
        let alarms = await fetch(try feed("alarms.json"))
        #expect(alarms.map { "\($0.id) \($0.severity) \($0.reason)" } == [
            "status/checkout-5xx critical checkout-5xx: ALARM", "status/search-latency warning search-latency: firing",
        ])
        try Data(#"[{"name": "token tok_9f8e7d leaked", "state": "alarm"}]"#.utf8)
            .write(to: URL(fileURLWithPath: nginx.filesDirectory + "/echo.json"))
        let echoing = await fetch(try plan(sources: """
                - { id: status, kind: json, url: "\(nginx.url("/files/echo.json"))?token=${FEED_TOKEN}", fields: { name: name, state: state } }
            """, environment: ["FEED_TOKEN": "tok_9f8e7d"]))
        #expect(echoing.map { "\($0.id) \($0.reason)" } == ["status/token ${FEED_TOKEN} leaked token ${FEED_TOKEN} leaked: alarm"],
                "a secret the source echoes is shown by name")
        let broken = await fetch(try feed("broken.json"))
        #expect(broken.map(\.reason) == ["alarm source status cannot be read: status: the answer is not JSON; its alarms are not shown"])
    }

    private func cloudwatchPlan(endpoint: String) throws -> LaunchPlan {
        try plan(sources: "    - { id: cw, kind: cloudwatch, region: us-east-1, name_prefix: directfanz-prod-, endpoint: \"\(endpoint)\" }")
    }

    @Test("CloudWatch through moto: ALARM is critical, INSUFFICIENT_DATA informational, OK and other prefixes left out")
    func cloudwatch() async throws {
        let moto = try MotoServer()
        defer { moto.stop() }
        try moto.alarm("directfanz-prod-api-5xx", state: "ALARM", reason: "Threshold Crossed: 1 datapoint [7.0] > 1.0 <b>&amp;</b>")
        try moto.alarm("directfanz-prod-queue-age", state: "INSUFFICIENT_DATA", reason: "no datapoints")
        try moto.alarm("directfanz-prod-db-cpu", state: "OK", reason: "fine")
        try moto.alarm("other-team-alarm", state: "ALARM", reason: "not ours")
        let plan = try cloudwatchPlan(endpoint: moto.url)
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let probe = AlarmSourceProbe(source: plan.alarmSources[0], plan: plan,
                                     environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret])
        let alarms = await probe.fetch(clock: .seconds(100))
        #expect(alarms.map { "\($0.id) \($0.severity)" } == ["cw/directfanz-prod-api-5xx critical", "cw/directfanz-prod-queue-age info"])
        #expect(alarms.first?.reason == "directfanz-prod-api-5xx: Threshold Crossed: 1 datapoint [7.0] > 1.0 <b>&amp;</b>", "entities decoded once: the reason reads as it was set")
        #expect(alarms.last?.reason == "directfanz-prod-queue-age: insufficient data (no datapoints)")

        let directory = try TestDirectory("aws")
        try directory.write("[default]\naws_access_key_id = AKIDDEFAULT\n\n[launch]\naws_access_key_id = AKIDLAUNCH\naws_secret_access_key = \(secret)\n", to: "credentials")
        let fromFile = AlarmSourceProbe(source: plan.alarmSources[0], plan: plan,
                                        environment: ["AWS_SHARED_CREDENTIALS_FILE": directory.file("credentials"), "AWS_PROFILE": "launch"])
        #expect(await fromFile.fetch(clock: .zero).count == 2)
        let noProfile = AlarmSourceProbe(source: plan.alarmSources[0], plan: plan, environment: ["AWS_SHARED_CREDENTIALS_FILE": directory.file("credentials")])
        let missing = await noProfile.fetch(clock: .zero)
        #expect(missing.map(\.reason) == ["alarm source cw cannot be read: no key pair for profile `default` in \(directory.file("credentials")); its alarms are not shown"])
        let none = await AlarmSourceProbe(source: plan.alarmSources[0], plan: plan, environment: ["HOME": directory.path]).fetch(clock: .zero)
        #expect(none.first?.reason.contains("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") == true)
        for alarm in alarms + missing + none { #expect(!alarm.reason.contains(secret)) }
    }

    @Test("CloudWatch's own errors and non-AWS answers are alarms that say what came back", arguments: [
        (403, "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>",
         "cw: CloudWatch says InvalidClientTokenId: The security token included in the request is invalid."),
        (502, "<html>502 Bad Gateway</html>", "cw: the answer is not a DescribeAlarms response"),
    ])
    func cloudwatchErrors(status: Int, body: String, problem: String) async throws {
        let server = try RecordingHTTPServer(statuses: [status], body: body)
        let plan = try cloudwatchPlan(endpoint: "http://127.0.0.1:\(server.port)/")
        let alarms = await AlarmSourceProbe(source: plan.alarmSources[0], plan: plan,
                                            environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]).fetch(clock: .zero)
        #expect(alarms.map(\.reason) == ["alarm source cw cannot be read: \(problem); its alarms are not shown"])
        let request = try #require(server.requests.first)
        #expect(request.head.hasPrefix("POST / HTTP/1.1\r\n"))
        #expect(request.head.contains("Authorization: AWS4-HMAC-SHA256 Credential=AKID/"))
        #expect(request.body == "Action=DescribeAlarms&Version=2010-08-01&MaxRecords=100&AlarmNamePrefix=directfanz-prod-")
    }

    @Test("libcurl's SigV4 signature matches AWS's published test vector (get-vanilla)")
    func sigV4TestVector() async throws {
        let server = try RecordingHTTPServer(statuses: [200])
        // The vector: GET / on example.amazonaws.com at 20150830T123600Z, service `service`.
        var request = CurlRequest(url: "http://127.0.0.1:\(server.port)/", destination: "test vector")
        request.headers = ["Host: example.amazonaws.com", "X-Amz-Date: 20150830T123600Z"]
        request.awsSigV4 = ("aws:amz:us-east-1:service", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        _ = await CurlEngine.shared.perform(request)
        let sent = server.requests.first?.head ?? ""
        #expect(sent.contains("\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                              + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\r\n"), "\(sent)")
    }
}
