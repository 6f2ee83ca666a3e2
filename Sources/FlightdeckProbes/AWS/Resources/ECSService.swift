import FlightdeckCore
import Foundation

/// An ECS service (DescribeServices, ListTasks, DescribeTasks, and Application Auto
/// Scaling's DescribeScalableTargets): ACTIVE, every desired task running, one deployment
/// and it COMPLETED, no task stopped by a failed health check lately, scaling registered.
enum ECSService {
    static let target = "AmazonEC2ContainerServiceV20141113"

    static func read(_ client: AWSClient, cluster: String, service: String, minimumRunning: Int?, stoppedWithin: Duration,
                     scaling: ClosedRange<Int>?, now: Date = Date()) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        let described = await client.json(service: "ecs", target: "\(target).DescribeServices", ["cluster": cluster, "services": [service]])
        guard case .success(let document) = described else { return described.map { _ in (AWSFindings(), "") } }
        var stopped: [[String: Any]] = []
        let listed = await client.json(service: "ecs", target: "\(target).ListTasks", ["cluster": cluster, "serviceName": service, "desiredStatus": "STOPPED"])
        if case .success(let list) = listed, let arns = list["taskArns"] as? [String], !arns.isEmpty {
            let tasks = await client.json(service: "ecs", target: "\(target).DescribeTasks", ["cluster": cluster, "tasks": Array(arns.prefix(100))])
            if case .success(let described) = tasks { stopped = described.objects("tasks") }
        }
        var targets: [[String: Any]]?
        if scaling != nil {
            let scalable = await client.json(service: "application-autoscaling", target: "AnyScaleFrontendService.DescribeScalableTargets", [
                "ServiceNamespace": "ecs", "ResourceIds": ["service/\(cluster)/\(service)"], "ScalableDimension": "ecs:service:DesiredCount",
            ])
            guard case .success(let found) = scalable else { return scalable.map { _ in (AWSFindings(), "") } }
            targets = found.objects("ScalableTargets")
        }
        return .success(judge(document, cluster: cluster, service: service, minimumRunning: minimumRunning, stoppedTasks: stopped,
                              stoppedWithin: stoppedWithin, scaling: scaling, scalableTargets: targets, now: now))
    }

    static func judge(_ document: [String: Any], cluster: String, service: String, minimumRunning: Int?, stoppedTasks: [[String: Any]],
                      stoppedWithin: Duration, scaling: ClosedRange<Int>?, scalableTargets: [[String: Any]]?,
                      now: Date) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        guard let found = document.objects("services").first else {
            let reason = document.objects("failures").first?.text("reason") ?? "MISSING"
            findings.expect(false, "no service \(service) in cluster \(cluster) (\(reason))")
            return (findings, "")
        }
        let status = found.text("status") ?? "unknown"
        let running = Int(found.number("runningCount") ?? 0)
        let desired = Int(found.number("desiredCount") ?? 0)
        let pending = Int(found.number("pendingCount") ?? 0)
        findings.observed = ["status": .text(status), "running": .number(Double(running)), "desired": .number(Double(desired)),
                             "pending": .number(Double(pending))]
        findings.expect(status == "ACTIVE", "the service is \(status), not ACTIVE")
        findings.expect(running >= desired, "\(running) of \(desired) tasks running\(pending > 0 ? " (\(pending) pending)" : "")")
        if let minimumRunning {
            findings.expect(running >= minimumRunning, "\(running) tasks running; the plan requires at least \(minimumRunning)")
        }
        let deployments = found.objects("deployments")
        let primary = deployments.filter { $0.text("status") == "PRIMARY" }
        let rollout = primary.first?.text("rolloutState") ?? "unknown"
        findings.observed["deployments"] = .number(Double(deployments.count))
        findings.observed["rollout"] = .text(rollout)
        findings.expect(primary.count == 1, "\(primary.count) PRIMARY deployments, not one")
        findings.expect(rollout != "FAILED", "the deployment FAILED: \(primary.first?.text("rolloutStateReason") ?? "no reason given")")
        findings.expect(rollout == "COMPLETED" || rollout == "FAILED", "a deployment is rolling out (\(rollout))", else: .warn)
        findings.expect(deployments.count <= 1, "\(deployments.count) deployments at once: the old tasks are still draining", else: .warn)
        let window = Double(stoppedWithin.components.seconds)
        let unhealthy = stoppedTasks.filter { task in
            let reason = task.text("stoppedReason")?.lowercased() ?? ""
            return reason.contains("health check") && (task.date("stoppedAt").map { now.timeIntervalSince($0) <= window } ?? false)
        }
        if let task = unhealthy.first {
            let minutes = Int((now.timeIntervalSince(task.date("stoppedAt") ?? now) / 60).rounded())
            let id = task.text("taskArn")?.split(separator: "/").last.map(String.init) ?? "a task"
            findings.expect(false, "\(unhealthy.count == 1 ? "task \(id)" : "\(unhealthy.count) tasks") stopped by a failed health check \(minutes)m ago: \(task.text("stoppedReason") ?? "")")
        }
        var scales = ""
        if let scaling, let targets = scalableTargets {
            if let registered = targets.first {
                let low = Int(registered.number("MinCapacity") ?? -1), high = Int(registered.number("MaxCapacity") ?? -1)
                scales = ", scales \(low) to \(high)"
                findings.observed["scaling"] = .text("\(low) to \(high)")
                findings.expect(low == scaling.lowerBound && high == scaling.upperBound,
                                "it scales \(low) to \(high); the plan expects \(scaling.lowerBound) to \(scaling.upperBound)")
            } else {
                findings.expect(false, "no Application Auto Scaling target is registered for it")
            }
        }
        return (findings, "ACTIVE, \(running) of \(desired) tasks running, deployment \(rollout)\(scales)")
    }
}
