import Foundation

/// A stretch of the launch in which some checks or alarm sources are expected to be red: a
/// DNS cutover, a deploy. Inside it their state still shows, marked expected, but their
/// alarms do not ring the bell or notify anyone; everything else alerts as ever, and a
/// window never hides a blocker from the final GO.
public struct NoiseWindow: Sendable, Equatable {
    public enum Opening: Sendable, Equatable {
        /// From one moment to another.
        case time(from: Date, until: Date)
        /// From a checklist item being marked done until another one is (or for good).
        case checklist(opens: String, closes: String?)
        /// While the launch is on hold.
        case hold
    }

    public var id: String
    public var name: String?
    public var checks: [String]
    public var sources: [String]
    public var opening: Opening

    public init(id: String, name: String? = nil, checks: [String], sources: [String] = [], opening: Opening) {
        self.id = id
        self.name = name
        self.checks = checks
        self.sources = sources
        self.opening = opening
    }

    /// How the room calls it: its name, else its id.
    public var title: String { name ?? id }

    /// Whether an alarm is one the window expects: raised on one of its checks, or from one
    /// of its sources.
    public func expects(_ alarm: Alarm) -> Bool {
        alarm.checkID.map(checks.contains) == true || sources.contains(alarm.source)
    }
}

extension LaunchState {
    /// Whether `window` should stand now, by its rule.
    public func shouldBeOpen(_ window: NoiseWindow, at now: Date) -> Bool {
        switch window.opening {
        case .time(let from, let until): from <= now && now < until
        case .checklist(let opens, let closes): marks[opens]?.mark == .done && closes.map { marks[$0]?.mark != .done } ?? true
        case .hold: phase == .hold
        }
    }

    /// Windows opening or closing now: what `dueEvents` appends.
    func windowEvents(at now: Date) -> [LaunchEvent] {
        plan.windows.compactMap { window in
            let open = openWindows[window.id] != nil
            switch (open, shouldBeOpen(window, at: now)) {
            case (false, true): return .windowOpened(window: window.id)
            case (true, false): return .windowClosed(window: window.id)
            default: return nil
            }
        }
    }

    /// The window standing now (by its rule: a session that writes nothing still knows) that
    /// expects this check to be red, if one does.
    public func window(expecting check: String, at now: Date) -> NoiseWindow? {
        plan.windows.first { $0.checks.contains(check) && shouldBeOpen($0, at: now) }
    }

    /// The window standing now that expects this alarm, if one does.
    public func window(expecting alarm: Alarm, at now: Date) -> NoiseWindow? {
        plan.windows.first { $0.expects(alarm) && shouldBeOpen($0, at: now) }
    }

    /// Whether the notice `key` was already held back in this opening of `window`.
    public func isSuppressed(_ key: String, in window: String) -> Bool {
        openWindows[window].map { suppressedNotices.contains("\($0)/\(key)") } ?? false
    }
}
