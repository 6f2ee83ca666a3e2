// Flightdeck's side of the benchmarks in Benchmarks/: each mode does the work the cockpit
// does and prints one JSON line with what it cost this process (CPU seconds, peak RSS).
//
//   flightdeck-bench http URL_FILE ROUNDS CONCURRENCY [CA_FILE]
//       probes each URL ROUNDS times with the HTTP probe (a new connection per probe)
//   flightdeck-bench dns SERVER QUERY_FILE COUNT CONCURRENCY
//       sends COUNT queries (NAME TYPE lines, round robin) to SERVER over UDP
//   flightdeck-bench tls ADDRESS HOST COUNT CONCURRENCY CA_FILE
//       inspects the TLS endpoint COUNT times (a full handshake, the chain, verification
//       and coverage each time)
//   flightdeck-bench grid PLAN
//       fills the plan's propagation grid (every record x every resolver) once
//   flightdeck-bench render THEME_FILE KEYMAP_FILE [FRAMES]
//       renders and diffs 200x60 cockpit frames of a plan with 500 checks
//   flightdeck-bench journal DIRECTORY COUNT
//       appends COUNT entries to a new launch journal in DIRECTORY, one transaction each,
//       then folds the whole journal from a fresh open and verifies its chain
//   flightdeck-bench vantage-reader PLAN SECONDS
//       follows the plan's agents in its shared state as a cockpit does, and prints how long
//       after publication each outcome was read
//   flightdeck-bench metrics CHECKS SCRAPES
//       renders the metrics endpoint's text for a plan of CHECKS HTTP checks SCRAPES times
//   flightdeck-bench timeline STATE CHECKS HOURS
//       a launch day of HOURS hours of CHECKS checks compressed: what the timeline records of
//       it into STATE (a directory or a postgresql:// URL), at what cost, and reading it back
//   flightdeck-bench alerts ALERTMANAGER_URL COUNT
//       reads Alertmanager's alerts COUNT times, one after another, into alarms
//   flightdeck-bench alarm-rules CHECKS ROUNDS
//       feeds ROUNDS polls of CHECKS checks to the alarm rules, evaluating after each poll
//   flightdeck-bench dnssec SERVER ZONE NAMES_FILE ROUNDS
//       asks SERVER (TCP) for ZONE's DNSKEY set and each name's A set with their signatures,
//       then verifies every set's signatures ROUNDS times as the DNSSEC check does
//       (canonical form, then OpenSSL with the key from the DNSKEY record)
//   flightdeck-bench fuzz-dns COUNT [SEED]
//       decodes COUNT random mutations of realistic DNS responses; every message that
//       decodes must encode and decode back to itself; no crash, no input slower than 10 ms
import FlightdeckCore
import FlightdeckProbes
import FlightdeckStore
import FlightdeckView
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSS() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A benchmark's plan, read by the real plan loader as a user's plan would be: the smallest
/// launch with one approver, plus `sections`.
func benchPlan(_ sections: String) -> LaunchPlan {
    let yaml = """
        launch: { name: bench, zone: bench.test, t0: 2026-12-01T14:00Z, timezone: UTC }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }

        """ + sections
    switch PlanLoader(environment: [:]).load(text: yaml, file: "bench.yaml") {
    case .success(let plan): return plan
    case .failure(let error): fail("\(error)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "http": await benchHTTP(Array(arguments.dropFirst()))
case "dns": await benchDNS(Array(arguments.dropFirst()))
case "dnssec": await benchDNSSEC(Array(arguments.dropFirst()))
case "grid": await benchGrid(Array(arguments.dropFirst()))
case "tls": await benchTLS(Array(arguments.dropFirst()))
case "fuzz-dns": fuzzDNS(Array(arguments.dropFirst()))
case "render": benchRender(Array(arguments.dropFirst()))
case "journal": benchJournal(Array(arguments.dropFirst()))
case "vantage-reader": await benchVantageReader(Array(arguments.dropFirst()))
case "metrics": benchMetrics(Array(arguments.dropFirst()))
case "timeline": benchTimeline(Array(arguments.dropFirst()))
case "alerts": await benchAlerts(Array(arguments.dropFirst()))
case "alarm-rules": benchAlarmRules(Array(arguments.dropFirst()))
case "aws": await benchAWS(Array(arguments.dropFirst()))
case "junit": benchJUnit(Array(arguments.dropFirst()))
default: fail("usage: flightdeck-bench http|dns|grid ... (see Benchmarks/FlightdeckBench/main.swift)")
}

func benchHTTP(_ arguments: [String]) async {
guard arguments.count >= 3, let rounds = Int(arguments[1]), let concurrency = Int(arguments[2]),
      let urls = try? String(contentsOfFile: arguments[0], encoding: .utf8).split(separator: "\n").map(String.init) else {
    fail("usage: flightdeck-bench http URL_FILE ROUNDS CONCURRENCY [CA_FILE]")
}
let caFile = arguments.count > 3 ? arguments[3] : nil

var checks = "http:\n"
for (index, url) in urls.enumerated() {
    checks += "  - { id: p\(index), url: \"\(url)\"\(caFile.map { ", ca_file: \"\($0)\"" } ?? "") }\n"
}
let loaded = benchPlan(checks)
let probes = PlanProbes.make(for: loaded, planDirectory: nil)

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
print(#"{"probes": \#(rounds * probes.count), "failures": \#(failures.count), "seconds": \#(seconds(elapsed)), "cpu_seconds": \#(cpu), "peak_rss_kib": \#(peakRSS())}"#)
}

