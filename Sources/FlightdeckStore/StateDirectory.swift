import Foundation
import FlightdeckCore

/// Where a plan's shared launch state lives: the plan's `state_dir`, relative to the plan
/// file, or by default a directory beside the plan named after it (`launch.yaml` keeps its
/// state in `launch.flightdeck/`), so every process on the host that opens the same plan
/// shares one state.
public struct StateDirectory: Sendable, Equatable {
    public let path: String

    public init(planPath: String, plan: LaunchPlan) {
        let planURL = URL(fileURLWithPath: planPath).standardizedFileURL
        let planDirectory = planURL.deletingLastPathComponent()
        if let configured = plan.stateDirectory {
            path = configured.hasPrefix("/")
                ? URL(fileURLWithPath: configured).standardizedFileURL.path
                : planDirectory.appendingPathComponent(configured).standardizedFileURL.path
        } else {
            let name = planURL.deletingPathExtension().lastPathComponent
            path = planDirectory.appendingPathComponent("\(name).flightdeck").path
        }
    }
}
