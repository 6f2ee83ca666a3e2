import FlightdeckCore
import FlightdeckProbes
import FlightdeckTerminal
import FlightdeckView
import Foundation
import Synchronization

/// The terminal thread, the only one that touches ncurses: it turns keys and resizes into
/// events, and draws the newest frame it was handed, at most every 20 ms (a burst of results
/// becomes one frame). Nothing on it waits for the network.
final class CockpitTerminal: Sendable {
    static let frameInterval = Duration.milliseconds(20)

    /// A state to draw, and whether it asks for the room's attention.
    private struct Frame: Sendable {
        var state: CockpitState
        var alert: Bool
    }

    private let view: CockpitView
    private let alert: Cockpit.AlertStyle
    private let emit: @Sendable (CockpitEvent) -> Void
    private let frames = PollInbox<Frame>()
    private let stopping = Atomic<Bool>(false)
    private let finished = Completion()

    init(view: CockpitView, alert: Cockpit.AlertStyle, emit: @escaping @Sendable (CockpitEvent) -> Void) {
        self.view = view
        self.alert = alert
        self.emit = emit
    }

    func start() {
        let thread = Thread { self.run() }
        thread.name = "flightdeck-terminal"
        thread.start()
    }

    func show(_ state: CockpitState, alert: Bool) {
        frames.submit(Frame(state: state, alert: alert))
    }

    /// Draws `state` last and gives the terminal back; awaited, not blocked on.
    func stop(showing state: CockpitState) async {
        stopping.store(true, ordering: .relaxed)
        show(state, alert: false)
        await finished.wait()
    }

    private func run() {
        let screen = TerminalScreen(theme: view.theme, environment: ProcessInfo.processInfo.environment)
        var shown: CockpitState?
        var redraw = true
        var lastDraw = ContinuousClock.now - .seconds(1)
        func resized() {
            let size = screen.size
            emit(.resize(width: size.width, height: size.height))
            redraw = true
        }
        resized()
        while !stopping.load(ordering: .relaxed) {
            // Sleep until a key, a new frame or a resize; but never draw more often than every 20 ms.
            let sinceDraw = lastDraw.duration(to: .now)
            let wait: Int32 = redraw && sinceDraw < Self.frameInterval
                ? Int32((Self.frameInterval - sinceDraw).components.attoseconds / 1_000_000_000_000_000) + 1 : 1000
            if screen.waitForInput(wake: frames.wakeDescriptor, milliseconds: wait) {
                if screen.hungUp {
                    emit(.action(.quit))
                    break
                }
                while let input = screen.readInput() {
                    switch input {
                    case .resize: resized()
                    case .key(let key): emit(.key(key))
                    }
                }
            } else if screen.resizedSinceLastLook() {
                resized()
            }
            frames.drainWake()
            let taken = frames.take()
            // Once per new critical alarm, however many frames were skipped meanwhile.
            if taken.contains(where: \.alert), alert != .off { screen.alert(flash: alert == .flash) }
            if let frame = taken.last {
                shown = frame.state
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

