import FlightdeckTestSupport
import Foundation
import Testing

/// tmux on a socket of its own, driving one session (more sessions share the server).
struct Tmux {
    var socket = "flightdeck-\(UUID().uuidString.prefix(8))"
    var session = "cockpit"

    /// Another session on the same server.
    func session(_ name: String) -> Tmux {
        Tmux(socket: socket, session: name)
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        try runCommand("/usr/bin/tmux", ["-L", socket] + arguments)
    }

    func screen() throws -> [String] {
        var lines = try run(["capture-pane", "-p", "-t", session]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    func keys(_ keys: String...) throws {
        try run(["send-keys", "-t", session] + keys)
    }

    /// Waits for a screen that satisfies `condition`; returns the last screen seen.
    @discardableResult
    /// Asleep between looks without holding one of the few threads every async test shares.
    func wait(for what: String, seconds: Double = 10, _ condition: ([String]) -> Bool) async throws -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String] = []
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("gave up waiting for \(what); the screen was:\n\(last.joined(separator: "\n"))")
        return last
    }

    /// Starts the server and the window; the server outlives the call.
    func start(width: Int, height: Int, command: String) throws {
        let status = try spawnAndWait("/usr/bin/tmux", ["-L", socket, "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", command])
        #expect(status == 0)
    }

    func kill() { _ = try? run(["kill-server"]) }
}
