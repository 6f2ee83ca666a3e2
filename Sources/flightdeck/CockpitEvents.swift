import FlightdeckCore
import Synchronization

/// The events every feed of a live view sends (probes, the clock, the journal, keys), for the
/// one loop that applies them, a batch at a time: whatever arrived while the loop was busy is
/// taken together, so what the loop does once per look (a watch's lines, the timeline's look
/// at every check, a frame) is paid once per batch and the loop keeps up with a thousand checks.
final class CockpitEvents: Sendable {
    private let queued = Mutex<[CockpitEvent]>([])
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func emit(_ event: CockpitEvent) {
        queued.withLock { $0.append(event) }
        wake.yield()
    }

    /// Each batch of events, in the order they were sent, as they come; for one loop only.
    var batches: AsyncCompactMapSequence<AsyncStream<Void>, [CockpitEvent]> {
        wakes.compactMap { [self] _ in
            let batch = take()
            return batch.isEmpty ? nil : batch
        }
    }

    private func take() -> [CockpitEvent] {
        queued.withLock { queue in
            // Handed over whole, not copied: the queue starts again empty.
            let batch = queue
            queue = []
            return batch
        }
    }
}
