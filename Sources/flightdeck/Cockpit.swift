import ArgumentParser
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import FlightdeckTerminal
import FlightdeckView
import Foundation
import Synchronization

/// Runs the cockpit: probes feed events, keys and the clock feed events, one loop reduces
/// them into the state, and the terminal thread draws the newest state, at most every 20 ms.
/// The terminal thread is the only one that touches ncurses; nothing on it waits for the
/// network.
struct Cockpit {
    static let frameInterval = Duration.milliseconds(20)

    let plan: LaunchPlan
    let planPath: String
    let planDirectory: String
    let theme: Theme
    let keymap: Keymap
    let readOnly: Bool
    let alert: AlertStyle
    /// Shown in the status line when the cockpit opens.
    var greeting: String? = nil

    /// How a new critical alarm gets attention, once.
    enum AlertStyle: String, CaseIterable {
        case bell, flash, off
    }

    func run() async {
        let (events, emit) = AsyncStream<CockpitEvent>.makeStream()
        // An SSH drop (SIGHUP), Ctrl-C and kill end the cockpit the same way as `q`; from
        // before the terminal is taken over, so it is always given back.
        TerminationSignals.onReceive { emit.yield(.action(.quit)) }
        let view = CockpitView(theme: theme, keymap: keymap)
        let frames = PollInbox<CockpitState>()
        let stop = Atomic<Bool>(false)
        let finished = Completion()

        let terminal = Thread {
            let screen = TerminalScreen(theme: theme, environment: ProcessInfo.processInfo.environment)
            var shown: CockpitState?
            var alerted = 0
            var redraw = true
            var lastDraw = ContinuousClock.now - .seconds(1)
            while !stop.load(ordering: .relaxed) {
                // Sleep until a key, a new frame or a resize; but never draw more often than
                // every 20 ms: a burst of results becomes one frame.
                let sinceDraw = lastDraw.duration(to: .now)
                let wait: Int32 = redraw && sinceDraw < Self.frameInterval
                    ? Int32((Self.frameInterval - sinceDraw).components.attoseconds / 1_000_000_000_000_000) + 1 : 1000
                if screen.waitForInput(wake: frames.wakeDescriptor, milliseconds: wait) {
                    if screen.hungUp {
                        emit.yield(.action(.quit))
                        break
                    }
                    while let input = screen.readInput() {
                        switch input {
                        case .resize: redraw = true
                        case .key(let key): emit.yield(.key(key))
                        }
                    }
                } else if screen.resizedSinceLastLook() {
                    redraw = true
                }
                frames.drainWake()
                if let state = frames.take().last {
                    // Once per new critical alarm, however many frames were skipped meanwhile.
                    if state.alarms.newCriticals > alerted {
                        alerted = state.alarms.newCriticals
                        if alert != .off { screen.alert(flash: alert == .flash) }
                    }
                    shown = state
                    redraw = true
                }
                if redraw, let state = shown, lastDraw.duration(to: .now) >= Self.frameInterval {
                    let size = screen.size
                    screen.draw(view.render(state, width: size.width, height: size.height))
                    redraw = false
                    lastDraw = .now
                }
            }
            screen.restore()
            finished.complete()
        }
        terminal.name = "flightdeck-terminal"
        terminal.start()

        let feeds = LaunchFeeds(plan: plan, planPath: planPath, planDirectory: planDirectory, emit: { emit.yield($0) })
        let identity = LaunchActor.current()
        let workflow = feeds.journal.map { LaunchDesk(journal: $0, plan: plan, identity: identity, emit: { emit.yield($0) }) }

        var state = CockpitState(plan: plan, now: feeds.origin, keymap: keymap, identity: identity, readOnly: readOnly)
        if let greeting { state.reduce(.message(greeting)) }
        frames.submit(state)
        for await event in events {
            let promptWasOpen = state.prompt != nil || state.editingFilter
            state.reduce(event)
            if case .key(let key) = event {
                if !promptWasOpen, keymap.action(for: key) == .act {
                    let rows = view.visibleRows(state.focus, state: state)
                    state.reduce(.openActions(row: rows.isEmpty ? nil : rows[min(state.selectedRow, rows.count - 1)].id))
                }
                state.clampSelection(rows: view.visibleRows(state.focus, state: state).count)
            }
            if case .tick = event, !readOnly, let launch = state.launch {
                workflow?.appendDue(launch: launch, checks: state.checkStatuses)
                workflow?.notify(launch: launch, alarms: state.alarms)
            }
            for request in state.takeRequests() {
                workflow?.submit(request, checks: state.checkStatuses)
            }
            if state.quitting { break }
            frames.submit(state)
        }
        await feeds.stop()
        TerminationSignals.onReceive(nil)
        stop.store(true, ordering: .relaxed)
        frames.submit(state)
        // Awaited, not blocked on: the terminal thread gives the screen back first.
        await finished.wait()
    }
}

/// Something a thread finishes and a task awaits, without blocking the task's thread.
final class Completion: Sendable {
    private let state = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func complete() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if done { continuation.resume() }
        }
    }
}

