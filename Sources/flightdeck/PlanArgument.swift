import ArgumentParser
import FlightdeckCore
import Foundation

/// The plan file every command takes, loaded and validated with every problem shown.
struct PlanArgument: ParsableArguments {
    @Argument(help: "The launch plan (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var path: String

    /// The plan's directory, which relative paths in it are relative to.
    var directory: String {
        URL(fileURLWithPath: path).deletingLastPathComponent().path
    }

    /// Loads the plan; on failure prints every problem to stderr and exits 2.
    /// - Parameter lintOnly: checking the plan, not running it: a secret the environment
    ///   lacks is a warning on stderr, not an error.
    func load(lintOnly: Bool = false) throws -> LaunchPlan {
        let (result, warnings) = PlanLoader.load(path: path, environment: ProcessInfo.processInfo.environment, lintOnly: lintOnly)
        for warning in warnings { Console.error("warning: " + warning.description) }
        switch result {
        case .success(let plan):
            return plan
        case .failure(let error):
            Console.error(error.description)
            let count = error.diagnostics.count
            // Nothing past a YAML syntax error can be read: say so, or a fixed file's next run surprises.
            let syntax = error.diagnostics.contains { $0.message.hasPrefix("YAML syntax") }
            Console.error("\(path): \(count == 1 ? "1 problem" : "\(count) problems"); the plan was not loaded"
                          + (syntax ? " (a YAML syntax error stops the reading: fix it to see any problems after it)" : ""))
            throw ExitCode.usageOrPlanError
        }
    }
}

extension LaunchPlan {
    /// One line that says what the plan holds.
    var summary: String {
        func count(_ value: Int, _ noun: String, _ plural: String? = nil) -> String {
            "\(value) \(value == 1 ? noun : plural ?? noun + "s")"
        }
        let counts = [
            count(resolvers.count, "resolver"), count(dns.records.count, "DNS record"),
            count(httpChecks.count, "HTTP check"), count(tlsEndpoints.count, "TLS endpoint"),
            count(awsChecks.count, "AWS resource"), count(metricChecks.count, "metric"), count(commandChecks.count, "command"),
            count(alarmSources.count, "alarm source"), count(checklist.count, "checklist item"),
            count(roles.count, "role"), count(approvers.count, "approver"), count(holds.count, "hold"),
        ]
        return "\(name): zone \(zone), T-0 \(t0Description); \(counts.joined(separator: ", "))"
    }

    /// T-0 in UTC and in the plan's time zone.
    var t0Description: String {
        func format(_ zone: TimeZone) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            return formatter.string(from: t0)
        }
        let utc = "\(format(TimeZone(identifier: "UTC")!)) UTC"
        return ["UTC", "GMT"].contains(timeZone.identifier) ? utc : "\(utc) (\(format(timeZone)) \(timeZone.identifier))"
    }
}
