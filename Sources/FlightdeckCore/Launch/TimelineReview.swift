import Foundation

/// One moment of the launch day, as the timeline lists it.
public enum TimelineEntry: Sendable, Equatable {
    case change(TimelineChange)
    case journal(LaunchRecord)
    /// Nobody watched the checks (no session ran): the record knows nothing of this time.
    case unwatched(from: Date, to: Date)

    public var at: Date {
        switch self {
        case .change(let change): change.at
        case .journal(let record): record.at
        case .unwatched(let from, _): from
        }
    }

    /// `check`, `alarm`, `journal` or `unwatched`: what the Timeline pane and `--kind` filter on.
    public var kind: String {
        switch self {
        case .change(let change): change.kind.rawValue
        case .journal: "journal"
        case .unwatched: "unwatched"
        }
    }

    /// The entries in time order; of two at one moment, the journal's first (it is the
    /// decision the changes then follow from), then in the order given.
    public static func merged(changes: [TimelineChange], journal: some Sequence<LaunchRecord>, gaps: [(from: Date, to: Date)]) -> [TimelineEntry] {
        let all = journal.map(TimelineEntry.journal) + changes.map(TimelineEntry.change) + gaps.map { TimelineEntry.unwatched(from: $0.from, to: $0.to) }
        return all.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    /// The entry's parts as the Timeline pane and `flightdeck timeline` show them: its kind,
    /// the status word (upper case where it is bad news), what it is about and why.
    public func parts(plan: LaunchPlan) -> (kind: String, status: String, severity: String?, subject: String, text: String) {
        switch self {
        case .change(let change):
            switch change.what {
            case .check(let id, let vantage, let status):
                let severity = plan.checks.first { $0.id == id }?.severity.rawValue
                return ("check", status == .pass ? "pass" : status.rawValue.uppercased(), severity, id + (vantage.map { " @\($0)" } ?? ""), change.reason)
            case .alarm(let id, let state, let severity, _):
                return ("alarm", state == .firing ? "FIRING" : state.rawValue, severity.rawValue, id, change.reason)
            }
        case .journal(let record):
            let who = record.actor.approver.map { " (\($0))" } ?? ""
            return ("journal", "#\(record.seq)", nil, record.event.name, record.event.summary + who)
        case .unwatched(let from, let to):
            return ("unwatched", "UNKNOWN", nil, "", "nothing watched the checks for \(TimelineReview.span(to.timeIntervalSince(from))) (until \(timeOfDay(to)) UTC): the record knows nothing of it")
        }
    }
}

/// The launch day as a post-launch review needs it: every change and journal entry in time
/// order, how long each check was red, and for each alarm how long from the first red to
/// someone acknowledging it. For `flightdeck timeline` and the report.
public struct TimelineReview: Sendable {
    public struct RedCheck: Sendable, Equatable, Encodable {
        public var id: String
        public var severity: String
        /// How many times it turned red.
        public var spells: Int
        /// Seconds it was red while watched.
        public var redSeconds: Double
        public var longestSeconds: Double
        public var firstRed: Date
        public var stillRed: Bool
        /// Seconds inside its red spells nobody watched (not counted as red).
        public var unwatchedSeconds: Double
    }

    public struct AlarmOccurrence: Sendable, Equatable, Encodable {
        public var id: String
        public var severity: String
        public var check: String?
        public var firedAt: Date
        public var resolvedAt: Date?
        /// Nobody watched after it fired, so when it ended is not known.
        public var endUnknown: Bool
        /// When its check turned red (for an alarm on a red check), else when it fired.
        public var firstRed: Date
        public var acknowledgedAt: Date?
        public var acknowledgedBy: String?
        public var minutesToAcknowledge: Double?
    }

    public let entries: [TimelineEntry]
    public let checks: [RedCheck]
    public let alarms: [AlarmOccurrence]
    public let now: Date

