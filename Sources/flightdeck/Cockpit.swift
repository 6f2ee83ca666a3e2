import Dispatch
import FlightdeckCore
import FlightdeckProbes
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
    let planDirectory: String
    let theme: Theme
    let keymap: Keymap

    func run() async {
        let (events, emit) = AsyncStream<CockpitEvent>.makeStream()
        let view = CockpitView(theme: theme, keymap: keymap)
        let frames = PollInbox<CockpitState>()
        let stop = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)

        let terminal = Thread {
            let screen = TerminalScreen(theme: theme, environment: ProcessInfo.processInfo.environment)
            var shown: CockpitState?
            var redraw = true
            var lastDraw = ContinuousClock.now - .seconds(1)
            while !stop.load(ordering: .relaxed) {
                // Sleep until a key, a new frame or a resize; but never draw more often than
                // every 20 ms: a burst of results becomes one frame.
                let sinceDraw = lastDraw.duration(to: .now)
                let wait: Int32 = redraw && sinceDraw < Self.frameInterval
                    ? Int32((Self.frameInterval - sinceDraw).components.attoseconds / 1_000_000_000_000_000) + 1 : 1000
                if screen.waitForInput(wake: frames.wakeDescriptor, milliseconds: wait) {
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
            finished.signal()
        }
        terminal.name = "flightdeck-terminal"
        terminal.start()

        // An SSH drop (SIGHUP), Ctrl-C and kill end the cockpit the same way as `q`.
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { emit.yield(.action(.quit)) }
            source.resume()
            sources.append(source)
        }

        let poller = Poller(probes: PlanProbes.make(for: plan, planDirectory: planDirectory),
                            concurrency: plan.polling.concurrency, clock: ContinuousClock())
        let polling = Task { await poller.run { emit.yield(.outcome($0)) } }
        let clock = Task {
            while !Task.isCancelled {
                emit.yield(.tick(Date()))
                try? await Task.sleep(for: .seconds(1))
            }
        }

        var state = CockpitState(plan: plan, now: Date(), keymap: keymap)
        frames.submit(state)
        for await event in events {
            state.reduce(event)
            if case .key = event {
                state.clampSelection(rows: view.visibleRows(state.focus, state: state).count)
            }
            if state.quitting { break }
            frames.submit(state)
        }
        polling.cancel()
        clock.cancel()
        sources.forEach { $0.cancel() }
        stop.store(true, ordering: .relaxed)
        frames.submit(state)
        finished.wait()
    }
}

/// Themes and keymaps: the shipped ones beside the binary's package (Themes/, Keymaps/),
/// overridden or added to by the user's in $XDG_CONFIG_HOME/flightdeck/.
enum CockpitFiles {
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
