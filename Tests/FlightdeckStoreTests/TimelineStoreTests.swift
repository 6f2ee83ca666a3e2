import FlightdeckCore
@testable import FlightdeckStore
import FlightdeckTestSupport
import Foundation
import Testing

/// The timeline on both engines: each change written once by whichever process saw it first,
/// read back after an id, the writers' watches, pruning, and nothing another host wrote trusted.
@Suite("Timeline store: changes written once, watches, pruning")
struct TimelineStoreTests {
    typealias Engine = VantageStoreTests.Engine
    static let engines = VantageStoreTests.engines

    static func check(_ id: String, _ status: CheckStatus, vantage: String? = nil, at: Date = Date(), reason: String? = nil) -> TimelineChange {
        TimelineChange(at: at, what: .check(id: id, vantage: vantage, status: status), reason: reason ?? "\(id) \(status.rawValue)")
    }

    static func writer(_ name: String, vantage: String? = nil) -> TimelineWriter {
        TimelineWriter(instance: "\(name)-instance", host: "\(name).example", vantage: vantage)
    }

    static func lines(_ reading: TimelineReading) -> [String] {
        reading.changes.map { "\($0.kind.rawValue) \($0.subject)\($0.vantage.map { "@\($0)" } ?? "") \($0.state)" }
    }

