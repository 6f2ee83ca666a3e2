import FlightdeckCore
import FlightdeckStore
import Foundation
import Synchronization

/// Writes what this process sees into the launch's timeline, off the loop that saw it: the
/// changes wait here and go in one transaction at most every `gap`, with a beat every
/// `TimelineWatch.beat` that says this process still watches. A state that cannot be reached
/// keeps them (up to `capacity`) and is asked again with backoff; the record is pruned hourly.
final class TimelineKeeper: Sendable {
    /// The least time between two writes.
    static let gap = Duration.milliseconds(250)
    /// Changes kept while the state cannot be reached, at most; the oldest give way.
    static let capacity = 10_000

    let store: TimelineStore
    private let pending: Pending
    private let wake: AsyncStream<Void>.Continuation
    private let beating: Task<Void, Never>
    private let writing: Task<Void, Never>

    /// The changes waiting to be written, and what the live view showed at the last look.
    private final class Pending: Sendable {
        let state = Mutex<(recorder: TimelineRecorder, changes: [TimelineChange])>((TimelineRecorder(), []))
    }

    /// - Parameters:
    ///   - vantage: nil for a session (it writes the launch's view); an agent's name.
    ///   - since: when this process began to watch (its probes' clock reads zero there).
    ///   - problem: told why the timeline cannot be written, once per outage, and nil once it can again.
    init(store: TimelineStore, vantage: String?, since: Date = Date(), problem: @escaping @Sendable (String?) -> Void) {
        self.store = store
        let pending = Pending()
        self.pending = pending
        var writer = TimelineWriter.this(vantage: vantage)
        writer.started = since
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        beating = Task {
            while !Task.isCancelled {
                wake.yield()
                try? await Task.sleep(for: TimelineWatch.beat)
            }
        }
        writing = Task {
            /// Writes what waits; on failure it waits again, and the state's problem is told once.
            func flush(failures: inout Int) {
                let batch = pending.state.withLock { state in
                    defer { state.changes = [] }
                    return state.changes
                }
                do {
                    try store.record(batch, by: writer)
                    if failures > 0 { problem(nil) }
                    failures = 0
                } catch {
                    pending.state.withLock { state in state.changes = Array((batch + state.changes).suffix(Self.capacity)) }
                    if failures == 0 { problem("the timeline is not being recorded: \(error)") }
                    failures += 1
                }
            }
            var failures = 0
            var pruned = ContinuousClock.now - .seconds(3600)
            var written = ContinuousClock.now - Self.gap
            for await _ in wakes {
                try? await Task.sleep(until: written + Self.gap)
                written = .now
                flush(failures: &failures)
                if failures > 0 {
                    try? await Task.sleep(for: LaunchFeeds.journalRetryDelay(afterFailures: failures))
                } else if ContinuousClock.now - pruned >= .seconds(3600) {
                    try? store.prune()
                    pruned = .now
                }
            }
            // Stopped (the wake-ups ended, or the task was cancelled out of a wait): what
            // is still waiting is written once more.
            flush(failures: &failures)
        }
    }

    /// What a live view shows now, for the changes since the last look.
    func observe(board: CheckBoard, alarms: AlarmBoard) {
        let now = Date()
        let added = pending.state.withLock { state in
            let changes = state.recorder.changes(board: board, alarms: alarms, now: now)
            state.changes.append(contentsOf: changes)
            return !changes.isEmpty
        }
        if added { wake.yield() }
    }

    /// Changes this process worked out itself (an agent's, at its vantage).
    func add(_ changes: [TimelineChange]) {
        guard !changes.isEmpty else { return }
        pending.state.withLock { $0.changes.append(contentsOf: changes) }
        wake.yield()
    }

    /// Writes what is waiting, once more (without waiting out a backoff), and stops.
    func stop() async {
        beating.cancel()
        wake.finish()
        writing.cancel()
        await writing.value
    }
}
