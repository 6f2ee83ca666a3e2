import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import Foundation
import Synchronization

/// Where the cockpit's launch work meets the journal: PINs are checked, entries appended and
/// notices sent off the cockpit loop, so a slow disk or a scrypt never holds up a frame.
/// What becomes of the work comes back as events.
final class LaunchDesk: Sendable {
    let journal: LaunchJournal
    let plan: LaunchPlan
    let identity: LaunchActor
    let emit: @Sendable (CockpitEvent) -> Void
    /// Where a rerun asked for here is handed to whichever process runs the command.
    let commandResults: CommandResults
    private let appendingDue = Atomic<Bool>(false)
    private let sender: NotificationSender

    init(journal: LaunchJournal, plan: LaunchPlan, identity: LaunchActor, commandResults: CommandResults,
         emit: @escaping @Sendable (CockpitEvent) -> Void) {
        self.journal = journal
        self.commandResults = commandResults
        self.plan = plan
        self.identity = identity
        self.emit = emit
        sender = NotificationSender(plan: plan)
    }

    func perform(_ work: LaunchWork) {
        switch work {
        case .submit(let request, let checks, let vantages): submit(request, checks: checks, vantages: vantages)
        case .appendDue(let checks): appendDue(checks: checks)
        case .notify(let news): notify(news)
        case .suppress(let held): suppress(held)
        }
    }

    /// Tells the plan's notification targets about new critical alarms and poll decisions.
    /// Every cockpit on the plan looks; the one whose claim the journal accepts sends, and
    /// journals each delivery's outcome, so it shows in every session.
    private func notify(_ news: [LaunchNotice]) {
        let automatic = identity.acting(as: nil, pinUsed: false)
        Task.detached {
            for claimed in news {
                guard case .success? = try? self.journal.append(.notificationClaimed(key: claimed.key), by: automatic, checks: [:]) else { continue }
                // The head includes the claim: every notice carries an anchor out of the state directory.
                var anchored = claimed
                anchored.journalHead = self.journal.head
                // A new alarm's occurrence is the claim that first told of it (this one, or an earlier one).
                if anchored.occurrence == nil, let alarm = anchored.alarmID {
                    anchored.occurrence = (try? self.journal.state())?.alarmOccurrences[alarm]
                }
                let notice = anchored
                for target in self.plan.notifications where target.events.contains(notice.event) {
                    Task.detached {
                        let result = await self.sender.deliver(notice, to: target)
                        _ = try? self.journal.append(.notificationSent(key: notice.key, target: target.id, delivered: result.delivered,
                                                                      outcome: result.outcome), by: automatic, checks: [:])
                    }
                }
            }
        }
    }

    /// Journals each notice held back by a window: the record says what was not sent, and why.
    private func suppress(_ held: [(key: String, window: String)]) {
        let automatic = identity.acting(as: nil, pinUsed: false)
        Task.detached {
            for notice in held {
                _ = try? self.journal.append(.notificationSuppressed(key: notice.key, window: notice.window), by: automatic, checks: [:])
            }
        }
    }

    /// Says what became of an action, with the launch state it left behind (read once), so
    /// the screen never shows the message before the change.
    private func report(_ outcome: (LaunchState?) -> CockpitEvent) {
        let state = try? journal.state()
        if let state { emit(.launch(state)) }
        emit(outcome(state))
    }

    private func report(_ message: String) {
        report { _ in .message(message) }
    }

    /// Stale votes and built-in holds, appended by whichever process notices first.
    private func appendDue(checks: [String: CheckStatus]) {
        guard appendingDue.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        Task.detached {
            _ = try? self.journal.appendDue(by: self.identity, checks: checks)
            self.appendingDue.store(false, ordering: .releasing)
        }
    }

    private func submit(_ request: LaunchRequest, checks: [String: CheckStatus], vantages: [String: [EvidenceVantage]]) {
        guard let approver = plan.approvers.first(where: { $0.name == request.approver }) else { return }
        Task.detached {
            do {
                var signer = self.identity.acting(as: approver.name, pinUsed: false)
                if let pin = request.pin {
                    switch try self.journal.sign(as: approver, pin: pin, actor: self.identity) {
                    case .success(let signed): signer = signed
                    case .failure(let refusal): return self.report { _ in .pinRejected(request, why: refusal.message) }
                    }
                }
                switch try self.journal.append(request.event, by: signer, checks: checks, vantages: vantages,
                                               signer: SSHAgentSigner.find(for: approver)) {
                case .success(let record):
                    if case .rerunRequested(let check) = record.event { try self.commandResults.requestRerun(check) }
                    self.report { state in
                        let caveat = state?.caveat(for: record.event, checks: checks).map { "; \($0)" } ?? ""
                        return .message("recorded #\(record.seq): \(record.event.summary)\(caveat)")
                    }
                case .failure(let refusal): self.report("refused: \(refusal)")
                }
            } catch {
                self.report("not recorded: \(error)")
            }
        }
    }
}
