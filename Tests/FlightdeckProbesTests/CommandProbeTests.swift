import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// Command checks against real runners: pytest writing JUnit XML, prove printing TAP, and
/// shell scripts that hang, fork, and print escape sequences.
@Suite("Command checks: real test runners, timeouts, process groups, shared results", .serialized)
struct CommandProbeTests {
    private func plan(_ commands: String, environment: [String: String] = [:]) throws -> LaunchPlan {
        try PlanLoader(environment: environment).load(text: """
            launch: { name: Suites, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }
            commands:
            \(commands)
            """, file: "suites.yaml").get()
    }

    private func probe(_ plan: LaunchPlan, in directory: TestDirectory, role: CommandRole = .runs, shared: String? = nil) -> CommandProbe {
        CommandProbe(check: plan.commandChecks[0], role: role, results: CommandResults(stateDirectory: shared), planDirectory: directory.path)
    }

    /// A pytest suite of 100 cases of which `failing` fail.
    private func pytestSuite(failing: [Int]) throws -> TestDirectory {
        let directory = try TestDirectory("pytest")
        try directory.write("""
            import pytest

            FAILING = {\(failing.map(String.init).joined(separator: ", "))}

            @pytest.mark.parametrize("case", range(100))
            def test_checkout(case):
                assert case not in FAILING
            """, to: "tests/test_api.py")
        return directory
    }

    /// pytest's own summary (`6 failed, 94 passed`), the reference for our counts.
    private func pytestSummary(_ output: [String]) -> (failed: Int, passed: Int) {
        let line = output.last { $0.contains(" passed") } ?? ""
        func count(_ word: String) -> Int {
            guard let match = line.firstMatch(of: try! Regex("([0-9]+) \(word)")) else { return 0 }
            return Int(match.output[1].substring ?? "") ?? 0
        }
        return (count("failed"), count("passed"))
    }

    private static let pytestCheck = """
          - id: api-suite
            run: [python3, -m, pytest, -q, -p, no:cacheprovider, --junitxml=reports/api.xml, tests]
            junit: reports/api.xml
            pass_rate: 95%
            min_tests: 100
        """

    @Test("pytest, 97 of 100 passing at a 95% gate: pass, with the three failures named and pytest's own counts")
    func pytestAboveGate() async throws {
        let suite = try pytestSuite(failing: [3, 50, 77])
        let outcome = await probe(try plan(Self.pytestCheck), in: suite).run(at: .zero)
        #expect(outcome.status == .pass)
        #expect(outcome.detail.hasPrefix("97 of 100 tests pass (97%, gate 95%) in "))
        #expect(outcome.detail.hasSuffix("; failing: tests.test_api.test_checkout[3], tests.test_api.test_checkout[50], tests.test_api.test_checkout[77]"))
        guard case .list(let tail)? = outcome.observed["output_tail"] else { Issue.record("no output"); return }
        let reference = pytestSummary(tail)
        #expect(reference.failed == 3 && reference.passed == 97)
        #expect(outcome.observed["passed"] == .number(Double(reference.passed)))
        #expect(outcome.observed["failed"] == .number(Double(reference.failed)))
        #expect(outcome.observed["pass_rate"] == .number(97))
        #expect(outcome.observed["exit_code"] == .number(1))
    }

