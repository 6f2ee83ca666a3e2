import Foundation

/// The `commands` section: test suites and scripts whose result is evidence.
extension PlanReading {
    static let commandKeys = [
        "id", "name", "severity", "run", "shell", "cwd", "env", "junit", "tap", "pass_rate", "min_tests",
        "exit_codes", "max_age", "runbook",
    ] + timingKeys

    mutating func commandCheck(_ node: YAMLNode) -> CommandCheck? {
        guard let map = node.mapping(keys: Self.commandKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
        let name = map["name"]?.word()
        let severity = severityOrDefault(map)
        let shell = map["shell"].map { $0.bool() } ?? false
        let invocation = map.required("run").flatMap { runNode in shell.flatMap { commandInvocation(runNode, shell: $0) } }
        let workingDirectory = map["cwd"]?.word()
        let environment = map["env"].map(commandEnvironment) ?? []
        if map["junit"] != nil, map["tap"] != nil {
            map["tap"]?.report("a command writes one report: `junit` or `tap`, not both")
        }
        let report: CommandCheck.Report? = if let junit = map["junit"] {
            junit.word().map { CommandCheck.Report(format: .junit, path: $0 == "stdout" ? nil : $0) }
        } else if let tap = map["tap"] {
            tap.word().map { CommandCheck.Report(format: .tap, path: $0 == "stdout" ? nil : $0) }
        } else {
            nil
        }
        for key in ["pass_rate", "min_tests"] where map[key] != nil && map["junit"] == nil && map["tap"] == nil {
            map[key]?.report("`\(key)` needs a test report to count",
                             hint: "say where the runner writes it: `junit: report.xml` or `tap: stdout`")
        }
        let passRate = map["pass_rate"].map(share) ?? 1
        let minimumTests = map["min_tests"].map { $0.int(in: 1...10_000_000) } ?? 1
        let exitCodes = map["exit_codes"].map(exitCodeMapping)
        let timing = timing(map)
        let interval = timing.interval ?? CommandCheck.defaultInterval
        let timeout = timing.timeout ?? CommandCheck.defaultTimeout
        if timeout > interval, let node = map["timeout"] ?? map["interval"] {
            node.report("the timeout (\(PlanDuration.format(timeout))) is longer than the interval (\(PlanDuration.format(interval)))",
                        hint: "a command runs once at a time: give it an interval longer than its timeout")
        }
        let maximumAge = map["max_age"].flatMap(positiveDuration) ?? (interval * 2 + timeout)
        if maximumAge < interval, let node = map["max_age"] {
            node.report("max_age (\(PlanDuration.format(maximumAge))) is shorter than the interval (\(PlanDuration.format(interval)))",
                        hint: "every result would go stale before the next run: make max_age longer than the interval")
        }
        guard let id, let severity, let invocation, let passRate, let minimumTests, timeout <= interval, maximumAge >= interval else { return nil }
        if map["junit"] != nil || map["tap"] != nil, report == nil { return nil }
        if map["exit_codes"] != nil, exitCodes == nil { return nil }
        return CommandCheck(
            id: id, name: name, severity: severity, invocation: invocation, workingDirectory: workingDirectory,
            environment: environment, report: report, passRate: passRate, minimumTests: minimumTests,
            exitCodes: exitCodes ?? nil, maximumAge: maximumAge, timing: ProbeTiming(interval: interval, timeout: timeout))
    }

    /// `run: [pytest, -q]` runs the program directly; a string needs `shell: true`.
    func commandInvocation(_ node: YAMLNode, shell: Bool) -> CommandCheck.Invocation? {
        if case .scalar = node.node {
            guard let script = node.word() else { return nil }
            guard shell else {
                let words = script.split(separator: " ").map { "\($0)" }
                node.report("`run` is a list of the program and its arguments, unless `shell: true`",
                            hint: "write run: [\(words.joined(separator: ", "))], or add shell: true to run it with /bin/sh")
                return nil
            }
            return .shell(script)
        }
        guard !shell else {
            node.report("with `shell: true`, `run` is one line for /bin/sh", hint: "write run: \"make test | tee test.log\"")
            return nil
        }
        guard let words = node.list({ $0.word() }), words.count == node.list()?.count else { return nil }
        guard !words.isEmpty else {
            node.report("`run` names no program")
            return nil
        }
        return .argv(words)
    }

    /// `env: {NAME: value}`; values may reference secrets (`${API_TOKEN}`), which are never shown.
    func commandEnvironment(_ node: YAMLNode) -> [CommandVariable] {
        (node.entries() ?? []).compactMap { name, keyNode, valueNode in
            guard let first = name.first, first.isLetter || first == "_",
                  name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                keyNode.report("`\(name)` is not an environment variable name", hint: "names are letters, digits and `_`, not starting with a digit")
                return nil
            }
            return valueNode.secretText(environment: environment).map { CommandVariable(name: name, value: $0) }
        }
    }

    /// A share written `95%` (or `0.95`), as a fraction from 0 to 1.
    func share(_ node: YAMLNode) -> Double? {
        guard let text = node.scalarText() else { return nil }
        let percent = text.hasSuffix("%") ? Double(text.dropLast().trimmingCharacters(in: .whitespaces)) : Double(text).map { $0 * 100 }
        guard let percent, percent >= 0, percent <= 100 else {
            node.report("`\(text)` is not a share", hint: "write a percentage from 0% to 100%, such as 95%")
            return nil
        }
        return percent / 100
    }

    /// `exit_codes: {0: pass, 2: fail, 1: unknown}`.
    func exitCodeMapping(_ node: YAMLNode) -> [Int32: CheckStatus]? {
        guard let entries = node.entries() else { return nil }
        var mapping: [Int32: CheckStatus] = [:]
        var valid = true
        for (key, keyNode, valueNode) in entries {
            guard let code = Int32(key), (0...255).contains(code) else {
                keyNode.report("`\(key)` is not an exit code", hint: "exit codes are whole numbers from 0 to 255")
                valid = false
                continue
            }
            guard let status = valueNode.choice(CheckStatus.self, named: "status") else {
                valid = false
                continue
            }
            mapping[code] = status
        }
        if valid, !mapping.values.contains(.pass) {
            node.report("no exit code passes", hint: "map the code that means success to pass, such as 0: pass")
            valid = false
        }
        return valid ? mapping : nil
    }
}
