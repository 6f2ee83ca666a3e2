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
    private var random: SplitMix64
    public let jitter: Double

    /// - Parameters:
    ///   - jitter: the fraction of an interval a run may move either way (0.1 = ±10%).
    ///   - seed: seeds the jitter, so a test sees the same schedule every time.
    public init(probes: [Probe], jitter: Double = 0.1, seed: UInt64 = 0x5EED) {
        self.jitter = min(max(jitter, 0), 0.5)
        random = SplitMix64(seed: seed)
        entries = []
        for probe in probes {
            let spread = self.jitter > 0 ? random.fraction() * self.jitter * 2 : 0
            entries.append(Entry(probe: probe, due: probe.interval * spread))
        }
    }

    /// How many probes are running now.
    public var running: Int { entries.filter(\.running).count }

    /// Marks up to `limit` probes that are due at `now` as running and returns their ids,
    /// longest-waiting first.
    public mutating func start(dueAt now: Duration, limit: Int) -> [String] {
        guard limit > 0 else { return [] }
        let due = entries.indices
            .filter { !entries[$0].running && entries[$0].due <= now }
            .sorted { entries[$0].due < entries[$1].due }
            .prefix(limit)
        for index in due { entries[index].running = true }
        return due.map { entries[$0].probe.id }
    }

    /// Records that a run of `id` ended at `now` and plans the next one.
    public mutating func finish(_ id: String, at now: Duration) {
        guard let index = entries.firstIndex(where: { $0.probe.id == id && $0.running }) else { return }
        let interval = entries[index].probe.interval
        let offset = jitter > 0 ? interval * ((random.fraction() * 2 - 1) * jitter) : .zero
        entries[index].due = max(entries[index].due + interval + offset, now)
        entries[index].running = false
    }

    /// The earliest time a probe that is not running becomes due; nil when all are running.
    public var nextDue: Duration? {
        entries.filter { !$0.running }.map(\.due).min()
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