/// Queries to one knot, CONCURRENCY in flight. With one SERVER, each query is its own call,
/// as a single lookup is; with a comma-separated list, each call asks every server the same
/// question at once (DNSClient.ask), as a propagation check asks its resolvers, and
/// CONCURRENCY / servers such calls are in flight (240 queries for 256 and 20 servers).
func benchDNS(_ arguments: [String]) async {
    let servers = arguments.first.map { $0.split(separator: ",").compactMap { try? SocketAddress.parse(String($0)).get() } } ?? []
    guard arguments.count == 4, !servers.isEmpty, servers.count == arguments[0].split(separator: ",").count,
          let count = Int(arguments[2]), let concurrency = Int(arguments[3]),
          let lines = try? String(contentsOfFile: arguments[1], encoding: .utf8).split(separator: "\n") else {
        fail("usage: flightdeck-bench dns SERVER[,SERVER...] QUERY_FILE COUNT CONCURRENCY")
    }
    let queries: [(DNSName, DNSRecordType)] = lines.compactMap { line in
        let fields = line.split(separator: " ")
        guard fields.count == 2, case .success(let name) = DNSName.parse(String(fields[0])),
              case .success(let type) = DNSRecordType.parse(String(fields[1])) else { return nil }
        return (name, type)
    }
    guard !queries.isEmpty else { fail("no queries in \(arguments[1])") }
    let fanOut = servers.map { DNSClient.Server(target: .udp($0), recursive: false, timeout: .seconds(2)) }
    /// Answered and unanswered queries of one call.
    @Sendable func ask(_ name: DNSName, _ type: DNSRecordType) async -> (answered: Int, failed: Int) {
        if fanOut.count == 1 {
            if case .response = await DNSClient.query(name, type, target: fanOut[0].target, recursive: false, timeout: .seconds(2)) { return (1, 0) }
            return (0, 1)
        }
        let answered = await DNSClient.ask(name, type, servers: fanOut).filter {
            if case .response = $0.result { return true } else { return false }
        }.count
        return (answered, fanOut.count - answered)
    }
    func run(_ total: Int) async -> (answered: Int, failed: Int) {
        await withTaskGroup(of: (answered: Int, failed: Int).self) { group in
            var next = 0
            var answered = 0
            var failed = 0
            func start() {
                guard next * fanOut.count < total else { return }
                let (name, type) = queries[next % queries.count]
                next += 1
                group.addTask { await ask(name, type) }
            }
            for _ in 0..<max(1, concurrency / fanOut.count) { start() }
            for await result in group {
                answered += result.answered
                failed += result.failed
                start()
            }
            return (answered, failed)
        }
    }
    _ = await run(min(count, 2000))
    let cpuBefore = cpuSeconds()
    let start = ContinuousClock.now
    let result = await run(count)
    let elapsed = ContinuousClock.now - start
    let sent = result.answered + result.failed
    print(#"{"queries": \#(sent), "answered": \#(result.answered), "failed": \#(result.failed), "seconds": \#(seconds(elapsed)), "cpu_seconds": \#(cpuSeconds() - cpuBefore), "peak_rss_kib": \#(peakRSS())}"#)
}

func benchGrid(_ arguments: [String]) async {
    guard arguments.count == 1 else { fail("usage: flightdeck-bench grid PLAN") }
    let plan: LaunchPlan
    switch PlanLoader.load(path: arguments[0], environment: [:]) {
    case .success(let value): plan = value
    case .failure(let error): fail("\(error)")
    }
    let probes = PlanProbes.make(for: plan, planDirectory: nil).filter { $0 is DNSRecordProbe }
    _ = await PlanProbes.pollOnce(probes, concurrency: probes.count)
    let start = ContinuousClock.now
    let outcomes = await PlanProbes.pollOnce(probes, concurrency: probes.count)
    let elapsed = ContinuousClock.now - start
    let cells = outcomes.reduce(0) { total, outcome in
        if case .dnsRecord(let grid) = outcome.evidence { return total + grid.cells.filter { $0.state == .match }.count }
        return total
    }
    print(#"{"records": \#(plan.dns.records.count), "resolvers": \#(plan.resolvers.count), "matching_cells": \#(cells), "seconds": \#(seconds(elapsed))}"#)
}

/// Realistic responses to mutate: an answer with every record type, a referral with glue,
/// NXDOMAIN with the SOA, a truncated answer, and a long TXT set.
func fuzzSeeds() -> [[UInt8]] {
    func name(_ text: String) -> DNSName { try! DNSName.parse(text).get() }
    let zone = name("directfanz.io")
    var flags = DNSFlags()
    flags.isResponse = true
    flags.authoritative = true
    let soa = RecordData.soa(.init(primary: name("ns-1234.awsdns-12.org"), mailbox: name("awsdns-hostmaster.amazon.com"),
                                   serial: 1, refresh: 7200, retry: 900, expire: 1209600, minimum: 86400))
    var messages = [
        DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: zone, type: .a)], answers: [
            DNSRecord(name: zone, ttl: 300, data: .a([203, 0, 113, 10])),
            DNSRecord(name: zone, ttl: 300, data: .aaaa([0x20, 1, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])),
            DNSRecord(name: name("www.directfanz.io"), ttl: 60, data: .cname(name("d3k2x9example.cloudfront.net"))),
            DNSRecord(name: zone, ttl: 300, data: .mx(preference: 10, exchange: name("mx.sendgrid.net"))),
            DNSRecord(name: zone, ttl: 300, data: .txt([Array("v=spf1 include:sendgrid.net ~all".utf8)])),
            DNSRecord(name: zone, ttl: 300, data: .caa(flags: 0, tag: "issue", value: Array("amazon.com".utf8))),
            DNSRecord(name: name("_sip._tcp.directfanz.io"), ttl: 300, data: .srv(priority: 1, weight: 2, port: 5060, target: zone)),
            DNSRecord(name: zone, ttl: 300, data: .ds(keyTag: 1, algorithm: 13, digestType: 2, digest: [1, 2, 3, 4])),
            DNSRecord(name: zone, ttl: 900, data: soa),
            DNSRecord(name: zone, ttl: 300, data: .unknown(type: 65, data: [0, 1, 0])),
        ], edns: EDNS()),
        DNSMessage(id: 2, flags: DNSFlags(), questions: [DNSQuestion(name: zone, type: .ns)],
                   authority: [DNSRecord(name: zone, ttl: 172800, data: .ns(name("ns-1234.awsdns-12.org"))),
                               DNSRecord(name: zone, ttl: 172800, data: .ns(name("ns-567.awsdns-05.net")))],
                   additional: [DNSRecord(name: name("ns-567.awsdns-05.net"), ttl: 172800, data: .a([205, 251, 194, 55]))]),
        DNSMessage(id: 3, flags: flags, questions: [DNSQuestion(name: name("nope.directfanz.io"), type: .a)],
                   authority: [DNSRecord(name: zone, ttl: 900, data: soa)]),
        DNSMessage(id: 4, flags: flags, questions: [DNSQuestion(name: zone, type: .txt)],
                   answers: (0..<6).map { _ in DNSRecord(name: zone, ttl: 60, data: .txt([Array(String(repeating: "k", count: 200).utf8), Array("tail".utf8)])) }),
    ]
    messages[2].flags.responseCode = 3
    messages[3].flags.truncated = true
    return messages.map { try! $0.wire() }
}

