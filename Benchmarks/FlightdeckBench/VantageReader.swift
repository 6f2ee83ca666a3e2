import FlightdeckCore
import FlightdeckStore
import Foundation

/// `flightdeck-bench vantage-reader PLAN SECONDS`: follows a launch's agents for SECONDS as a
/// cockpit does (woken by PostgreSQL's NOTIFY, or every 250 ms for SQLite; each read asks
/// only for what was published since the last) and prints how long after its publication
/// each outcome was read, by the database's clock.
func benchVantageReader(_ arguments: [String]) async {
    guard arguments.count == 2, let duration = Double(arguments[1]) else { fail("usage: flightdeck-bench vantage-reader PLAN SECONDS") }
    let plan: LaunchPlan
    switch PlanLoader.load(path: arguments[0], environment: ProcessInfo.processInfo.environment) {
    case .success(let loaded): plan = loaded
    case .failure(let error): fail("\(error)")
    }
    do {
        let journal = try LaunchJournal.open(StateDirectory(planPath: arguments[0], plan: plan), plan: plan)
        let store = VantageStore(journal: journal)
        var version = 0
        var latencies: [Double] = []
        var reads = 0
        let cpuBefore = cpuSeconds()
        let deadline = ContinuousClock.now + .seconds(duration)
        while ContinuousClock.now < deadline {
            let reading = try store.read(since: version)
            reads += 1
            version = reading.version
            // The first read finds what was there before: not a latency.
            if reads > 1 { latencies += reading.results.map { $0.age.timeInterval * 1000 } }
            if journal.notifiesAppends {
                await journal.waitForAppend(timeout: .seconds(2))
            } else {
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        latencies.sort()
        func percentile(_ fraction: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int((fraction * Double(latencies.count)).rounded(.up)) - 1)]
        }
        print(#"{"outcomes": \#(latencies.count), "reads": \#(reads), "p50_ms": \#(percentile(0.5)), "p99_ms": \#(percentile(0.99)), "max_ms": \#(latencies.last ?? 0), "cpu_s": \#(cpuSeconds() - cpuBefore)}"#)
    } catch {
        fail("vantage-reader: \(error)")
    }
}