    @Test("a change another process already wrote is not written again; a different one is; each change in a batch follows the one before it",
          arguments: engines)
    func writtenOnce(_ engine: Engine) async throws {
        let fixture = try await VantageStoreTests.fixture(engine)
        let first = TimelineStore(journal: try fixture.journal()), second = TimelineStore(journal: try fixture.journal())
        #expect(try first.record([Self.check("api", .pass), Self.check("web", .pass)], by: Self.writer("one")) == 2)
        #expect(try second.record([Self.check("api", .pass)], by: Self.writer("two")) == 0, "the first session said it already")
        #expect(try second.record([Self.check("api", .fail)], by: Self.writer("two")) == 1)
        #expect(try first.record([Self.check("api", .fail)], by: Self.writer("one")) == 0)
        // The newest kept is fail: the first fail is not news, the pass is, the second fail follows it.
        #expect(try first.record([Self.check("api", .fail), Self.check("api", .pass), Self.check("api", .pass), Self.check("api", .fail)],
                                 by: Self.writer("one")) == 2)
        // One vantage's view is a subject of its own: the launch's fail does not hide eu-west's.
        #expect(try first.record([Self.check("api", .fail, vantage: "eu-west")], by: Self.writer("eu", vantage: "eu-west")) == 1)
        #expect(Self.lines(try first.read(after: 0)) == ["check api pass", "check web pass", "check api fail", "check api pass", "check api fail",
                                                         "check api@eu-west fail"])
    }

    @Test("writers racing on one change write it once", arguments: engines)
    func racingWriters(_ engine: Engine) async throws {
        let fixture = try await VantageStoreTests.fixture(engine)
        let stores = try (0..<6).map { _ in TimelineStore(journal: try fixture.journal()) }
        let rounds = 20
        // Each round every writer says the same thing at once; it flips from round to round.
        for round in 0..<rounds {
            let change = Self.check("api", round % 2 == 0 ? .fail : .pass)
            let written = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask { try await offThePool { try store.record([change], by: Self.writer("w\(index)")) } }
                }
                return try await group.reduce(0, +)
            }
            #expect(written == 1, "round \(round): \(written) writers wrote the change")
        }
        #expect(try stores[0].read(after: 0).changes.count == rounds)
    }

    @Test("times are kept as seen (an alarm's firing when it began); a read after an id returns what follows; the writers' watches",
          arguments: engines)
    func readingBack(_ engine: Engine) async throws {
        let fixture = try await VantageStoreTests.fixture(engine)
        let store = TimelineStore(journal: try fixture.journal())
        let began = Date().addingTimeInterval(-90)
        let firing = TimelineChange(at: began, what: .alarm(id: "rule/red/api", state: .firing, severity: .critical, check: "api"),
                                    reason: "api red for 3 polls: refused")
        try store.record([Self.check("api", .fail), firing], by: Self.writer("one"))
        let first = try store.read(after: 0)
        #expect(first.changes.count == 2)
        let alarm = try #require(first.changes.last)
        #expect(alarm == TimelineChange(at: alarm.at, what: firing.what, reason: firing.reason))
        #expect(abs(alarm.at.timeIntervalSince(began)) < 2, "placed when it began, not when written: \(alarm.at) vs \(began)")
        #expect(abs(try #require(first.changes.first).at.timeIntervalSinceNow) < 2)
        #expect(first.watches.map(\.host) == ["one.example"])

        try await Task.sleep(for: .milliseconds(1200))
        try store.record([TimelineChange(at: Date(), what: .alarm(id: "rule/red/api", state: .resolved, severity: .critical, check: "api"),
                                         reason: "api red for 3 polls: refused")], by: Self.writer("one"))
        let next = try store.read(after: first.lastID)
        #expect(Self.lines(next) == ["alarm rule/red/api resolved"])
        let watch = try #require(next.watches.first)
        #expect(watch.to.timeIntervalSince(watch.from) > 1, "from the first beat to the last: \(watch)")
        #expect(try store.read(after: next.lastID).changes.isEmpty)
        #expect(try store.read(after: next.lastID, watchedSince: Date().addingTimeInterval(60)).watches.isEmpty,
                "only the writers that beat since the time asked")
    }

    @Test("pruning forgets what is older than the retention; ids are never used twice, so a follower misses nothing", arguments: engines)
    func pruning(_ engine: Engine) async throws {
        let fixture = try await VantageStoreTests.fixture(engine)
        let store = TimelineStore(journal: try fixture.journal())
        try store.record([Self.check("api", .fail)], by: Self.writer("one"))
        let before = try store.read(after: 0)
        try store.prune()
        #expect(try store.read(after: 0).changes.count == 1, "within the retention")
        try store.storage.prune(olderThan: .zero)
        let emptied = try store.read(after: 0)
        #expect(emptied.changes.isEmpty && emptied.watches.isEmpty)
        try store.record([Self.check("api", .pass)], by: Self.writer("one"))
        let after = try store.read(after: before.lastID)
        #expect(Self.lines(after) == ["check api pass"], "the follower that read up to \(before.lastID) sees the new change")
    }

    @Test("what another host wrote is not trusted: escape sequences made inert, checks the plan lacks and states that are none left out",
          arguments: engines)
    func hostileRows(_ engine: Engine) async throws {
        let fixture = try await VantageStoreTests.fixture(engine)
        let store = TimelineStore(journal: try fixture.journal())
        let storage = try store.storage
        func row(_ kind: String, _ subject: String, vantage: String = "", state: String, severity: String = "", reason: String = "r") -> TimelineRow {
            TimelineRow(id: 0, age: 0, kind: kind, subject: subject, vantage: vantage, state: state, severity: severity, reason: reason, check: "")
        }
        _ = try storage.record([
            row("check", "api", state: "fail", reason: "\u{1B}]52;c;cm0gLXJmIH4=\u{07}\u{1B}[2Jowned"),
            row("check", "no-such-check", state: "fail"),
            row("check", "web", state: "exploded"),
            row("check", "web", vantage: "../etc", state: "fail"),
            row("alarm", "rule/red/api", state: "firing", severity: "apocalyptic"),
            row("alarm", "src/\u{1B}[31mred", state: "firing", severity: "critical"),
            row("vote", "api", state: "GO"),
        ], by: Self.writer("hostile"), watching: 0)
        // A time that is no time: PostgreSQL refuses to be sent one; SQLite keeps it, and the
        // read leaves it out (a Date from it would reach the JSON encoder, which cannot say it).
        _ = try? storage.record([TimelineRow(id: 0, age: .infinity, kind: "check", subject: "web", vantage: "", state: "fail",
                                             severity: "", reason: "r", check: "")], by: Self.writer("timeless"), watching: .infinity)
        let reading = try store.read(after: 0)
        #expect(reading.changes.count == 2, "\(Self.lines(reading))")
        #expect(reading.changes.allSatisfy { $0.at.timeIntervalSince1970.isFinite })
        #expect(reading.watches.allSatisfy { $0.from.timeIntervalSince1970.isFinite && $0.to.timeIntervalSince1970.isFinite })
        let review = TimelineReview(plan: try fixture.journal().plan, changes: reading.changes, watches: reading.watches, journal: [], now: Date())
        #expect(throws: Never.self) { try LaunchReport.json(review.document(plan: try fixture.journal().plan, entries: review.entries)) }
        for change in reading.changes {
            #expect(!change.reason.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(change.reason)")
            #expect(!change.subject.unicodeScalars.contains { $0.value == 0x1B }, "\(change.subject)")
        }
    }
}
