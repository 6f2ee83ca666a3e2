/// When each probe runs next: the scheduler's decisions as a pure state machine over time
/// (a `Duration` since the poller started), so they are tested in virtual time.
///
/// - Every probe runs on its interval, with up to `jitter` of it added or taken away so a
///   thousand probes do not fire in the same millisecond; first runs spread over the first
///   interval for the same reason.
/// - A probe never runs twice at once: its next run is planned when the current one ends,
///   and a run that overran its interval is followed at once by the next, never by a burst
///   of the runs it missed.
/// - When more probes are due than slots are free, the one waiting longest goes first, so a
///   slow probe holds one slot and delays nobody else.
public struct ProbeSchedule: Sendable {
    public struct Probe: Sendable, Equatable {
        public var id: String
        public var interval: Duration

        public init(id: String, interval: Duration) {
            self.id = id
            self.interval = interval
        }
    }

    private struct Entry: Sendable {
        var probe: Probe
        var due: Duration
        var running = false
    }

    private var entries: [Entry]
    /// The entries not running, by due time then by place in the plan: the order `start`
    /// hands them out in, without sorting a thousand probes each time one is due.
    private var waiting = DueHeap()
    /// Where each probe's entries are (a plan's ids are unique; a repeated one still works).
    private var places: [String: [Int]] = [:]
    private var random: SplitMix64
    public let jitter: Double
    /// How many probes are running now.
    public private(set) var running = 0

    /// - Parameters:
    ///   - jitter: the fraction of an interval a run may move either way (0.1 = ±10%).
    ///   - seed: seeds the jitter, so a test sees the same schedule every time.
    public init(probes: [Probe], jitter: Double = 0.1, seed: UInt64 = 0x5EED) {
        self.jitter = min(max(jitter, 0), 0.5)
        random = SplitMix64(seed: seed)
        entries = []
        for (index, probe) in probes.enumerated() {
            let spread = self.jitter > 0 ? random.fraction() * self.jitter * 2 : 0
            entries.append(Entry(probe: probe, due: probe.interval * spread))
            waiting.push(entries[index].due, index)
            places[probe.id, default: []].append(index)
        }
    }

    /// Marks up to `limit` probes that are due at `now` as running and returns their ids,
    /// longest-waiting first.
    public mutating func start(dueAt now: Duration, limit: Int) -> [String] {
        var started: [String] = []
        while started.count < limit, let next = waiting.first, next.due <= now {
            waiting.removeFirst()
            entries[next.index].running = true
            running += 1
            started.append(entries[next.index].probe.id)
        }
        return started
    }

    /// Records that a run of `id` ended at `now` and plans the next one.
    public mutating func finish(_ id: String, at now: Duration) {
        guard let index = places[id]?.first(where: { entries[$0].running }) else { return }
        let interval = entries[index].probe.interval
        let offset = jitter > 0 ? interval * ((random.fraction() * 2 - 1) * jitter) : .zero
        entries[index].due = max(entries[index].due + interval + offset, now)
        entries[index].running = false
        running -= 1
        waiting.push(entries[index].due, index)
    }

    /// The earliest time a probe that is not running becomes due; nil when all are running.
    public var nextDue: Duration? { waiting.first?.due }
}

/// A binary min-heap of (due, index): the earliest due first, and of equal ones the first
/// in the plan.
private struct DueHeap: Sendable {
    private var items: [(due: Duration, index: Int)] = []

    var first: (due: Duration, index: Int)? { items.first }

    private static func before(_ a: (due: Duration, index: Int), _ b: (due: Duration, index: Int)) -> Bool {
        a.due != b.due ? a.due < b.due : a.index < b.index
    }

    mutating func push(_ due: Duration, _ index: Int) {
        items.append((due, index))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() {
        let last = items.removeLast()
        guard !items.isEmpty else { return }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, Self.before(items[left], items[smallest]) { smallest = left }
            if right < items.count, Self.before(items[right], items[smallest]) { smallest = right }
            guard smallest != parent else { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A small, fast, seedable generator (SplitMix64), for jitter that tests can repeat (and
/// benchmarks that simulate the same day every run).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in [0, 1).
    mutating func fraction() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
