import Foundation

/// A real ssh-agent on a socket of its own, holding keys made for the test: what an
/// approver's forwarded agent is on the bastion.
public final class SSHAgent: @unchecked Sendable {
    public let directory: TestDirectory
    public let socket: String
    private let process: ChildUnderTest

    public init() throws {
        directory = try TestDirectory("ssh-agent")
        socket = directory.file("agent.sock")
        process = try ChildUnderTest("/usr/bin/ssh-agent", ["-D", "-a", socket])
        ExitCleanup.register { [process] in process.stop() }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
    }

    deinit { process.stop() }

    /// The environment a session with this agent forwarded has.
    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SSH_AUTH_SOCK"] = socket
        return environment
    }

    /// A new key pair; with `load`, the agent holds its private half. Returns the public
    /// key's line, as a plan lists it.
    public func makeKey(_ name: String, type: String = "ed25519", load: Bool = true) throws -> String {
        let path = directory.file(name)
        try runCommand("/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", path])
        if load {
            let added = try runProcess("/usr/bin/ssh-add", ["-q", path], environment: environment)
            guard added.status == 0 else { throw CommandFailure(command: "ssh-add \(path)", status: added.status, stderr: added.stderr) }
        }
        return try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Signs `message` as the reference tool does, with the key file itself (no agent).
    public func signWithFile(_ name: String, _ message: String) throws -> String {
        let input = directory.file("message-\(UUID().uuidString.prefix(6))")
        try Data(message.utf8).write(to: URL(fileURLWithPath: input))
        try runCommand("/usr/bin/ssh-keygen", ["-q", "-Y", "sign", "-n", "flightdeck", "-f", directory.file(name), input])
        return try String(contentsOfFile: input + ".sig", encoding: .utf8)
    }
}
