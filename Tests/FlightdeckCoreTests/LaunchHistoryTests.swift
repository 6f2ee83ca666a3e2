import FlightdeckCore
import Foundation
import Testing

@Suite("The history a launch state keeps: every entry in order, each state its own, however many share it")
struct LaunchHistoryTests {
    static func record(_ seq: Int, _ note: String = "") -> LaunchRecord {
        LaunchRecord(seq: seq, at: Date(timeIntervalSince1970: 1_796_650_000 + Double(seq)),
                     actor: LaunchActor(login: "ada", effectiveUser: "ada", pid: 1, host: "bastion"),
                     event: .checklistMarked(item: "legal", mark: .pending, note: note.isEmpty ? nil : note))
    }

    @Test("entries across many chunks come back in order; states forked from one share nothing they change")
    func forks() throws {
        let plan = try #require(try? PlanLoader(environment: [:]).load(text: """
            launch: { name: history, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            checklist: [{ id: legal, phase: Launch, title: Terms, owner: ops }]
            """, file: "plan.yaml").get())
        var base = LaunchState(plan: plan)
        for seq in 1...600 { base.apply(Self.record(seq)) }
        #expect(base.history.map(\.seq) == Array(1...600))
        #expect(base.history.suffix(3).map(\.seq) == [598, 599, 600] && base.history.first?.seq == 1)

        // Two states go on from the same 600 (as a speculative append does beside the folded
        // state): each sees its own 601, and the base neither.
        var left = base, right = base
        left.apply(Self.record(601, "left"))
        right.apply(Self.record(601, "right"))
        for seq in 602...800 { right.apply(Self.record(seq)) }
        #expect(base.history.count == 600 && left.history.count == 601 && right.history.count == 800)
        #expect(left.history.last?.event == .checklistMarked(item: "legal", mark: .pending, note: "left"))
        #expect(right.history[600].event == .checklistMarked(item: "legal", mark: .pending, note: "right"))
        #expect(right.history.map(\.seq) == Array(1...800))
        #expect(LaunchState(plan: plan, records: right.history).history.map(\.seq) == Array(1...800))
    }
}
