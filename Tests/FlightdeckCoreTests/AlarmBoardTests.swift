@testable import FlightdeckCore
import Foundation
import Testing

@Suite("Alarm life cycle: firing, acknowledged, silenced, resolved")
struct AlarmBoardTests {
    /// An alarm board on the alarm-rules plan, with `api` red from 0 s (3 polls: an alarm at
    /// 20 s), and a launch journal folded alongside.
    struct World {
        let plan: LaunchPlan
        var board: AlarmBoard
        var launch: LaunchState
        let origin = Date(timeIntervalSince1970: 1_900_000_000)
        var clock = 0

        init() throws {
            plan = try AlarmEngineTests.plan()
            board = AlarmBoard(plan: plan)
            launch = LaunchState(plan: plan)
        }

        var now: Date { origin.addingTimeInterval(TimeInterval(clock)) }

        mutating func poll(_ status: CheckStatus) {
            clock += 10
            board.observe(AlarmEngineTests.outcome("api", status, at: clock))
            board.update(clock: .seconds(clock), now: now, launch: launch)
        }

        mutating func journal(_ event: LaunchEvent) {
            launch.apply(LaunchRecord(seq: launch.lastSeq + 1, at: now,
                                      actor: LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion", approver: "Ada"), event: event))
            board.update(clock: .seconds(clock), now: now, launch: launch)
        }

        var state: AlarmBoard.State? { board.entries.first { $0.alarm.id == "rule/red/api" }?.state }
    }

    @Test("a new critical alarm fires once; acknowledging it in the journal shows here; recovery resolves it and keeps the acknowledgement")
    func acknowledge() throws {
        var world = try World()
        for _ in 0..<3 { world.poll(.fail) }
        #expect(world.state == .firing)
        #expect(world.board.newCriticals == 1)
        world.poll(.fail)
        #expect(world.board.newCriticals == 1, "the bell rings once per alarm, not once per poll")
        world.journal(.alarmAcknowledged(alarm: "rule/red/api", reason: "on it: DB failover"))
        #expect(world.state == .acknowledged)
        world.poll(.pass)
        let resolved = world.board.entries.first
        #expect(resolved?.state == .resolved)
        #expect(resolved?.acknowledgement?.reason == "on it: DB failover")
        #expect(world.board.standing.isEmpty)
    }

    @Test("within a severity, a firing alarm sorts above one someone has acknowledged, however old")
    func firingFirst() throws {
        var world = try World()
        let older = Alarm(id: "am/Disk", severity: .warning, source: "am", since: .seconds(1), reason: "disk 91% full")
        let newer = Alarm(id: "am/Queue", severity: .warning, source: "am", since: .seconds(5), reason: "queue backing up")
        world.board.record(source: "am", alarms: [older, newer])
        world.poll(.pass)
        #expect(world.board.entries.map(\.alarm.id) == ["am/Disk", "am/Queue"], "oldest first while both fire")
        world.journal(.alarmAcknowledged(alarm: "am/Disk", reason: "cleaning up"))
        #expect(world.board.entries.map(\.alarm.id) == ["am/Queue", "am/Disk"], "the acknowledged one below the one that still needs someone")
    }

    @Test("an acknowledgement that lands after the alarm resolved never reopens it; a later new occurrence is not acknowledged")
    func ackResolveRace() throws {
        var world = try World()
        for _ in 0..<3 { world.poll(.fail) }
        world.poll(.pass)
        #expect(world.state == .resolved)
        world.journal(.alarmAcknowledged(alarm: "rule/red/api", reason: "looking"))
        #expect(world.state == .resolved, "the ack is kept, the alarm stays resolved")
        #expect(world.board.entries.first?.acknowledgement?.reason == "looking")
        world.clock += 300
        for _ in 0..<3 { world.poll(.fail) }
        #expect(world.state == .firing, "fired again minutes later: a new occurrence, not covered by the old ack")
        #expect(world.board.newCriticals == 2)
    }

    @Test("a silence until recovery lasts until the alarm recovers; a timed silence lasts until its time")
    func silences() throws {
        var world = try World()
        for _ in 0..<3 { world.poll(.fail) }
        world.journal(.alarmSilenced(alarm: "rule/red/api", until: nil, reason: "known: vendor outage"))
        #expect(world.state == .silenced)
        world.poll(.pass)
        world.clock += 300
        for _ in 0..<3 { world.poll(.fail) }
        #expect(world.state == .firing, "recovery cleared the silence")

        world.journal(.alarmSilenced(alarm: "rule/red/api", until: world.now.addingTimeInterval(600), reason: "maintenance window"))
        world.poll(.pass)
        for _ in 0..<3 { world.poll(.fail) }
        #expect(world.state == .silenced, "a timed silence holds across occurrences")
        #expect(world.board.newCriticals == 2, "a silenced alarm does not ring")
        world.clock += 600
        world.poll(.fail)
        #expect(world.state == .firing)
    }

    @Test("external alarms join the rules' alarms; resolved ones leave the list after ten minutes")
    func externalAndExpiry() throws {
        var world = try World()
        world.board.record(source: "alertmanager", alarms: [Alarm(id: "alertmanager/HighLatency", severity: .warning, source: "alertmanager",
                                                                   since: .seconds(5), reason: "HighLatency: p99 over 2s")])
        world.poll(.pass)
        #expect(world.board.entries.map(\.alarm.id) == ["alertmanager/HighLatency"])
        world.board.record(source: "alertmanager", alarms: [])
        world.poll(.pass)
        #expect(world.board.entries.first?.state == .resolved)
        world.clock += 700
        world.poll(.pass)
        #expect(world.board.entries.isEmpty)
    }

    @Test("a built-in hold past its time is a critical alarm until the director resumes")
    func expiredHold() throws {
        var world = try WorkflowWorld()
        var board = AlarmBoard(plan: world.plan)
        world.now = WorkflowWorld.t0.addingTimeInterval(-10 * 60)
        world.tick()
        board.update(clock: .seconds(0), now: world.now, launch: world.state)
        #expect(board.entries.isEmpty, "holding, within its five minutes")
        world.tick(6 * 60)
        board.update(clock: .seconds(360), now: world.now, launch: world.state)
        #expect(board.entries.map { "\($0.alarm.severity) \($0.alarm.reason)" } == ["critical Final hold has run its time: the director resumes or scrubs"])
        #expect(board.newCriticals == 1)
        world.act(.resumed(reason: "go on"), by: "Dana")
        board.update(clock: .seconds(361), now: world.now, launch: world.state)
        #expect(board.entries.first?.state == .resolved)
    }
}
