import Foundation

/// Every alarm the cockpit shows and where it is in its life: firing, acknowledged,
/// silenced, resolved. Which alarms stand comes from the rules and the alarm sources;
/// acknowledgements and silences come from the shared launch journal, so one made in any
/// session shows in all.
///
/// Each process notices an alarm on its own, a few seconds apart, so an acknowledgement
/// counts for the occurrence that was standing when it was made (give or take `grace`).
/// An alarm that resolves and later fires again is a new occurrence: not acknowledged, and
/// a silence "until it recovers" no longer holds. An acknowledgement that arrives after the
/// alarm resolved is kept with it and never reopens it.
public struct AlarmBoard: Sendable {
    public enum State: String, Sendable, Equatable {
        case firing, acknowledged, silenced, resolved
    }

    public struct Entry: Sendable, Equatable {
        public var alarm: Alarm
        /// When the condition began, on the wall clock.
        public var since: Date
        public var resolvedAt: Date?
        public var state: State
        public var acknowledgement: LaunchState.AlarmMark?
        public var silence: LaunchState.AlarmMark?
        /// The open expected-noise window that expects it, by its title: it rings no bell.
        public var expectedIn: String?
    }

    public static let grace: TimeInterval = 60
    /// How long a resolved alarm stays listed.
    public static let keepResolved: TimeInterval = 600

    private var engine: AlarmEngine
    private var external: [String: [Alarm]] = [:]
    private var occurrences: [String: Entry] = [:]
    /// Counts new critical alarms that nobody has acknowledged or silenced: the terminal
    /// rings once each time it goes up.
    public private(set) var newCriticals = 0

    public init(plan: LaunchPlan) {
        engine = AlarmEngine(plan: plan)
    }

    public mutating func observe(_ outcome: ProbeOutcome) {
        engine.observe(outcome)
    }

    /// See `AlarmEngine.observeCombined`.
    public mutating func observeCombined(_ report: CheckReport?, for id: String, at clock: Duration) {
        engine.observeCombined(report, for: id, at: clock)
    }

    /// What an external source reports now; it replaces what the source reported before.
    public mutating func record(source: String, alarms: [Alarm]) {
        external[source] = alarms
    }

    /// Brings every alarm up to `now`: the poller's clock reads `clock` at that moment.
    public mutating func update(clock: Duration, now: Date, launch: LaunchState?) {
        let active = engine.evaluate(at: clock) + external.values.flatMap { $0 } + Self.launchAlarms(launch, clock: clock, now: now)
        var seen: Set<String> = []
        for alarm in active {
            seen.insert(alarm.id)
            if var entry = occurrences[alarm.id], entry.resolvedAt == nil {
                entry.alarm = alarm
                occurrences[alarm.id] = entry
            } else {
                let since = now.addingTimeInterval(-max(.zero, clock - alarm.since).timeInterval)
                var entry = Entry(alarm: alarm, since: min(since, now), resolvedAt: nil, state: .firing)
                entry = Self.judged(entry, launch: launch, now: now)
                if alarm.severity == .critical, entry.state == .firing, entry.expectedIn == nil { newCriticals += 1 }
                occurrences[alarm.id] = entry
            }
        }
        for (id, entry) in occurrences where !seen.contains(id) {
            if let resolved = entry.resolvedAt, now.timeIntervalSince(resolved) > Self.keepResolved {
                occurrences[id] = nil
            } else if entry.resolvedAt == nil {
                occurrences[id]?.resolvedAt = now
            }
        }
        for (id, entry) in occurrences { occurrences[id] = Self.judged(entry, launch: launch, now: now) }
        // Sorted here, at most once a second, not on every frame that shows them.
        // Unresolved first, then by severity; within one, what still needs someone (firing)
        // above what someone has taken (acknowledged, silenced); then oldest first.
        entries = occurrences.values.sorted {
            ($0.resolvedAt != nil ? 1 : 0, $0.alarm.severity, $0.state == .firing ? 0 : 1, $0.since, $0.alarm.id)
                < ($1.resolvedAt != nil ? 1 : 0, $1.alarm.severity, $1.state == .firing ? 0 : 1, $1.since, $1.alarm.id)
        }
        standing = entries.filter { $0.resolvedAt == nil }.map(\.alarm)
    }

    /// The launch itself can need the room: a built-in hold past its time waits for a
    /// decision; a journal that no longer holds together records nothing more.
    private static func launchAlarms(_ launch: LaunchState?, clock: Duration, now: Date) -> [Alarm] {
        guard let launch else { return [] }
        var alarms: [Alarm] = []
        if let broken = launch.journalBreak {
            alarms.append(Alarm(id: "launch/journal-broken/\(broken.seq)", severity: .critical, source: "launch", since: clock,
                                reason: "\(broken): nothing more is recorded; the director restarts it (`flightdeck audit restart`)",
                                blocksVerdict: true))
        }
        if launch.holdExpired(at: now), let hold = launch.hold, let expiry = hold.expiresAt, case .builtIn(let name, _) = hold.kind {
            alarms.append(Alarm(id: "launch/hold-expired/\(hold.seq)", severity: .critical, source: "launch",
                                since: clock - .seconds(max(0, now.timeIntervalSince(expiry))),
                                reason: "\(name) has run its time: the director resumes or scrubs"))
        }
        return alarms
    }

    private static func judged(_ entry: Entry, launch: LaunchState?, now: Date) -> Entry {
        var entry = entry
        entry.expectedIn = launch?.window(expecting: entry.alarm, at: now)?.title
        let earliest = entry.since.addingTimeInterval(-grace)
        entry.acknowledgement = launch?.alarmAcks[entry.alarm.id].flatMap { $0.at >= earliest ? $0 : nil }
        entry.silence = launch?.alarmSilences[entry.alarm.id].flatMap { mark in
            if let until = mark.until { return now < until ? mark : nil }
            return mark.at >= earliest ? mark : nil
        }
        if entry.resolvedAt != nil {
            entry.state = .resolved
        } else if entry.silence != nil {
            entry.state = .silenced
        } else {
            entry.state = entry.acknowledgement != nil ? .acknowledged : .firing
        }
        return entry
    }

    /// Standing alarms by severity, then the oldest first; resolved ones after them.
    public private(set) var entries: [Entry] = []
    /// Alarms not resolved, for the verdict and the launch bar.
    public private(set) var standing: [Alarm] = []
}
