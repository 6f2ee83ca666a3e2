@testable import FlightdeckCore
import Foundation
import PropertyBased
import Testing

/// Random sequences of everything people, checks and the clock can do to a launch; the
/// workflow's promises must hold after every step that was accepted.
@Suite("Go/no-go workflow: properties over random event sequences")
struct LaunchWorkflowPropertyTests {
    static let approvers = ["Olga", "Oscar", "Ana", "Dana", "Dirk"]
    static let statuses: [CheckStatus] = [.pass, .warn, .fail, .unknown]

    /// One step, decoded from a number: what happens, who does it, and a detail. Weighted
    /// towards progress (the role whose turn it is votes, checks mostly pass), so that many
    /// sequences reach a final GO and the rules around it are exercised.
    static func step(_ code: Int, world: inout WorkflowWorld) {
        let who = approvers[(code / 16) % approvers.count]
        let detail = code / 80
        let reason = detail % 5 == 0 ? nil : "reason \(detail)"
        let role = detail % 4 == 0 ? ["ops", "app", "director"][detail % 3] : (world.state.nextRole ?? "ops")
        // Mostly one of the role's own approvers, sometimes anyone: both must be judged right.
        let own = world.plan.approvers.filter { $0.role == role }.map(\.name)
        let voter = (code / 16) % 5 == 0 ? who : own[detail % own.count]
        let unmet = world.state.unmetBlockers(checks: world.checks).map(\.id)
        switch code % 16 {
        case 0: world.act(.pollOpened, by: who)
        case 1, 2, 3: world.act(world.vote(role, .go), by: voter)
        case 4: world.act(world.vote(role, .noGo, reason: detail % 3 == 0 ? reason : nil), by: voter)
        case 5: world.checks[["api", "web"][detail % 2]] = [.pass, .pass, .warn, .fail, .unknown][(detail / 2) % 5]
        case 6: world.act(.checklistMarked(item: ["legal", "api-proven"][detail % 2], mark: [.done, .done, .waived, .failed, .pending][(detail / 2) % 5], note: reason), by: who)
        case 7: world.act(.overrideRequested(waive: unmet.isEmpty ? ["api"] : [unmet[detail % unmet.count]], reason: reason ?? ""), by: who)
        case 8: world.act(.overrideApproved(request: world.state.overrides.last?.seq ?? 0), by: who)
        case 9: if detail % 3 == 0 { world.act(.holdStarted(kind: .manual, reason: reason ?? ""), by: who) }
        case 10: world.act(.resumed(reason: reason ?? ""), by: who)
        case 11: world.act(.countdownStarted, by: who)
        case 12: world.act(.launched, by: who)
        case 13: if detail % 5 == 0 { world.act(.scrubbed(reason: reason ?? ""), by: who) }
        case 14: world.act(.pinTried(approver: who), by: nil)
        default: world.tick(TimeInterval(60 * (1 + detail % 5)))
        }
    }

    @Test("never GO with a red blocker unless two people overrode it; NO-GO has a reason; stale votes never count; one vote per person")
    func invariants() async throws {
        let template = try WorkflowWorld()
        await propertyCheck(count: 400, input: Gen.int(in: 0...3999).array(of: 1...120)) { codes in
            var world = template
            world.now = WorkflowWorld.t0.addingTimeInterval(-40 * 60)
            for code in codes {
                let before = world.state
                Self.step(code, world: &world)
                let after = world.state
                if after.lastSeq > before.lastSeq, case .voteCast(let role, .go, _, _) = after.history.last?.event,
                   role == world.plan.poll.director {
                    // The final GO was accepted: every blocker green, or waived by an override
                    // that two different people made.
                    let properlyWaived = Set(after.overrides.filter { $0.approvedBy != nil && $0.approvedBy != $0.requestedBy }.flatMap(\.waive))
                    for blocker in after.blockers(checks: world.checks) where blocker.status == .fail || blocker.status == .unknown {
                        #expect(properlyWaived.contains(blocker.id), "final GO with \(blocker.id) \(blocker.status) after \(codes)")
                    }
                    for role in after.requiredRoles {
                        let vote = before.votes[role]
                        #expect(vote?.choice == .go && vote?.staleBecause == nil, "final GO counted \(role)'s \(String(describing: vote))")
                    }
                }
                for record in after.history {
                    if case .voteCast(_, .noGo, let reason, _) = record.event {
                        #expect(!(reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty, "a NO-GO without a reason")
                    }
                }
                if after.phase == .go || after.phase == .countdown {
                    #expect(after.rolesAllGo, "\(after.phaseName) while a role's vote does not stand")
                }
                var roleOf: [String: String] = [:]
                for vote in after.votes.values {
                    #expect(world.plan.approvers.first { $0.name == vote.approver }?.role == vote.role, "\(vote.approver) voted for \(vote.role)")
                    #expect(roleOf.updateValue(vote.role, forKey: vote.approver) == nil, "\(vote.approver) holds two roles' votes")
                }
            }
        }
    }

    @Test("folding the same journal twice gives the same state (the fold is a function of the entries)")
    func foldIsDeterministic() async throws {
        let template = try WorkflowWorld()
        await propertyCheck(count: 100, input: Gen.int(in: 0...3999).array(of: 1...80)) { codes in
            var world = template
            for code in codes { Self.step(code, world: &world) }
            let refolded = LaunchState(plan: world.plan, records: world.state.history)
            #expect(refolded.phase == world.state.phase)
            #expect(refolded.votes == world.state.votes)
            #expect(refolded.overrides == world.state.overrides)
            #expect(refolded.hold == world.state.hold)
        }
    }
}
