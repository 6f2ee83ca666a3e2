import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory of its own for one test run, removed when the test lets go of it or, at the
/// latest, when the test process exits.
public final class TestDirectory: Sendable {
    public let path: String

    public init(_ label: String) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("flightdeck-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Servers' threads keep theirs alive to the end of the run, and shared ones live in globals.
        ExitCleanup.register { [path] in try? FileManager.default.removeItem(atPath: path) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    public func write(_ text: String, to name: String) throws {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
    }
}

/// The path of an executable the package builds: it sits beside the test bundle, in the
/// build directory or one above it.
public func builtExecutable(_ name: String) -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
        directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent(name).path
}

/// Runs a command to completion and returns its output; throws with stderr when it fails.
@discardableResult
public func runCommand(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> String {
    let result = try runProcess(executable, arguments, in: directory)
    guard result.status == 0 else {
        throw CommandFailure(command: ([executable] + arguments).joined(separator: " "), status: result.status, stderr: result.stderr)
    }
    return result.stdout
}

public struct CommandFailure: Error, CustomStringConvertible {
    public init(command: String, status: Int32, stderr: String) {
        self.command = command
        self.status = status
        self.stderr = stderr
    }

    public var command: String
    public var status: Int32
    public var stderr: String
    public var description: String { "`\(command)` exited \(status): \(stderr)" }
}
