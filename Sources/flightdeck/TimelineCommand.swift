import ArgumentParser
import FlightdeckCore
import Foundation

struct TimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "The launch day in time order: each change of a check and an alarm, every journal entry, the time nobody watched.",
        discussion: """
            Every session and agent on the plan writes what it sees change (a check's status, as \
            the launch and as each vantage sees it; an alarm firing and resolving) into the shared \
            state, once, whoever saw it first; the journal's entries join them. After the entries: \
            how long each check was red (only the time watched counts) and, for each alarm, the \
            minutes from its check's first red to someone acknowledging it. Times are UTC.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case check, alarm, journal, unwatched }

    @OptionGroup var plan: PlanArgument
    @Option(help: "Only from this moment: an ISO 8601 time (2026-12-07T14:00Z), HH:MM today in UTC, or how long ago (30m, 2h).")
    var since: String?
    @Option(help: "Only entries about this check or alarm (its id, or part of it).")
    var about: String?
    @Option(help: "Only entries of this kind: check, alarm, journal or unwatched.")
    var kind: Kind?
    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func run() async throws {
        let start = try since.map { text -> Date in
            guard let date = Self.moment(text, now: Date()) else {
                throw ValidationError("--since \(text) is not a time: give 2026-12-07T14:00Z, 14:00 (UTC today) or 30m (ago)")
            }
            return date
        }
        let session = try LaunchSession.open(plan)
        let review: TimelineReview
        do { review = try session.timelineReview(state: try session.journalState()) } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
        let entries = review.entries.filter { entry in
            if let start, entry.at < start, !(entry.isUnwatched(until: start)) { return false }
            if let kind, entry.kind != kind.rawValue { return false }
            if let about {
                switch entry {
                case .change(let change): return change.subject.contains(about) || change.checkID == about
                case .journal(let record): return record.event.summary.contains(about)
                case .unwatched: return false
                }
            }
            return true
        }
        if json {
            try Console.json { try LaunchReport.json(review.document(plan: session.plan, entries: entries)) }
            return
        }
        let span = entries.first.map { "from \(LaunchRecord.timestamp($0.at)) to \(LaunchRecord.timestamp(entries.last!.at))" } ?? "nothing recorded yet"
        Console.out("Timeline of \(session.plan.name) (\(session.plan.zone)): \(entries.count) entries, \(span)")
        for line in TimelineReview.lines(entries, plan: session.plan) { Console.out(line) }
        let summary = review.summaryLines
        if !summary.isEmpty {
            Console.out("")
            Console.out("Red time and acknowledgements (the whole record):")
            for line in summary { Console.out("  \(line)") }
        }
    }

    /// `2026-12-07T14:00Z` (seconds optional), `14:00` today in UTC, or `30m` ago.
    static func moment(_ text: String, now: Date) -> Date? {
        for format in [Date.ISO8601FormatStyle(), Date.ISO8601FormatStyle(includingFractionalSeconds: true)] {
            if let date = try? format.parse(text) { return date }
        }
        if let date = try? Date.ISO8601FormatStyle().parse(text.replacingOccurrences(of: "Z", with: ":00Z")) { return date }
        let clock = text.split(separator: ":")
        if clock.count == 2, let hours = Int(clock[0]), let minutes = Int(clock[1]), (0..<24).contains(hours), (0..<60).contains(minutes) {
            let midnight = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
            return Date(timeIntervalSince1970: midnight + Double(hours * 3600 + minutes * 60))
        }
        if case .success(let ago) = PlanDuration.parse(text) { return now.addingTimeInterval(-ago.timeInterval) }
        return nil
    }
}

extension TimelineEntry {
    /// A stretch nobody watched that runs past `date`: it still says something of the time after.
    func isUnwatched(until date: Date) -> Bool {
        if case .unwatched(_, let to) = self { return to > date }
        return false
    }
}
