import CGlibc
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start: every child of the test process is started this way.
///
/// It gets its three standard streams and nothing else of this process (no socket of an
/// in-process server, no pipe another child reads to its end), and a fresh signal mask:
/// the test runner's threads block signals, and a child inheriting that mask ignores
/// SIGTERM for good (ssh-agents outlived their runs so). SIGPIPE stays ignored, as in this
/// process: a server writing to a client that hung up gets EPIPE instead of dying.
///
/// Foundation's Process is not used: its child keeps a socket open whose end tells the
/// parent it exited, and a long-lived server spawned at the same moment that inherited it
/// made `waitUntilExit` wait for that server instead.
public final class ChildUnderTest: @unchecked Sendable {
    /// Where one standard stream goes.
    public enum Stream {
        case null
        /// A descriptor of this process, duplicated onto the stream.
        case descriptor(Int32)
        /// A file, created if missing, written at its end.
        case file(String)
    }

    /// How it ended.
    public enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)

        /// The exit status, or the signal's number, as Foundation's `terminationStatus` gives it.
        public var status: Int32 {
            switch self {
            case .exited(let status), .signalled(let status): status
            }
        }
    }

    public let pid: pid_t
    private let ending = Mutex<Ending?>(nil)

    public init(_ executable: String, _ arguments: [String], stdin: Stream = .null, stdout: Stream = .null,
                stderr: Stream = .null, environment: [String: String]? = nil, directory: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .file(let path): posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            }
        }
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        if let directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        Glibc.signal(SIGPIPE, SIG_IGN)
        var reset = sigset_t()
        sigfillset(&reset)
        sigdelset(&reset, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &reset)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = environment.map { $0.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            variables?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let failed = variables.map { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard failed == 0 else {
            throw CommandFailure(command: ([executable] + arguments).joined(separator: " "), status: -1, stderr: String(cString: strerror(failed)))
        }
        self.pid = pid
    }

    /// Killed and reaped if nobody waited for it.
    deinit { stop() }

    public func signal(_ number: Int32) {
        guard ending.withLock({ $0 == nil }) else { return }
        kill(pid, number)
    }

    /// SIGKILL, then reaped.
    public func stop() {
        signal(SIGKILL)
        wait()
    }

    /// Waits for it to end.
    @discardableResult
    public func wait() -> Ending {
        ending.withLock { ending in
            if let ending { return ending }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            let ended = Self.ending(status)
            ending = ended
            return ended
        }
    }

    /// Waits at most `seconds` for it to end: how, or nil while it still runs.
    public func wait(seconds: Double) -> Ending? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let found: Ending? = ending.withLock { ending in
                if let ending { return ending }
                var status: Int32 = 0
                guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
                ending = Self.ending(status)
                return ending
            }
            if let found { return found }
            if Date() >= deadline { return nil }
            usleep(20_000)
        }
    }

    private static func ending(_ status: Int32) -> Ending {
        status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
    }
}

/// What a finished process printed, and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// `runProcess` for async tests, waiting on a thread of its own: a test that waits for a
/// child on the two shared threads holds one, and tests that need them (a poller on a real
/// clock, probes with deadlines) starve.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: String? = nil, stdin: String? = nil) async throws -> ProcessResult {
    try await offThePool { try runProcess(executable, arguments, environment: environment, in: directory, stdin: stdin) }
}

/// Runs a program to completion and captures what it prints; `stdin` is its whole input
/// (none when nil).
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       in directory: String? = nil, stdin: String? = nil) throws -> ProcessResult {
    var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], input: [Int32] = [-1, -1]
    guard pipe2(&output, O_CLOEXEC) == 0, pipe2(&errors, O_CLOEXEC) == 0, stdin == nil || pipe2(&input, O_CLOEXEC) == 0 else {
        throw LoopbackSocket.posixError("pipe")
    }
    let child: ChildUnderTest
    do {
        child = try ChildUnderTest(executable, arguments, stdin: stdin == nil ? .null : .descriptor(input[0]),
                                   stdout: .descriptor(output[1]), stderr: .descriptor(errors[1]),
                                   environment: environment, directory: directory)
    } catch {
        (output + errors + input).filter { $0 >= 0 }.forEach { close($0) }
        throw error
    }
    for end in [output[1], errors[1], input[0]] where end >= 0 { close(end) }
    var pending = Array((stdin ?? "").utf8)
    if input[1] >= 0 {
        _ = fcntl(input[1], F_SETFL, fcntl(input[1], F_GETFL) | O_NONBLOCK)
        if pending.isEmpty {
            close(input[1])
            input[1] = -1
        }
    }
    // Both outputs read as they come (and the input written as it is taken), so no full pipe stalls the child.
    var captured: [Int32: [UInt8]] = [output[0]: [], errors[0]: []]
    var open = [output[0], errors[0]]
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !open.isEmpty || input[1] >= 0 {
        var watched = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if input[1] >= 0 { watched.append(pollfd(fd: input[1], events: Int16(POLLOUT), revents: 0)) }
        guard poll(&watched, nfds_t(watched.count), -1) >= 0 || errno == EINTR else { break }
        for entry in watched where entry.revents != 0 {
            if entry.fd == input[1] {
                let written = pending.withUnsafeBytes { write(input[1], $0.baseAddress, $0.count) }
                if written > 0 { pending.removeFirst(written) }
                if pending.isEmpty || (written < 0 && errno != EAGAIN && errno != EINTR) {
                    close(input[1])
                    input[1] = -1
                }
                continue
            }
            let count = read(entry.fd, &buffer, buffer.count)
            if count > 0 {
                captured[entry.fd, default: []].append(contentsOf: buffer[0..<count])
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                close(entry.fd)
                open.removeAll { $0 == entry.fd }
            }
        }
    }
    open.forEach { close($0) }
    if input[1] >= 0 { close(input[1]) }
    return ProcessResult(status: child.wait().status, stdout: String(decoding: captured[output[0]] ?? [], as: UTF8.self),
                         stderr: String(decoding: captured[errors[0]] ?? [], as: UTF8.self))
}

/// Runs `work`, which blocks (a server starting, a child waited for, a connection that
/// takes its time), on a thread of its own: the few threads every async test shares are
/// not held meanwhile, so timing tests beside it do not starve.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