    /// - Parameters:
    ///   - changes: every change kept, oldest first.
    ///   - watches: every writer's watch.
    ///   - journal: the journal's entries.
    public init(plan: LaunchPlan, changes: [TimelineChange], watches: [TimelineWatch], journal: some Collection<LaunchRecord>, now: Date) {
        self.now = now
        let coverage = Coverage(watches.filter { $0.vantage == nil })
        let start = ([changes.first?.at, journal.first?.at] + watches.map(\.from)).compactMap { $0 }.min() ?? now
        let gaps = coverage.gaps(from: start, to: now).filter { $0.to.timeIntervalSince($0.from) >= Coverage.shortest }
        entries = TimelineEntry.merged(changes: changes, journal: journal, gaps: gaps)

        // Each check's red spells, as the launch saw it.
        var spells: [String: [(from: Date, to: Date?)]] = [:]
        for change in changes {
            guard case .check(let id, nil, let status) = change.what else { continue }
            var list = spells[id, default: []]
            let open = list.last.map { $0.to == nil } ?? false
            if status == .fail, !open {
                list.append((change.at, nil))
            } else if status != .fail, open {
                list[list.count - 1].to = change.at
            }
            spells[id] = list
        }
        let severities = Dictionary(plan.checks.map { ($0.id, $0.severity.rawValue) }, uniquingKeysWith: { first, _ in first })
        checks = spells.compactMap { id, list -> RedCheck? in
            guard let first = list.first else { return nil }
            var red = 0.0, longest = 0.0, unwatched = 0.0
            for spell in list {
                let end = spell.to ?? now
                let blind = coverage.gaps(from: spell.from, to: end).reduce(0) { $0 + $1.to.timeIntervalSince($1.from) }
                let seen = end.timeIntervalSince(spell.from) - blind
                red += seen
                longest = max(longest, seen)
                unwatched += blind
            }
            return RedCheck(id: id, severity: severities[id] ?? "", spells: list.count, redSeconds: red, longestSeconds: longest,
                            firstRed: first.from, stillRed: list.last?.to == nil, unwatchedSeconds: unwatched)
        }.sorted { ($0.redSeconds, $1.id) > ($1.redSeconds, $0.id) }

        // Each alarm's occurrences, with the first acknowledgement made while it stood.
        var occurrences: [AlarmOccurrence] = []
        var open: [String: Int] = [:]
        for change in changes {
            guard case .alarm(let id, let state, let severity, let check) = change.what else { continue }
            if state == .firing, open[id] == nil {
                let spell = check.flatMap { spells[$0]?.last { $0.from <= change.at && ($0.to ?? now) >= change.at } }
                open[id] = occurrences.count
                occurrences.append(AlarmOccurrence(id: id, severity: severity.rawValue, check: check, firedAt: change.at, resolvedAt: nil,
                                                   endUnknown: false, firstRed: min(spell?.from ?? change.at, change.at)))
            } else if state == .resolved, let index = open.removeValue(forKey: id) {
                occurrences[index].resolvedAt = change.at
            }
        }
        for index in open.values {
            // Still firing when the record ends, unless nobody watched after it fired.
            if let gap = coverage.gaps(from: occurrences[index].firedAt, to: now).first(where: { $0.to.timeIntervalSince($0.from) >= Coverage.shortest }) {
                occurrences[index].resolvedAt = gap.from
                occurrences[index].endUnknown = true
            }
        }
        let acknowledgements = journal.compactMap { record -> (alarm: String, at: Date, by: String)? in
            guard case .alarmAcknowledged(let alarm, _) = record.event else { return nil }
            return (alarm, record.at, record.actor.approver ?? record.actor.login)
        }
        for index in occurrences.indices {
            let occurrence = occurrences[index]
            let next = occurrences[(index + 1)...].first { $0.id == occurrence.id }?.firedAt ?? .distantFuture
            let earliest = occurrence.firedAt.addingTimeInterval(-AlarmBoard.grace)
            guard let ack = acknowledgements.first(where: { $0.alarm == occurrence.id && $0.at >= earliest && $0.at < next }) else { continue }
            occurrences[index].acknowledgedAt = ack.at
            occurrences[index].acknowledgedBy = ack.by
            occurrences[index].minutesToAcknowledge = max(0, ack.at.timeIntervalSince(occurrence.firstRed)) / 60
        }
        alarms = occurrences
    }

    /// `45s`, `12m 05s`, `3h 04m`.
    public static func span(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds.rounded()))
        if seconds > 0, whole == 0 { return "<1s" }
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return String(format: "%dh %02dm", whole / 3600, whole % 3600 / 60)
    }
}

extension TimelineReview {
    /// One entry as `--json` and the report's JSON give it.
    public struct Line: Sendable, Encodable {
        public var at: String
        public var kind: String
        public var status: String
        public var severity: String?
        public var subject: String
        public var vantage: String?
        public var text: String
        /// The journal entry's sequence number.
        public var seq: Int?
        public var until: String?
    }

    /// The review as a document: its entries, how long each check was red, each alarm occurrence.
    public struct Document: Sendable, Encodable {
        public var entries: [Line]
        public var red: [RedCheck]
        public var alarms: [AlarmOccurrence]

