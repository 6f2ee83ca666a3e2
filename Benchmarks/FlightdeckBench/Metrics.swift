import FlightdeckCore
import FlightdeckView
import Foundation

/// `flightdeck-bench metrics CHECKS SCRAPES`: the metrics endpoint's text for a plan of CHECKS
/// HTTP checks, each with a dozen results, rendered SCRAPES times as scrapes do: the time and
/// size of one.
func benchMetrics(_ arguments: [String]) {
    guard arguments.count == 2, let count = Int(arguments[0]), let scrapes = Int(arguments[1]) else {
        fail("usage: flightdeck-bench metrics CHECKS SCRAPES")
    }
    var checks = "http:\n"
    for index in 0..<count { checks += "  - { id: check-\(index), url: \"http://127.0.0.1:9/\(index)\" }\n" }
    let plan = benchPlan(checks)
    var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 1_800_000_000))
    var exposition = MetricsExposition()
    for (index, check) in plan.checks.enumerated() {
        for round in 0..<12 {
            let outcome = ProbeOutcome(checkID: check.id, finishedAt: .seconds(round), status: (index + round) % 7 == 0 ? .fail : .pass,
                                       detail: "200", latency: .milliseconds(index % 90 + round))
            state.reduce(.outcome(outcome))
            exposition.observe(outcome)
        }
    }
    var bytes = 0
    let cpuBefore = cpuSeconds()
    let elapsed = ContinuousClock().measure {
        for _ in 0..<scrapes { bytes = exposition.text(for: state).utf8.count }
    }
    print(#"{"checks": \#(count), "scrapes": \#(scrapes), "milliseconds_per_scrape": \#(seconds(elapsed) * 1000 / Double(scrapes)), "cpu_ms_per_scrape": \#((cpuSeconds() - cpuBefore) * 1000 / Double(scrapes)), "bytes": \#(bytes)}"#)
}