func fuzzDNS(_ arguments: [String]) {
    guard let count = arguments.first.flatMap(Int.init) else { fail("usage: flightdeck-bench fuzz-dns COUNT [SEED]") }
    var random = SystemRandomNumberGenerator()
    var seed = arguments.count > 1 ? UInt64(arguments[1]) ?? 1 : random.next()
    func next() -> UInt64 {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    let startSeed = seed
    let seeds = fuzzSeeds()
    var decoded = 0
    var errors: [String: Int] = [:]
    var slowest = Duration.zero
    let clock = ContinuousClock()
    let start = clock.now
    for round in 0..<count {
        var bytes = seeds[round % seeds.count]
        for _ in 0...(Int(next() % 6)) {
            guard !bytes.isEmpty else { break }
            let position = Int(next() % UInt64(bytes.count))
            switch next() % 6 {
            case 0: bytes[position] = UInt8(truncatingIfNeeded: next())
            case 1: bytes.removeSubrange(position...)
            case 2: bytes.insert(UInt8(truncatingIfNeeded: next()), at: position)
            case 3: bytes[position] = 0xC0 | UInt8(next() % 4)
            case 4: if bytes.count > 11 { bytes[4 + Int(next() % 8)] = UInt8(truncatingIfNeeded: next()) }
            default: bytes.replaceSubrange(position..<position, with: bytes[position...].prefix(Int(next() % 40)))
            }
        }
        let began = clock.now
        do {
            let message = try DNSMessage(wire: bytes)
            decoded += 1
            // What decodes must encode and decode back to itself.
            if let again = try? message.wire(), let back = try? DNSMessage(wire: again), back != message {
                fail("round trip changed a message; input: \(bytes)")
            }
        } catch {
            let kind = Mirror(reflecting: error).children.first?.label ?? "\(error)"
            errors[kind, default: 0] += 1
        }
        slowest = max(slowest, began.duration(to: clock.now))
    }
    let elapsed = start.duration(to: clock.now)
    let errorList = errors.sorted { $0.value > $1.value }.map { #""\#($0.key)": \#($0.value)"# }.joined(separator: ", ")
    print(#"{"inputs": \#(count), "seed": \#(startSeed), "decoded": \#(decoded), "seconds": \#(seconds(elapsed)), "slowest_input_ms": \#(seconds(slowest) * 1000), "errors": {\#(errorList)}}"#)
    if slowest > .milliseconds(10) { fail("an input took \(slowest)") }
}

func benchTLS(_ arguments: [String]) async {
    guard arguments.count == 5, let count = Int(arguments[2]), let concurrency = Int(arguments[3]) else {
        fail("usage: flightdeck-bench tls ADDRESS HOST COUNT CONCURRENCY CA_FILE")
    }
    let plan = benchPlan("tls: [{ id: t, host: \(arguments[1]), address: \"\(arguments[0])\", ca_file: \"\(arguments[4])\" }]")
    let probe = PlanProbes.make(for: plan, planDirectory: nil)[0]
    // Rounds of at most 500, keeping only the failures: a cockpit keeps each check's latest
    // outcome, not thousands of them, and neither does blackbox_exporter.
    let round = Array(repeating: probe, count: min(count, 500))
    _ = await PlanProbes.pollOnce(Array(round.prefix(100)), concurrency: concurrency)
    let cpuBefore = cpuSeconds()
    let start = ContinuousClock.now
    var failures: [ProbeOutcome] = []
    var done = 0
    while done < count {
        let size = min(round.count, count - done)
        failures += await PlanProbes.pollOnce(Array(round.prefix(size)), concurrency: concurrency).filter { $0.status != .pass }
        done += size
    }
    let elapsed = ContinuousClock.now - start
    if let first = failures.first { FileHandle.standardError.write(Data("\(failures.count) not passing: \(first.detail)\n".utf8)) }
    print(#"{"inspections": \#(count), "failures": \#(failures.count), "seconds": \#(seconds(elapsed)), "cpu_seconds": \#(cpuSeconds() - cpuBefore), "peak_rss_kib": \#(peakRSS())}"#)
}

func benchRender(_ arguments: [String]) {
    guard arguments.count >= 2, let themeText = try? String(contentsOfFile: arguments[0], encoding: .utf8),
          let keymapText = try? String(contentsOfFile: arguments[1], encoding: .utf8),
          case .success(let theme) = Theme.load(text: themeText, file: arguments[0]),
          case .success(let keymap) = Keymap.load(text: keymapText, file: arguments[1]) else {
        fail("usage: flightdeck-bench render THEME_FILE KEYMAP_FILE [FRAMES]")
    }
    let frames = arguments.count > 2 ? Int(arguments[2]) ?? 2000 : 2000
    var checks = "http:\n"
    for index in 0..<500 { checks += "  - { id: check-\(index), url: \"http://127.0.0.1:9/\(index)\" }\n" }
    let plan = benchPlan(checks)
    var state = CockpitState(plan: plan, now: Date(timeIntervalSince1970: 1_800_000_000), keymap: keymap, glyphs: theme.glyphs)
    state.reduce(.resize(width: 200, height: 60))
    for (index, check) in plan.checks.enumerated() {
        for round in 0..<12 {
            let status: CheckStatus = (index + round) % 7 == 0 ? .fail : .pass
            state.reduce(.outcome(ProbeOutcome(checkID: check.id, finishedAt: .seconds(round), status: status,
                                               detail: status == .pass ? "200 in \(index % 90) ms" : "HTTP 503, expected 200-299",
                                               latency: .milliseconds(index % 90 + round))))
        }
    }
    let view = CockpitView(theme: theme, keymap: keymap)
    var previous = view.render(state, width: 200, height: 60)
    var changedCells = 0
    var rendering = Duration.zero
    for frame in 0..<frames {
        // Each frame: the clock moves, one check has a new result, the selection moves.
        state.reduce(.tick(Date(timeIntervalSince1970: 1_800_000_000 + Double(frame))))
        let check = plan.checks[frame % plan.checks.count]
        state.reduce(.outcome(ProbeOutcome(checkID: check.id, finishedAt: .seconds(100 + frame), status: frame % 3 == 0 ? .warn : .pass,
                                           detail: "200 in \(frame % 97) ms", latency: .milliseconds(frame % 97))))
        state.reduce(.key(frame % 2 == 0 ? .down : .up))
        // Only the frame is timed: render into a grid, then diff it against the last one.
        let start = ContinuousClock.now
        let grid = view.render(state, width: 200, height: 60)
        changedCells += grid.changes(since: previous).count
        rendering += start.duration(to: .now)
        previous = grid
    }
    let elapsed = seconds(rendering)
    print(#"{"frames": \#(frames), "checks": \#(plan.checks.count), "milliseconds_per_frame": \#(elapsed / Double(frames) * 1000), "changed_cells_per_frame": \#(Double(changedCells) / Double(frames))}"#)
}

func benchJournal(_ arguments: [String]) {
    guard arguments.count == 2, let count = Int(arguments[1]) else { fail("usage: flightdeck-bench journal DIRECTORY COUNT") }
    let plan = benchPlan("checklist: [{ id: legal, phase: Launch, title: Terms published, owner: ops }]")
    let actor = LaunchActor(login: "ada", effectiveUser: "ada", loginUID: 1000, sshConnection: "127.0.0.1 50000 127.0.0.1 22",
                            tty: "/dev/pts/3", pid: getpid(), host: "bastion", approver: "Ada")
    do {
        // FLIGHTDECK_STATE puts the journal in PostgreSQL, as for the product.
        func open() throws -> LaunchJournal {
            let state = ProcessInfo.processInfo.environment["FLIGHTDECK_STATE"] ?? ""
            return state.isEmpty ? try LaunchJournal(directory: arguments[0], plan: plan) : try LaunchJournal(postgresql: state, plan: plan)
        }
        let journal = try open()
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds()
        let appending = try clock.measure {
            for index in 1...count {
                _ = try journal.append(.checklistMarked(item: "legal", mark: .pending, note: "rehearsal note \(index)"), by: actor, checks: [:]).get()
            }
        }
        let appendCPU = cpuSeconds() - cpuBefore
        var folded = 0
        let folding = try clock.measure { folded = try open().state().lastSeq }
        var verified = false
        let verifying = try clock.measure { verified = try journal.verify().passed }
        let polling = try clock.measure { for _ in 0..<1000 { _ = try journal.changes(since: count) } }
        guard folded == count, verified else { fail("journal bench: folded \(folded) of \(count), verified \(verified)") }
        print(#"{"entries": \#(count), "appends_per_s": \#(Double(count) / seconds(appending)), "append_cpu_ms": \#(appendCPU * 1000 / Double(count)), "fold_ms": \#(seconds(folding) * 1000), "verify_ms": \#(seconds(verifying) * 1000), "change_poll_us": \#(seconds(polling) * 1000), "peak_rss_kib": \#(peakRSS())}"#)
    } catch {
        fail("journal bench: \(error)")
    }
}

func benchAlerts(_ arguments: [String]) async {
    guard arguments.count == 2, let count = Int(arguments[1]) else { fail("usage: flightdeck-bench alerts ALERTMANAGER_URL COUNT") }
    let plan = benchPlan("alarms: { sources: [{ id: am, kind: alertmanager, url: \"\(arguments[0])\" }] }")
    let probe = AlarmSourceProbe(source: plan.alarmSources[0], plan: plan)
    let cpuBefore = cpuSeconds()
    var alarms = 0
    let elapsed = await ContinuousClock().measure {
        for _ in 0..<count { alarms = await probe.fetch(clock: .zero).count }
    }
    print(#"{"fetches": \#(count), "alarms": \#(alarms), "wall_ms_per_fetch": \#(seconds(elapsed) * 1000 / Double(count)), "cpu_ms_per_fetch": \#((cpuSeconds() - cpuBefore) * 1000 / Double(count)), "peak_rss_kib": \#(peakRSS())}"#)
}

func benchAlarmRules(_ arguments: [String]) {
    guard arguments.count == 2, let checks = Int(arguments[0]), let rounds = Int(arguments[1]) else {
        fail("usage: flightdeck-bench alarm-rules CHECKS ROUNDS")
    }
    var sections = "http:\n"
    for index in 0..<checks { sections += "  - { id: check-\(index), url: \"http://127.0.0.1:9/\(index)\", expect: { latency_budget: 200ms } }\n" }
    let plan = benchPlan(sections)
    var engine = AlarmEngine(plan: plan)
    var standing = 0
    let elapsed = ContinuousClock().measure {
        for round in 0..<rounds {
            for index in 0..<checks {
                let status: CheckStatus = (index + round / 3) % 5 == 0 ? .fail : .pass
                engine.observe(ProbeOutcome(checkID: "check-\(index)", finishedAt: .seconds(round * 15), status: status, detail: "bench",
                                            latency: .milliseconds(150 + (index * 7 + round) % 120)))
            }
            standing = engine.evaluate(at: .seconds(round * 15)).count
        }
    }
    print(#"{"checks": \#(checks), "rounds": \#(rounds), "standing": \#(standing), "us_per_outcome": \#(seconds(elapsed) * 1e6 / Double(checks * rounds)), "ms_per_evaluation": \#(seconds(elapsed) * 1000 / Double(rounds))}"#)
}

/// One poll of a plan's AWS checks (the plan names moto as its endpoint): statuses by count.
func benchAWS(_ arguments: [String]) async {
    guard arguments.count == 1, let text = try? String(contentsOfFile: arguments[0], encoding: .utf8) else { fail("usage: flightdeck-bench aws PLAN") }
    let plan: LaunchPlan
    switch PlanLoader(environment: [:]).load(text: text, file: arguments[0]) {
    case .success(let loaded): plan = loaded
    case .failure(let error): fail("\(error)")
    }
    let probes = plan.awsChecks.map { AWSProbe(check: $0, polling: plan.polling) }
    let outcomes = await PlanProbes.pollOnce(probes, concurrency: plan.polling.concurrency)
    let statuses = Dictionary(grouping: outcomes, by: \.status.rawValue).mapValues(\.count)
    let encoded = statuses.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
    print(#"{"checks": \#(outcomes.count), "statuses": {\#(encoded)}}"#)
}

/// Reads a JUnit report: the counts, the CPU it took, and the peak memory.
func benchJUnit(_ arguments: [String]) {
    guard arguments.count == 1, let data = FileManager.default.contents(atPath: arguments[0]) else { fail("usage: flightdeck-bench junit FILE") }
    let cpuBefore = cpuSeconds()
    guard case .success(let report) = TestReport.junit(Array(data)) else { fail("not JUnit XML") }
    let cpu = cpuSeconds() - cpuBefore
    print(#"{"passed": \#(report.passed), "failed": \#(report.failed), "skipped": \#(report.skipped), "cpu_ms": \#(cpu * 1000), "peak_rss_kib": \#(peakRSS())}"#)
}

func benchDNSSEC(_ arguments: [String]) async {
    guard arguments.count == 4, case .success(let server) = SocketAddress.parse(arguments[0]),
          case .success(let zone) = DNSName.parse(arguments[1]), let rounds = Int(arguments[3]),
          let lines = try? String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n") else {
        fail("usage: flightdeck-bench dnssec SERVER ZONE NAMES_FILE ROUNDS")
    }
    func answers(_ name: DNSName, _ type: DNSRecordType) async -> [DNSRecord] {
        guard case .response(let message, _) = await DNSClient.query(name, type, target: .tcp(server), recursive: false,
                                                                  timeout: .seconds(5), dnssec: true) else { fail("no answer for \(name) \(type)") }
        return message.answers
    }
    let keys = await answers(zone, .dnskey).compactMap { record -> DNSKey? in
        if case .dnskey(let key) = record.data { return key }
        return nil
    }
    var sets: [(records: [DNSRecord], signatures: [DNSSignature])] = []
    for line in lines {
        guard case .success(let name) = DNSName.parse(String(line)) else { continue }
        let found = await answers(name, .a)
        let signatures = found.compactMap { record -> DNSSignature? in
            if case .rrsig(let signature) = record.data, signature.typeCovered == .a { return signature }
            return nil
        }
        sets.append((found.filter { $0.type == .a }, signatures))
    }
    guard !sets.isEmpty, !keys.isEmpty else { fail("nothing signed to verify") }
    let crypto = OpenSSLDNSSEC()
    var verified = 0
    var failed = 0
    let cpuBefore = cpuSeconds()
    for _ in 0..<rounds {
        for set in sets {
            for signature in set.signatures {
                guard let key = keys.first(where: { $0.keyTag == signature.keyTag && $0.algorithm == signature.algorithm }),
                      let data = signature.signedData(over: set.records) else { failed += 1; continue }
                if crypto.verify(signature.signature, over: data, key: key) == true { verified += 1 } else { failed += 1 }
            }
        }
    }
    print(#"{"rrsets": \#(sets.count * rounds), "verified": \#(verified), "failed": \#(failed), "cpu_seconds": \#(cpuSeconds() - cpuBefore), "peak_rss_kib": \#(peakRSS())}"#)
}