        /// The report's section: the red time and acknowledgements as tables, then the entries
        /// (the newest `limit` of them; `flightdeck timeline` gives all).
        public func markdown(limit: Int = 500) -> [String] {
            func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
            var lines = ["## Timeline", ""]
            guard !entries.isEmpty else { return lines + ["Nothing was recorded."] }
            lines += ["### How long each check was red", ""]
            if red.isEmpty { lines.append("No check was red while watched.") } else {
                lines += ["| Check | Severity | Red (watched) | Spells | Longest | First red | Still red | Unwatched inside |", "|---|---|---|---|---|---|---|---|"]
                for check in red {
                    lines.append("| `\(check.id)` | \(check.severity) | \(TimelineReview.span(check.redSeconds)) | \(check.spells) | \(TimelineReview.span(check.longestSeconds)) "
                                 + "| \(LaunchRecord.timestamp(check.firstRed)) | \(check.stillRed ? "yes" : "no") | \(TimelineReview.span(check.unwatchedSeconds)) |")
                }
            }
            lines += ["", "### Alarms: from the first red to someone acknowledging", ""]
            if alarms.isEmpty { lines.append("No alarm fired.") } else {
                lines += ["| Alarm | Severity | First red | Fired | Ended | Acknowledged | By | Minutes from first red |", "|---|---|---|---|---|---|---|---|"]
                for alarm in alarms {
                    let end = alarm.resolvedAt.map { (alarm.endUnknown ? "unknown after " : "") + LaunchRecord.timestamp($0) } ?? "still firing"
                    lines.append("| `\(cell(alarm.id))` | \(alarm.severity) | \(LaunchRecord.timestamp(alarm.firstRed)) | \(LaunchRecord.timestamp(alarm.firedAt)) | \(end) "
                                 + "| \(alarm.acknowledgedAt.map(LaunchRecord.timestamp) ?? "never") | \(cell(alarm.acknowledgedBy ?? "")) | \(TimelineReview.minutes(alarm.minutesToAcknowledge)) |")
                }
            }
            let shown = entries.suffix(limit)
            lines += ["", "### Entries", ""]
            if shown.count < entries.count { lines += ["The newest \(shown.count) of \(entries.count); `flightdeck timeline` lists them all.", ""] }
            lines += ["| At | Kind | Status | Severity | About | What |", "|---|---|---|---|---|---|"]
            for entry in shown {
                let about = entry.subject + (entry.vantage.map { " @\($0)" } ?? "")
                lines.append("| \(entry.at) | \(entry.kind) | \(entry.seq.map { "#\($0)" } ?? entry.status) | \(entry.severity ?? "") | \(cell(about)) | \(cell(entry.text)) |")
            }
            return lines
        }
    }

    public func document(plan: LaunchPlan, entries: [TimelineEntry]? = nil) -> Document {
        Document(entries: (entries ?? self.entries).map { entry in
            let parts = entry.parts(plan: plan)
            var line = Line(at: LaunchRecord.timestamp(entry.at), kind: parts.kind, status: parts.status.lowercased(), severity: parts.severity,
                            subject: parts.subject, text: parts.text)
            switch entry {
            case .change(let change):
                line.subject = change.subject
                line.vantage = change.vantage
            case .journal(let record):
                line.seq = record.seq
                line.status = record.event.name
                line.subject = ""
            case .unwatched(_, let to):
                line.until = LaunchRecord.timestamp(to)
            }
            return line
        }, red: checks, alarms: alarms)
    }

    /// The entries as lines for a terminal: the time of day (UTC), a line with the date
    /// whenever it changes, the kind, the status, what it is about and why.
    public static func lines(_ entries: [TimelineEntry], plan: LaunchPlan) -> [String] {
        var lines: [String] = []
        var day = ""
        for entry in entries {
            let date = String(LaunchRecord.timestamp(entry.at).prefix(10))
            if date != day {
                day = date
                lines.append("── \(date) (UTC)")
            }
            let parts = entry.parts(plan: plan)
            let severity = parts.severity.map { "\($0.padded(to: 9))" } ?? ""
            lines.append("\(timeOfDay(entry.at))  \(parts.kind.padded(to: 10))\(parts.status.padded(to: 10))\(severity)\(parts.subject.isEmpty ? "" : parts.subject + "  ")\(parts.text)")
        }
        return lines
    }

    /// How long each check was red and how long each alarm waited for someone, a line each.
    public var summaryLines: [String] {
        var lines: [String] = []
        for check in checks {
            let unwatched = check.unwatchedSeconds >= 1 ? ", and \(Self.span(check.unwatchedSeconds)) unwatched inside its red spells" : ""
            lines.append("\(check.id) (\(check.severity)) red \(Self.span(check.redSeconds)) in \(check.spells) spell\(check.spells == 1 ? "" : "s"), "
                         + "the longest \(Self.span(check.longestSeconds)), first at \(timeOfDay(check.firstRed))\(check.stillRed ? ", still red" : "")\(unwatched)")
        }
        for alarm in alarms {
            let end = alarm.resolvedAt.map { alarm.endUnknown ? "end unknown (nobody watched from \(timeOfDay($0)))" : "resolved \(timeOfDay($0))" } ?? "still firing"
            let ack = alarm.acknowledgedAt.map { at in
                "acknowledged \(timeOfDay(at)) by \(alarm.acknowledgedBy ?? "?"), \(Self.minutes(alarm.minutesToAcknowledge)) after the first red"
            } ?? "never acknowledged"
            lines.append("\(alarm.id) (\(alarm.severity)) fired \(timeOfDay(alarm.firedAt)), \(end); \(ack)")
        }
        return lines
    }

    static func minutes(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.1f min", value)
    }
}
