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

    /// The screen with its colours and attributes, as SGR escape sequences.
    func styledScreen() throws -> [String] {
        try run(["capture-pane", "-p", "-e", "-t", session]).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
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
        while true {
            last = try screen()
            if condition(last) { return last }
            // Looked at once more after the deadline: a busy machine may wake this late.
            if Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("gave up waiting for \(what); the screen was:\n\(last.joined(separator: "\n"))")
        return last
    }

    /// Starts the server and the window; the server outlives the call.
    func start(width: Int, height: Int, command: String) throws {
        // Waits for tmux itself, not the server it leaves behind.
        let ending = try ChildUnderTest("/usr/bin/tmux", ["-L", socket, "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(height)", command]).wait()
        #expect(ending == .exited(0))
    }

    func kill() { _ = try? run(["kill-server"]) }
}

/// The colours each visible character of a `capture-pane -e` line is drawn in, from its SGR
/// sequences: palette indices (0-255), nil for the terminal's default.
func drawnColours(_ line: String) -> [(character: Character, foreground: Int?, background: Int?)] {
    var cells: [(Character, Int?, Int?)] = []
    var foreground: Int?
    var background: Int?
    var reversed = false
    var characters = Array(line)[...]
    while let character = characters.popFirst() {
        guard character == "\u{1B}", characters.first == "[" else {
            cells.append(reversed ? (character, background, foreground) : (character, foreground, background))
            continue
        }
        characters.removeFirst()
        var parameters = ""
        while let next = characters.popFirst(), next != "m" { parameters.append(next) }
        var codes = parameters.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }[...]
        while let code = codes.popFirst() {
            switch code {
            case 0: foreground = nil; background = nil; reversed = false
            case 7: reversed = true
            case 27: reversed = false
            case 30...37: foreground = code - 30
            case 90...97: foreground = code - 90 + 8
            case 39: foreground = nil
            case 40...47: background = code - 40
            case 100...107: background = code - 100 + 8
            case 49: background = nil
            case 38, 48:
                if codes.first == 5, codes.count >= 2 {
                    codes.removeFirst()
                    let index = codes.removeFirst()
                    if code == 38 { foreground = index } else { background = index }
                }
            default: break
            }
        }
    }
    return cells
}
