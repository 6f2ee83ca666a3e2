/// A check's state over time: what it shows now, after its thresholds, and the recent
/// history behind it.
///
/// A check turns red only after `failureThreshold` consecutive failures and green again only
/// after `successThreshold` consecutive successes, so one lost packet does not flip the
/// launch bar. Until its first result a check is `unknown`, which is never a GO.
public struct CheckHealth: Sendable, Equatable {
    public private(set) var status: CheckStatus = .unknown
    /// The newest outcome, whatever the thresholds made of it.
    public private(set) var latest: ProbeOutcome?
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    public private(set) var window: LatencyWindow
    /// The last results, oldest first, for sparklines.
    public private(set) var history: [HistoryPoint] = []
    public let failureThreshold: Int
    public let successThreshold: Int

    public static let historyLength = 60

    public struct HistoryPoint: Sendable, Equatable {
        public var at: Duration
        public var status: CheckStatus
        public var latency: Duration?
    }

    public init(failureThreshold: Int, successThreshold: Int, window: LatencyWindow = LatencyWindow()) {
        self.failureThreshold = max(1, failureThreshold)
        self.successThreshold = max(1, successThreshold)
        self.window = window
    }

    /// One line on why the check shows what it shows.
    public static let waiting = "waiting for the first result"

    public var reason: String {
        guard let latest else { return Self.waiting }
        switch (status, latest.status) {
        case (.fail, .fail):
            return latest.detail
        case (.fail, _):
            return "recovering (\(consecutiveSuccesses) of \(successThreshold) successes): \(latest.detail)"
        case (_, .fail):
            return "failed \(consecutiveFailures) of \(failureThreshold) times before red: \(latest.detail)"
        default:
            return latest.detail
        }
    }

    public mutating func record(_ outcome: ProbeOutcome) {
        if let evidence = outcome.evidenceID, evidence == latest?.evidenceID { return }
        latest = outcome
        if let latency = outcome.latency { window.add(latency, at: outcome.finishedAt) }
        history.append(HistoryPoint(at: outcome.finishedAt, status: outcome.status, latency: outcome.latency))
        if history.count > Self.historyLength { history.removeFirst(history.count - Self.historyLength) }

        switch outcome.status {
        case .fail:
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if consecutiveFailures >= failureThreshold { status = .fail }
        case .pass, .warn:
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if status != .fail || consecutiveSuccesses >= successThreshold { status = outcome.status }
        case .unknown:
            break
        }
    }
}

/// Latencies over a rolling window of time, capped in count, with percentiles. A sorted
/// copy is kept as samples come and go, so a percentile (asked every frame) costs nothing.
/// Kept in nanoseconds, 24 bytes a sample: a thousand checks hold half a million samples, and
/// a session copies a check's window whenever a frame or a scrape still holds the last one.
public struct LatencyWindow: Sendable, Equatable {
    public let span: Duration
    public let capacity: Int
    private var samples: [(at: Int64, latency: Int64)] = []
    private var sorted: [Int64] = []

    public init(span: Duration = .seconds(300), capacity: Int = 512) {
        self.span = span
        self.capacity = max(1, capacity)
    }

    public var count: Int { samples.count }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    public mutating func add(_ latency: Duration, at time: Duration) {
        let latency = Self.nanoseconds(latency), time = Self.nanoseconds(time)
        samples.append((time, latency))
        sorted.insert(latency, at: insertionIndex(of: latency))
        let oldest = time - Self.nanoseconds(span)
        let expired = samples.prefix { $0.at < oldest }.count
        let overflow = max(0, samples.count - expired - capacity)
        for sample in samples.prefix(expired + overflow) {
            let index = insertionIndex(of: sample.latency)
            if index < sorted.count, sorted[index] == sample.latency { sorted.remove(at: index) }
        }
        samples.removeFirst(expired + overflow)
    }

    /// The first index whose latency is not less than `latency` (binary search).
    private func insertionIndex(of latency: Int64) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < latency { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The latency below which `fraction` of the samples fall (nearest rank); nil when empty.
    public func percentile(_ fraction: Double) -> Duration? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return .nanoseconds(sorted[min(max(rank, 1), sorted.count) - 1])
    }

    public var p50: Duration? { percentile(0.50) }
    public var p95: Duration? { percentile(0.95) }
    public var p99: Duration? { percentile(0.99) }

    public static func == (lhs: LatencyWindow, rhs: LatencyWindow) -> Bool {
        lhs.span == rhs.span && lhs.capacity == rhs.capacity
            && lhs.samples.map(\.at) == rhs.samples.map(\.at) && lhs.samples.map(\.latency) == rhs.samples.map(\.latency)
    }
}
