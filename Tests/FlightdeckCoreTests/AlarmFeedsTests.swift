@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Alarm feeds: hostile and malformed answers")
struct AlarmFeedsTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)
    let mapping = JSONAlarmMapping(items: "alarms", name: "name", state: "state", severity: "level", since: "since")

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("Alertmanager answers that are not alert lists are errors that say so", arguments: [
        "", "null", "{}", "\"alerts\"", "<html>502</html>", "[1, 2, 3]",
    ])
    func alertmanagerGarbage(body: String) {
        let result = AlarmFeeds.alertmanager(bytes(body), source: "am", checks: [], now: now, clock: .zero)
        switch result {
        case .success(let alarms):
            #expect(alarms.isEmpty, "a list of non-alerts is no alarms, not a crash")
            #expect(body == "[1, 2, 3]")
        case .failure(let error):
            #expect(error.message == "am: the answer is not a list of Alertmanager alerts")
        }
    }

    @Test("Alertmanager alerts with missing or odd fields: skipped or read safely; text sanitised and cut")
    func alertmanagerOdd() throws {
        let long = String(repeating: "x", count: 5000)
        let body = """
            [
              {"labels": {"severity": "critical"}, "status": {"state": "active"}},
              {"labels": {"alertname": 42, "severity": ["critical"]}, "status": {"state": "active"}, "startsAt": "yesterday"},
              {"labels": {"alertname": "Suppressed"}, "status": {"state": "suppressed"}},
              {"labels": {"alertname": "Bell\\u0007Ringer", "check": "not-a-check"}, "annotations": {"summary": "\(long)"}, "status": {"state": "active"}}
            ]
            """
        let alarms = try AlarmFeeds.alertmanager(bytes(body), source: "am", checks: ["api"], now: now, clock: .seconds(50)).get()
        #expect(alarms.map(\.id) == ["am/42/42", "am/Bell\u{FFFD}Ringer/Bell\u{FFFD}Ringer"])
        #expect(alarms[0].severity == .warning, "a severity that is not a word is a warning")
        #expect(alarms[0].since == .seconds(50), "a start time that is not a time is now")
        #expect(alarms[1].checkID == nil, "a check label naming no check of the plan links nothing")
        #expect(alarms[1].reason.count < 700)
    }

    @Test("JSON feeds: no list where the mapping says is an error; items without a name or a firing state are skipped")
    func jsonOdd() throws {
        #expect(throws: AlarmFeeds.FeedError(message: "feed: no list of alarms at `alarms`")) {
            try AlarmFeeds.json(bytes(#"{"alarms": {"not": "a list"}}"#), source: "feed", mapping: mapping, now: now, clock: .zero).get()
        }
        #expect(throws: AlarmFeeds.FeedError(message: "feed: the answer is not JSON")) {
            try AlarmFeeds.json(bytes("alarms: [x]"), source: "feed", mapping: mapping, now: now, clock: .zero).get()
        }
        let alarms = try AlarmFeeds.json(bytes("""
            {"alarms": [{"state": "alarm"}, {"name": "ok-one", "state": "OK"}, {"name": "numeric", "state": 1, "level": "critical"},
                        {"name": "nested", "state": {"deep": true}}, "just a string"]}
            """), source: "feed", mapping: mapping, now: now, clock: .zero).get()
        #expect(alarms.map { "\($0.id) \($0.severity)" } == ["feed/numeric critical"])
    }

    @Test("CloudWatch: errors, odd XML and entities", arguments: [
        ("<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>", "cw: CloudWatch says Throttling: Rate exceeded"),
        ("<DescribeAlarmsResponse><MetricAlarms><member><StateValue>ALARM</StateValue></member></MetricAlarms></DescribeAlarmsResponse>", nil),
        ("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><html/>", "cw: the answer is not a DescribeAlarms response"),
    ])
    func cloudwatchOdd(body: String, problem: String?) {
        switch AlarmFeeds.cloudwatch(bytes(body), source: "cw", now: now, clock: .zero) {
        case .success(let page):
            #expect(problem == nil)
            #expect(page.alarms.isEmpty, "an alarm without a name is skipped")
        case .failure(let error):
            #expect(error.message == problem)
        }
    }

    @Test("CloudWatch: entities are decoded once, escape sequences made inert, the next page's token kept")
    func cloudwatchEntities() throws {
        let body = """
            <DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms><member><AlarmName>a&amp;b</AlarmName>\
            <StateValue>ALARM</StateValue><StateReason>&lt;5 &amp;amp; \u{1B}[2J</StateReason>\
            <StateUpdatedTimestamp>2030-03-17T17:46:40.000Z</StateUpdatedTimestamp></member></MetricAlarms>\
            <NextToken>page-2</NextToken></DescribeAlarmsResult></DescribeAlarmsResponse>
            """
        let page = try AlarmFeeds.cloudwatch(bytes(body), source: "cw", now: now, clock: .seconds(1000)).get()
        #expect(page.alarms.map(\.reason) == ["a&b: <5 &amp; \u{FFFD}[2J"])
        #expect(page.next == "page-2")
    }
}
