// Probes a list of URLs with Flightdeck's HTTP probe, as the cockpit does (a new connection
// per probe, at most CONCURRENCY in flight), and prints one JSON line: probes, seconds,
// CPU seconds and peak RSS of this process. Benchmarks/http-probes.py runs it beside
// blackbox_exporter and curl --parallel.
//
//   flightdeck-bench URL_FILE ROUNDS CONCURRENCY [CA_FILE]
import FlightdeckCore
import FlightdeckProbes
import Foundation
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 4, let rounds = Int(arguments[2]), let concurrency = Int(arguments[3]),
      let urls = try? String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n").map(String.init) else {
    FileHandle.standardError.write(Data("usage: flightdeck-bench URL_FILE ROUNDS CONCURRENCY [CA_FILE]\n".utf8))
    exit(2)
}
let caFile = arguments.count > 4 ? arguments[4] : nil

// The checks go through the real plan loader, as a user's plan would.
var plan = """
    launch: { name: bench, zone: bench.test, t0: 2026-12-01T14:00Z, timezone: UTC }
    roles: [{ id: ops }]
    approvers: [{ name: Ada, role: ops, users: [ada] }]
    poll: { order: [ops], director: ops }
    http:

    """
for (index, url) in urls.enumerated() {
    plan += "  - { id: p\(index), url: \"\(url)\"\(caFile.map { ", ca_file: \"\($0)\"" } ?? "") }\n"
}
let loaded: LaunchPlan
switch PlanLoader(environment: [:]).load(text: plan, file: "bench.yaml") {
case .success(let value): loaded = value
case .failure(let error):
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}
let probes = PlanProbes.make(for: loaded, planDirectory: nil)

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

// One warm-up round loads libraries and certificates, as a running cockpit has.
_ = await PlanProbes.pollOnce(probes, concurrency: concurrency)
let cpuBefore = cpuSeconds()
let start = ContinuousClock.now
var failures: [ProbeOutcome] = []
for _ in 0..<rounds {
    failures += await PlanProbes.pollOnce(probes, concurrency: concurrency).filter { $0.status == .fail }
}
if let first = failures.first {
    FileHandle.standardError.write(Data("\(failures.count) failures, the first: \(first.detail)\n".utf8))
}
let elapsed = ContinuousClock.now - start
let cpu = cpuSeconds() - cpuBefore
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(#"{"probes": \#(rounds * probes.count), "failures": \#(failures.count), "seconds": \#(seconds), "cpu_seconds": \#(cpu), "peak_rss_kib": \#(usage.ru_maxrss)}"#)
