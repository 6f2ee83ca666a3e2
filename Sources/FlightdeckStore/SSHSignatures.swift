import FlightdeckCore
import Foundation

/// Signs a journal entry as an approver. The journal asks for the signature inside its
/// write transaction, over the entry's canonical text.
public protocol EntrySigner: Sendable {
    var key: SSHPublicKey { get }
    func sign(_ message: [UInt8]) throws -> KeySignature
}

/// Why a key signature could not be made.
public struct SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Signing and verifying with OpenSSH's own tool: `ssh-keygen -Y sign` through the
/// approver's ssh-agent (forwarded over their SSH session; the private key never reaches
/// this host), and `ssh-keygen -Y verify` against the keys the plan lists.
public struct SSHAgentSigner: EntrySigner {
    public let key: SSHPublicKey
    private let environment: [String: String]

    /// The first of the approver's keys that the session's ssh-agent holds; nil when there
    /// is no agent or it holds none of them.
    public static func find(for approver: Approver, environment: [String: String] = ProcessInfo.processInfo.environment) -> SSHAgentSigner? {
        guard !approver.keys.isEmpty, let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty,
              let listed = try? SSHTool.run("ssh-add", ["-L"], environment: environment), listed.status == 0 else { return nil }
        let held = Set(String(decoding: listed.output, as: UTF8.self).split(separator: "\n").compactMap { line in
            try? SSHPublicKey.parse(String(line)).get()
        })
        return approver.keys.first(where: held.contains).map { SSHAgentSigner(key: $0, environment: environment) }
    }

    public func sign(_ message: [UInt8]) throws -> KeySignature {
        let directory = try SSHTool.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyFile = "\(directory)/key.pub"
        try Data((key.text + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        let result = try SSHTool.run("ssh-keygen", ["-q", "-Y", "sign", "-n", KeySignature.namespace, "-f", keyFile],
                                     input: message, environment: environment)
        let armored = String(decoding: result.output, as: UTF8.self)
        guard result.status == 0, armored.hasPrefix("-----BEGIN SSH SIGNATURE-----") else {
            throw SigningError(message: "the ssh-agent did not sign with \(key.type) key \(key.blob.suffix(12)) (ssh-keygen exited \(result.status))")
        }
        return KeySignature(key: key.text, signature: armored)
    }
}

public enum SSHSignatures {
    /// Whether `signature` is a good `flightdeck` signature over `message` by its key, and
    /// that key is one of `allowed`.
    public static func verify(_ message: [UInt8], _ signature: KeySignature, allowed: [SSHPublicKey]) -> Bool {
        guard let key = try? SSHPublicKey.parse(signature.key).get(), allowed.contains(key),
              let directory = try? SSHTool.scratchDirectory() else { return false }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let signers = "\(directory)/allowed_signers"
        let signatureFile = "\(directory)/entry.sig"
        do {
            try Data("approver \(key.text)\n".utf8).write(to: URL(fileURLWithPath: signers))
            try Data(signature.signature.utf8).write(to: URL(fileURLWithPath: signatureFile))
            let result = try SSHTool.run("ssh-keygen", ["-q", "-Y", "verify", "-f", signers, "-I", "approver", "-n", KeySignature.namespace,
                                                        "-s", signatureFile], input: message)
            return result.status == 0
        } catch {
            return false
        }
    }
}

/// Runs an OpenSSH tool from PATH with bytes on stdin, and collects stdout.
enum SSHTool {
    static func run(_ tool: String, _ arguments: [String], input: [UInt8] = [],
                    environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (status: Int32, output: [UInt8]) {
        let paths = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init) + ["/usr/bin"]
        guard let executable = paths.map({ "\($0)/\(tool)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SigningError(message: "\(tool) is not installed (Debian: apt install openssh-client)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, Array(output))
    }

    /// A private directory for the files ssh-keygen reads (mode 0700).
    static func scratchDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/flightdeck-ssh.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw SigningError(message: "cannot make a temporary directory") }
        return String(cString: made)
    }
}
