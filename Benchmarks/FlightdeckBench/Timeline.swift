import FlightdeckCore
import FlightdeckStore
import Foundation

/// `flightdeck-bench timeline STATE CHECKS HOURS`: a launch day of HOURS hours compressed into
/// minutes. CHECKS HTTP checks are polled every 30 s of virtual time through the cockpit's own
/// state (thresholds, alarm rules); the recorder turns what it shows into changes, and the real
/// timeline store writes them into STATE (a directory, for SQLite, or a postgresql:// URL),
/// one write per poll round as a session's keeper batches them. Each hour an incident takes a
/// twentieth of the checks down for 2 to 10 minutes, and every poll fails alone one time in 300
/// (which the thresholds absorb). Then it reads the record back as `flightdeck timeline` does,
/// reviews it, and applies it as a cockpit opening mid-launch does.
func benchTimeline(_ arguments: [String]) {
    guard arguments.count == 3, let count = Int(arguments[1]), let hours = Double(arguments[2]) else {
        fail("usage: flightdeck-bench timeline STATE CHECKS HOURS")
    }
    var checks = "polling: { interval: 30s, failure_threshold: 2, success_threshold: 2 }\nhttp:\n"
    for index in 0..<count { checks += "  - { id: check-\(index), url: \"http://127.0.0.1:9/\(index)\" }\n" }
    let plan = benchPlan(checks)
    let journal: LaunchJournal
    do {
        journal = arguments[0].hasPrefix("postgres") ? try LaunchJournal(postgresql: arguments[0], plan: plan)
            : try LaunchJournal(directory: arguments[0], plan: plan)
    } catch {
        fail("\(error)")
    }
    let store = TimelineStore(journal: journal)
    let interval = 30.0
    let rounds = Int(hours * 3600 / interval)
    let start = Date().addingTimeInterval(-Double(rounds) * interval)
    let writer = TimelineWriter(instance: "bench", host: "bench", vantage: nil, started: start)

    // The day's incidents: each hour, a twentieth of the checks down from a random minute.
    var random = SplitMix64(seed: 2026)
    var down: [Int: [(from: Double, to: Double)]] = [:]
    for hour in 0..<Int(hours.rounded(.up)) {
        let from = Double(hour) * 3600 + Double(random.next() % 3000)
        let to = from + 120 + Double(random.next() % 480)
        for _ in 0..<max(1, count / 20) { down[Int(random.next() % UInt64(count)), default: []].append((from, to)) }
    }

    var state = CockpitState(plan: plan, now: start)
    var recorder = TimelineRecorder()
    var written = 0, batches = 0, recorded = 0
    var recordCPU = 0.0, writeCPU = 0.0
    var writeTime = Duration.zero
    let clock = ContinuousClock()
    for round in 0..<rounds {
        let elapsed = Double(round) * interval
        let now = start.addingTimeInterval(elapsed)
        for (index, check) in plan.checks.enumerated() {
            let failing = down[index]?.contains { $0.from <= elapsed && elapsed < $0.to } == true || random.next() % 300 == 0
            state.reduce(.outcome(ProbeOutcome(checkID: check.id, finishedAt: .seconds(elapsed), status: failing ? .fail : .pass,
                                               detail: failing ? "HTTP 503 from 127.0.0.1:9" : "200 in 21 ms", latency: .milliseconds(21))))
        }
        state.reduce(.tick(now))
        let before = cpuSeconds()
        let changes = recorder.changes(board: state.board, alarms: state.alarms, now: now)
        let between = cpuSeconds()
        recordCPU += between - before
        recorded += changes.count
        guard !changes.isEmpty else { continue }
        do {
            writeTime += try clock.measure { written += try store.record(changes, by: writer) }
        } catch {
            fail("\(error)")
        }
        writeCPU += cpuSeconds() - between
        batches += 1
    }

    let readStart = clock.now
    let all: TimelineReading
    do { all = try store.readAll() } catch { fail("\(error)") }
    let read = clock.now - readStart
    let reviewStart = clock.now
    let review = TimelineReview(plan: plan, changes: all.changes, watches: all.watches, journal: [], now: Date())
    let reviewed = clock.now - reviewStart
    let applyStart = clock.now
    var opened = CockpitState(plan: plan, now: Date())
    var lastID = 0
    var full = true
    while full {
        let page: TimelineReading
        do { page = try store.read(after: lastID, limit: 5000, watchedSince: lastID == 0 ? nil : .distantFuture) } catch { fail("\(error)") }
        opened.reduce(.timeline(page))
        full = page.changes.count == 5000
        lastID = page.lastID
    }
    let applied = clock.now - applyStart
    let paneStart = clock.now
    let paneRows = opened.rows(.timeline, width: 200, window: 0..<60).count
    let pane = clock.now - paneStart

    print(#"{"checks": \#(count), "hours": \#(hours), "polls": \#(rounds * count), "changes": \#(recorded), "written": \#(written), "#
          + #""kept": \#(all.changes.count), "write_batches": \#(batches), "recorder_cpu_us_per_round": \#(recordCPU * 1e6 / Double(rounds)), "#
          + #""write_cpu_us_per_change": \#(writeCPU * 1e6 / Double(max(1, written))), "write_ms_per_batch": \#(seconds(writeTime) * 1000 / Double(max(1, batches))), "#
          + #""read_all_ms": \#(seconds(read) * 1000), "review_ms": \#(seconds(reviewed) * 1000), "cockpit_open_ms": \#(seconds(applied) * 1000), "#
          + #""pane_rows": \#(paneRows), "pane_frame_ms": \#(seconds(pane) * 1000), "red_checks": \#(review.checks.count), "alarm_occurrences": \#(review.alarms.count)}"#)
}
