@testable import FlightdeckCore
import Foundation
import Testing

/// An alarm's whole life as the notification targets that track incidents (PagerDuty) see
/// it: told when it fires, when it is acknowledged in Flightdeck, when it recovers; one
/// occurrence one incident, kept in the journal so every cockpit agrees on it.
@Suite("Alarm incidents: trigger, acknowledge, resolve")
struct AlarmIncidentTests {
    static let start = Date(timeIntervalSince1970: 2_000_000_000)

    static func plan(_ targets: String) throws -> LaunchPlan {
        try PlanLoader(environment: ["PD_KEY": "k", "HOOK": "h"]).load(text: """
            launch: { name: Incidents, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            http:
              - { id: api, url: "http://127.0.0.1:9/health" }
            alarms: { rules: { red_polls: 1 } }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            notifications:
            \(targets)
            """, file: "incidents.yaml").get()
    }

    /// A cockpit on `plan` with its own copy of the journal: the notices it asks to send, and
    /// what claiming them does.
    struct Room {
        var state: CockpitState
        var launch: LaunchState
        var clock = 0.0
        let actor = LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion")

        init(plan: LaunchPlan) {
            state = CockpitState(plan: plan, now: AlarmIncidentTests.start)
            launch = LaunchState(plan: plan)
            state.reduce(.launch(launch))
        }

        /// A probe result now, on the cockpit's clock.
        mutating func probe(_ status: CheckStatus) {
            clock = state.now.timeIntervalSince(state.clockOrigin)
            state.reduce(.outcome(ProbeOutcome(checkID: "api", finishedAt: .seconds(clock), status: status,
                                               detail: status == .fail ? "HTTP 503" : "200", latency: nil)))
        }

        mutating func append(_ event: LaunchEvent) {
            launch.apply(LaunchRecord(seq: launch.lastSeq + 1, at: state.now, actor: actor, event: event))
            state.reduce(.launch(launch))
        }

        /// The notices due now; each claimed in the journal, as the desk does.
        mutating func notify(after seconds: Double = 1) -> [LaunchNotice] {
            let effects = state.reduce(.tick(state.now.addingTimeInterval(seconds)))
            let news = effects.flatMap { effect -> [LaunchNotice] in
                if case .launch(.notify(let news)) = effect { return news }
                return []
            }
            for notice in news where launch.isNews(notice.key, at: state.now) { append(.notificationClaimed(key: notice.key)) }
            return news
        }
    }

    @Test("fires, acknowledged, recovers: trigger, acknowledge, resolve for one occurrence; firing again is a new one")
    func lifecycle() throws {
        var room = Room(plan: try Self.plan("  - { id: pd, kind: pagerduty, routing_key: \"${PD_KEY}\" }"))
        room.probe(.fail)
        let fired = room.notify()
        #expect(fired.map(\.key) == ["alarm/rule/red/api"])
        #expect(fired.first?.verdict?.hasPrefix("NO-GO: ") == true && fired.first?.clock != nil)
        let occurrence = try #require(room.launch.alarmOccurrences["rule/red/api"])
        #expect(room.notify().isEmpty, "told once")

        room.append(.alarmAcknowledged(alarm: "rule/red/api", reason: "on it"))
        let acknowledged = room.notify()
        #expect(acknowledged.map(\.key) == ["alarm-acknowledged/\(occurrence)/rule/red/api"])
        #expect(acknowledged.first?.occurrence == occurrence && acknowledged.first?.event == .alarmAcknowledged)
        #expect(acknowledged.first?.text == "ACKNOWLEDGED by ada: on it — api red for 1 polls: HTTP 503")
        #expect(room.notify().isEmpty)

        room.probe(.pass)
        let resolved = room.notify()
        #expect(resolved.map(\.key) == ["alarm-resolved/\(occurrence)/rule/red/api"])
        #expect(room.launch.alarmOccurrences["rule/red/api"] == nil, "the occurrence is over")

        // Past the acknowledgement's grace: the acknowledgement was for the last occurrence.
        _ = room.notify(after: AlarmBoard.grace + 1)
        room.probe(.fail)
        let again = room.notify()
        #expect(again.map(\.key) == ["alarm/rule/red/api"], "a new occurrence, told at once, not ten minutes on")
        #expect(room.launch.alarmOccurrences["rule/red/api"].map { $0 > occurrence } == true)
    }

    @Test("without a target that tracks incidents nothing of the kind is claimed: an alarm is told again only ten minutes on, as before")
    func webhookOnly() throws {
        var room = Room(plan: try Self.plan("  - { id: hook, kind: webhook, url: \"https://hooks.example.test/${HOOK}\" }"))
        room.probe(.fail)
        #expect(room.notify().map(\.key) == ["alarm/rule/red/api"])
        room.append(.alarmAcknowledged(alarm: "rule/red/api", reason: "on it"))
        room.probe(.pass)
        #expect(room.notify().isEmpty, "nobody wants acknowledgements or recoveries")
        _ = room.notify(after: AlarmBoard.grace + 1)
        room.probe(.fail)
        #expect(room.notify().isEmpty, "within ten minutes of the last notice, firing again is not news to a webhook")
        #expect(room.notify(after: LaunchState.renotifyAfter).map(\.key) == ["alarm/rule/red/api"])
    }

    @Test("a cockpit that never saw the alarm firing does not resolve its incident")
    func resolvesOnlyWhatItSaw() throws {
        var room = Room(plan: try Self.plan("  - { id: pd, kind: pagerduty, routing_key: \"${PD_KEY}\" }"))
        room.append(.notificationClaimed(key: "alarm/rule/red/api"))
        room.probe(.pass)
        #expect(room.notify().isEmpty)
        #expect(room.launch.alarmOccurrences["rule/red/api"] != nil)
    }
}