    @Test("pytest, 94 of 100 passing at a 95% gate: fail, below the gate, naming the first failures")
    func pytestBelowGate() async throws {
        let suite = try pytestSuite(failing: [1, 2, 3, 4, 5, 6])
        let outcome = await probe(try plan(Self.pytestCheck), in: suite).run(at: .zero)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "94 of 100 tests pass (94%, below the 95% gate): tests.test_api.test_checkout[1], "
            + "tests.test_api.test_checkout[2], tests.test_api.test_checkout[3] and 3 more")
        guard case .list(let failed)? = outcome.observed["failed_tests"] else { Issue.record("no failed tests"); return }
        #expect(failed.count == 6)
    }

    @Test("A report left from an earlier run is not evidence: the run that wrote none fails")
    func staleReport() async throws {
        let suite = try pytestSuite(failing: [])
        let check = """
              - id: api-suite
                run: [sh, -c, "echo collected nothing; exit 5"]
                junit: reports/api.xml
            """
        try suite.write(#"<testsuites><testsuite name="old"><testcase name="ok"/></testsuite></testsuites>"#, to: "reports/api.xml")
        let outcome = await probe(try plan(check), in: suite).run(at: .zero)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "exited 5 without writing a new JUnit report to reports/api.xml: collected nothing")
    }

    @Test("prove -v: TAP from two files, a failure named with its file, a skip not counted, prove's own totals agree")
    func proveTAP() async throws {
        let directory = try TestDirectory("prove")
        try directory.write("""
            use Test::More tests => 4;
            ok(1, 'login works');
            ok(0, 'payment succeeds');
            ok(1, 'refund');
            SKIP: { skip "no bucket", 1; ok(1, 'upload'); }
            """, to: "t/checkout.t")
        try directory.write("use Test::More;\nok(1, 'status page');\ndone_testing;\n", to: "t/status.t")
        let check = """
              - id: smoke
                run: [prove, -v, t]
                tap: stdout
                pass_rate: 50%
            """
        let outcome = await probe(try plan(check), in: directory).run(at: .zero)
        #expect(outcome.status == .pass)
        #expect(outcome.detail.hasPrefix("3 of 4 tests pass (75%, gate 50%) in "))
        #expect(outcome.detail.hasSuffix("; failing: t/checkout.t payment succeeds"))
        #expect(outcome.observed["skipped"] == .number(1))
        // prove's summary: Files=2, Tests=5 (run, skipped included) and 1 failed.
        let reference = try await runProcess("/usr/bin/prove", ["t"], in: directory.path).stdout
        #expect(reference.contains("Files=2, Tests=5"))
        #expect(reference.contains("Tests: 4 Failed: 1"))
    }

    @Test("A command that hangs past its timeout is killed with its children, and fails saying so")
    func timeout() async throws {
        let directory = try TestDirectory("hang")
        let check = """
              - id: hangs
                run: [sh, -c, "echo $$ > group; sleep 300 & sleep 300"]
                timeout: 1s
                interval: 1m
            """
        let started = ContinuousClock.now
        let outcome = await probe(try plan(check), in: directory).run(at: .zero)
        #expect(ContinuousClock.now - started < .seconds(6))
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "still running after its 1s timeout: killed with every process it started")
        let group = try #require(Int32(String(contentsOfFile: directory.file("group"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.livingMembers(ofGroup: group).isEmpty)
    }

    @Test("A child that outlives the command neither holds the run open nor survives it")
    func orphanedChild() async throws {
        let directory = try TestDirectory("orphan")
        let check = """
              - id: forks
                run: [sh, -c, "sleep 300 & echo $$ > group; echo deployed"]
            """
        let started = ContinuousClock.now
        let outcome = await probe(try plan(check), in: directory).run(at: .zero)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(outcome.status == .pass)
        #expect(outcome.detail.hasPrefix("exited 0 in "))
        #expect(outcome.observed["output_tail"] == .list(["deployed"]))
        let group = try #require(Int32(String(contentsOfFile: directory.file("group"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.livingMembers(ofGroup: group).isEmpty)
    }

    /// Processes still running (not zombies) in a process group, from /proc.
    static func livingMembers(ofGroup group: Int32) -> [Int32] {
        // A killed process may take a moment to go.
        for _ in 0..<20 {
            let living = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).filter { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                return fields.count > 2 && fields[0] != "Z" && Int32(fields[2]) == group
            }
            if living.isEmpty { return [] }
            usleep(100_000)
        }
        return [group]
    }

    @Test("Escape sequences in a command's output never reach the screen: colours dropped, controls replaced")
    func escapeSequences() async throws {
        let directory = try TestDirectory("escapes")
        // Exit 0 is mapped to fail so that the detail shows the last line of output.
        let plan = try plan(#"""
              - id: noisy
                run: [printf, '\033[31mFAIL\033[0m payment\n\033]0;owned\007title\n\033[2J\233cleared\n']
                exit_codes: {0: fail, 1: pass}
            """#)
        let outcome = await probe(plan, in: directory).run(at: .zero)
        #expect(outcome.status == .fail)
        guard case .list(let tail)? = outcome.observed["output_tail"] else { Issue.record("no output"); return }
        #expect(tail == ["FAIL payment", "title", "\u{FFFD}cleared"])
        #expect(outcome.detail.hasSuffix(": \u{FFFD}cleared"))
        for line in tail + [outcome.detail] {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
    }

    @Test("terraform plan -detailed-exitcode style: 0 passes, 2 is drift, 1 is unknown, anything else fails")
    func exitCodeMapping() async throws {
        let directory = try TestDirectory("exit-codes")
        for (code, status, detail) in [(0, CheckStatus.pass, "exited 0 in "), (2, .fail, "exited 2 (fail per exit_codes) in "),
                                       (1, .unknown, "exited 1 (unknown per exit_codes) in "), (3, .fail, "exited 3 (an exit code exit_codes does not list) in ")] {
            let check = """
                  - id: drift
                    run: [sh, -c, "echo Plan: 0 to add; exit \(code)"]
                    exit_codes: {0: pass, 2: fail, 1: unknown}
                """
            let outcome = await probe(try plan(check), in: directory).run(at: .zero)
            #expect(outcome.status == status, "exit \(code)")
            #expect(outcome.detail.hasPrefix(detail), "exit \(code): \(outcome.detail)")
        }
        let missing = await probe(try plan("  - id: gone\n    run: [no-such-program-here]"), in: directory).run(at: .zero)
        #expect(missing.status == .unknown)
        #expect(missing.detail.hasPrefix("cannot run it: no program `no-such-program-here` on PATH"))
    }

    @Test("A secret handed to the command in its environment and printed back is masked")
    func secretMasked() async throws {
        let directory = try TestDirectory("secret")
        let check = """
              - id: smoke
                run: [sh, -c, "echo token is $API_TOKEN"]
                env: { API_TOKEN: "${SMOKE_TOKEN}" }
            """
        let outcome = await probe(try plan(check, environment: ["SMOKE_TOKEN": "s3cr3t-value-42"]), in: directory).run(at: .zero)
        #expect(outcome.observed["output_tail"] == .list(["token is ${SMOKE_TOKEN}"]))
    }

    @Test("One run for every process on the plan: an observer shows it, a second runner does not repeat it until asked to")
    func sharedResults() async throws {
        let directory = try TestDirectory("shared")
        let state = try TestDirectory("state")
        let check = """
              - id: suite
                run: [sh, -c, "echo run >> runs.log; echo 1..2; echo ok 1 - a; echo ok 2 - b"]
                tap: stdout
                interval: 1h
            """
        let plan = try plan(check)
        let observer = probe(plan, in: directory, role: .observes, shared: state.path)
        let before = await observer.run(at: .zero)
        #expect(before.status == .unknown)
        #expect(before.detail == "no result yet: a read-only session shows what a session that runs commands stores")

        let first = await probe(plan, in: directory, shared: state.path).run(at: .zero)
        #expect(first.detail.hasPrefix("2 of 2 tests pass (100%) in "))
        let seen = await observer.run(at: .seconds(5))
        #expect(seen.status == .pass && seen.detail == first.detail && seen.evidenceID == first.evidenceID)
        _ = await probe(plan, in: directory, shared: state.path).run(at: .seconds(5))
        #expect(try String(contentsOfFile: directory.file("runs.log"), encoding: .utf8) == "run\n")

        try CommandResults(stateDirectory: state.path).requestRerun("suite")
        let again = await probe(plan, in: directory, shared: state.path).run(at: .seconds(10))
        #expect(try String(contentsOfFile: directory.file("runs.log"), encoding: .utf8) == "run\nrun\n")
        #expect(again.evidenceID != first.evidenceID)
    }

    @Test("A result older than max_age is unknown, whatever it said, and says how old it is")
    func staleResult() async throws {
        let directory = try TestDirectory("stale")
        let state = try TestDirectory("state")
        let plan = try plan("""
              - id: suite
                run: [sh, -c, "exit 0"]
                interval: 1h
                max_age: 2h
            """)
        let results = CommandResults(stateDirectory: state.path)
        let old = Date().addingTimeInterval(-3 * 3600)
        results.store(CommandResults.Stored(startedAt: old, run: CommandRun(ending: .exited(0), duration: .seconds(3), finishedAt: old, outputTail: [])),
                      for: "suite")
        let outcome = await probe(plan, in: directory, role: .observes, shared: state.path).run(at: .zero)
        #expect(outcome.status == .unknown)
        #expect(outcome.detail == "the last result is 3h old, past its max_age of 2h; it said: exited 0 in 3.0 s")
    }
}