/// Where the cockpit's actions meet the journal: PINs are checked and entries appended off
/// the cockpit loop, so a slow disk or a scrypt never holds up a frame.
final class LaunchDesk: Sendable {
    let journal: LaunchJournal
    let plan: LaunchPlan
    let identity: LaunchActor
    let emit: @Sendable (CockpitEvent) -> Void
    private let appendingDue = Atomic<Bool>(false)
    private let sender: NotificationSender
    /// Decisions older than this were news before this cockpit started.
    private let startedAt = Date().addingTimeInterval(-60)

    init(journal: LaunchJournal, plan: LaunchPlan, identity: LaunchActor, emit: @escaping @Sendable (CockpitEvent) -> Void) {
        self.journal = journal
        self.plan = plan
        self.identity = identity
        self.emit = emit
        sender = NotificationSender(plan: plan)
    }

    /// Tells the plan's notification targets about new critical alarms and poll decisions.
    /// Every cockpit on the plan looks; the one whose claim the journal accepts sends, and
    /// journals each delivery's outcome, so it shows in every session.
    func notify(launch: LaunchState, alarms: AlarmBoard) {
        guard !plan.notifications.isEmpty else { return }
        let now = Date()
        let news = (LaunchNotice.decisions(in: launch, after: startedAt) + LaunchNotice.alarms(on: alarms)).filter { notice in
            guard let claimed = launch.notificationClaims[notice.key] else { return true }
            return notice.event == .criticalAlarm && now.timeIntervalSince(claimed) >= LaunchState.renotifyAfter
        }
        guard !news.isEmpty else { return }
        let automatic = identity.acting(as: nil, pinUsed: false)
        Task.detached {
            for claimed in news {
                guard case .success? = try? self.journal.append(.notificationClaimed(key: claimed.key), by: automatic, checks: [:]) else { continue }
                // The head includes the claim: every notice carries an anchor out of the state directory.
                var anchored = claimed
                anchored.journalHead = self.journal.head
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

    /// Says what became of an action, with the launch state it left behind, so the screen
    /// never shows the message before the change.
    private func report(_ message: String) {
        if let state = try? journal.state() { emit(.launch(state)) }
        emit(.message(message))
    }

    /// Stale votes and built-in holds, appended by whichever process notices first.
    func appendDue(launch: LaunchState, checks: [String: CheckStatus]) {
        guard !launch.dueEvents(at: Date(), checks: checks).isEmpty,
              appendingDue.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        Task.detached {
            _ = try? self.journal.appendDue(by: self.identity, checks: checks)
            self.appendingDue.store(false, ordering: .releasing)
        }
    }

    func submit(_ request: LaunchRequest, checks: [String: CheckStatus]) {
        guard let approver = plan.approvers.first(where: { $0.name == request.approver }) else { return }
        Task.detached {
            do {
                var signer = self.identity.acting(as: approver.name, pinUsed: false)
                if let pin = request.pin {
                    switch try self.journal.sign(as: approver, pin: pin, actor: self.identity) {
                    case .success(let signed): signer = signed
                    case .failure(let refusal): return self.report(refusal.message)
                    }
                }
                switch try self.journal.append(request.event, by: signer, checks: checks, signer: SSHAgentSigner.find(for: approver)) {
                case .success(let record): self.report("recorded #\(record.seq): \(record.event.summary)")
                case .failure(let refusal): self.report("refused: \(refusal)")
                }
            } catch {
                self.report("not recorded: \(error)")
            }
        }
    }
}

/// Themes and keymaps: the shipped ones beside the binary's package (Themes/, Keymaps/),
/// overridden or added to by the user's in $XDG_CONFIG_HOME/flightdeck/.
enum CockpitFiles {
    /// The theme or keymap named; a missing or broken one is an error naming the file (exit 2).
    static func theme(named name: String) throws -> Theme {
        try orExit(load("Themes", name: name, reader: { Theme.load(text: $0, file: $1) }))
    }

    static func keymap(named name: String) throws -> Keymap {
        try orExit(load("Keymaps", name: name, reader: { Keymap.load(text: $0, file: $1) }))
    }

    private static func orExit<T>(_ result: Result<T, PlanLoadError>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let error):
            Console.error(error.description)
            throw ExitCode.usageOrPlanError
        }
    }

    static func load<T>(_ kind: String, name: String, reader: (String, String) -> Result<T, PlanLoadError>) -> Result<T, PlanLoadError> {
        let file = "\(name).yaml"
        let environment = ProcessInfo.processInfo.environment
        let config = environment["XDG_CONFIG_HOME"].map { "\($0)/flightdeck" } ?? environment["HOME"].map { "\($0)/.config/flightdeck" }
        let candidates = [config.map { "\($0)/\(kind)/\(file)" }, shippedDirectory(kind).map { "\($0)/\(file)" }].compactMap { $0 }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            let shipped = shippedDirectory(kind).flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) }?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            return .failure(PlanLoadError([PlanDiagnostic(file: file, location: SourceLocation(line: 1, column: 1), path: "",
                                                          message: "no \(kind.lowercased().dropLast()) named `\(name)`",
                                                          hint: shipped.isEmpty ? nil : "shipped: \(shipped.joined(separator: ", "))")]))
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .failure(PlanLoadError([PlanDiagnostic(file: path, location: SourceLocation(line: 1, column: 1), path: "", message: "cannot read the file")]))
        }
        return reader(text, path)
    }

    /// Themes/ or Keymaps/ of the package this binary was built from (or installed beside it).
    static func shippedDirectory(_ kind: String) -> String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent(kind).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
