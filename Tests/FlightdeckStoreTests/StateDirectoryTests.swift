import FlightdeckCore
import FlightdeckStore
import Foundation
import Testing

@Suite("State directory")
struct StateDirectoryTests {
    private func plan(stateDir: String?) throws -> LaunchPlan {
        let yaml = """
            launch:
              name: T
              zone: example.test
              t0: 2026-12-01T14:00Z
              timezone: UTC
            \(stateDir.map { "  state_dir: \($0)" } ?? "")
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            """
        return try PlanLoader(environment: [:]).load(text: yaml, file: "t.yaml").get()
    }

    @Test("by default, beside the plan and named after it")
    func besideThePlan() throws {
        #expect(StateDirectory(planPath: "/srv/launch/directfanz.yaml", plan: try plan(stateDir: nil)).path
                == "/srv/launch/directfanz.flightdeck")
    }

    @Test("a relative state_dir is relative to the plan, not to the working directory")
    func relative() throws {
        #expect(StateDirectory(planPath: "/srv/launch/directfanz.yaml", plan: try plan(stateDir: "../state/df")).path
                == "/srv/state/df")
    }

    @Test("an absolute state_dir is kept")
    func absolute() throws {
        #expect(StateDirectory(planPath: "/srv/launch/p.yaml", plan: try plan(stateDir: "/var/lib/flightdeck/df")).path
                == "/var/lib/flightdeck/df")
    }
}
