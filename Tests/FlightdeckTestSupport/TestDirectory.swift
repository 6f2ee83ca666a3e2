import CSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory of its own for one test run, removed when the test lets go of it.
public final class TestDirectory: Sendable {
    public let path: String

    public init(_ label: String) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("flightdeck-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
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

/// What a finished process printed, and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion and captures what it prints; `stdin` is its whole input
/// (none when nil).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: String? = nil, stdin: String? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let input = Pipe()
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
    }
    // Read before waiting, so a large output cannot fill the pipe and stall the child.
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self))
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

/// Starts a server: stdin the read end of `stdin` (a pipe whose write end the caller keeps
/// open: `openssl s_server` ends every connection once its stdin is at EOF) or /dev/null,
/// stdout on /dev/null, stderr to `stderrPath`, the signal mask and dispositions reset (the
/// test runner's threads block signals), and no other descriptor of this process
/// inherited. Its caller kills and reaps it.
public func spawnServer(_ executable: String, _ arguments: [String], stdin: Int32? = nil, stderrPath: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdin {
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_APPEND, 0)
    posix_spawn_file_actions_addclosefrom_np(&actions, 3)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    // Every signal back to its default but SIGPIPE, which stays ignored (as this process
    // has it): a server writing to a client that hung up (s_server answering a port probe)
    // must get EPIPE, not die.
    signal(SIGPIPE, SIG_IGN)
    var reset = sigset_t()
    sigfillset(&reset)
    sigdelset(&reset, SIGPIPE)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &reset)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let failed = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard failed == 0 else { throw CommandFailure(command: executable, status: -1, stderr: String(cString: strerror(failed))) }
    return pid
}

/// Runs a program in `directory` to its end with nothing of this process's inherited and
/// nothing read from it (it writes files): its exit status. Unlike `runProcess`, no pipe of
/// it can be held open by a long-lived process spawned at the same moment.
public func runInheritingNothing(_ executable: String, _ arguments: [String], in directory: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor: Int32 in [0, 1, 2] {
        posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    posix_spawn_file_actions_addclosefrom_np(&actions, 3)
    posix_spawn_file_actions_addchdir_np(&actions, directory)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let failed = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard failed == 0 else { throw CommandFailure(command: executable, status: -1, stderr: String(cString: strerror(failed))) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    return status
}

/// Runs a program that leaves a daemon behind (tmux starting its server) and waits for the
/// program itself only. Foundation's Process would also wait for the daemon, which inherits
/// the descriptor it watches.
public func spawnAndWait(_ executable: String, _ arguments: [String]) throws -> Int32 {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor: Int32 in [0, 1, 2] {
        posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    // The test runner's threads block signals; without this the daemon (and what it runs)
    // would inherit that mask and never hear SIGHUP or SIGTERM.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, executable, &actions, &attributes, argv, environ) == 0 else {
        throw CommandFailure(command: executable, status: -1, stderr: "posix_spawn failed")
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}
