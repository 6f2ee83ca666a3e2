import CGlibc
import FlightdeckCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one program in a process group of its own, reads what it prints without blocking on
/// it, and kills the whole group at the timeout and once the program itself has exited: a
/// child it forked and left behind never outlives the run (nor holds its pipes open).
struct ChildProcess {
    var argv: [String]
    var workingDirectory: String
    var environment: [String: String]
    var timeout: Duration
    /// Standard output is kept up to this many bytes (a TAP stream is read from it).
    var outputCap = 16 << 20

    struct Finished {
        var ending: CommandRun.Ending
        var duration: Duration
        var standardOutput: [UInt8]
        /// The last lines of standard output and error as they arrived, made safe to show.
        var tail: [String]
    }

    /// Runs it on a thread of its own (a suite may take minutes) and returns when it is over.
    func run() async -> Finished {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: runBlocking()) }
            thread.name = "flightdeck command"
            thread.start()
        }
    }

    func runBlocking() -> Finished {
        let started = ContinuousClock.now
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else {
            return Finished(ending: .couldNotStart("no pipes: \(String(cString: strerror(errno)))"), duration: .zero, standardOutput: [], tail: [])
        }
        for descriptor in [outputPipe[0], errorPipe[0]] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        // Nothing else of Flightdeck's (sockets, the journal, other commands' pipes) reaches
        // the command, or a child it leaves behind.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        posix_spawn_file_actions_addchdir_np(&actions, workingDirectory)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own, so the timeout reaches every process it starts; signals as a
        // fresh process has them, whatever this one blocks or ignores.
        posix_spawnattr_setpgroup(&attributes, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        // posix_spawnp looks the program up on this process's PATH, as a shell would.
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, arguments, variables)
        close(outputPipe[1])
        close(errorPipe[1])
        defer {
            close(outputPipe[0])
            close(errorPipe[0])
        }
        guard spawned == 0 else {
            let why = spawned == ENOENT ? "no program `\(argv[0])` on PATH, or no directory \(workingDirectory)" : String(cString: strerror(spawned))
            return Finished(ending: .couldNotStart(why), duration: .zero, standardOutput: [], tail: [])
        }
        var output: [UInt8] = []
        var tail = OutputTail()
        var ending: CommandRun.Ending?
        var exitedAt: ContinuousClock.Instant?
        var killedAt: ContinuousClock.Instant?
        var open = [outputPipe[0], errorPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let now = ContinuousClock.now
            if ending == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    let signal = status & 0x7F
                    ending = killedAt != nil ? .timedOut : signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
                    exitedAt = now
                    // Whatever it left running goes with it.
                    kill(-pid, SIGKILL)
                } else if killedAt == nil, now - started >= timeout {
                    kill(-pid, SIGTERM)
                    killedAt = now
                } else if let killedAt, now - killedAt >= .seconds(2) {
                    kill(-pid, SIGKILL)
                }
            }
            // Once it has exited, what is still in the pipes is read; a descendant that kept
            // them open is dead by now, so they end soon.
            if open.isEmpty || (exitedAt.map { now - $0 >= .milliseconds(500) } ?? false), ending != nil { break }
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            _ = poll(&descriptors, nfds_t(descriptors.count), 50)
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count <= 0 {
                    open.removeAll { $0 == descriptor.fd }
                    continue
                }
                let chunk = buffer[0..<count]
                if descriptor.fd == outputPipe[0], output.count < outputCap { output += chunk.prefix(outputCap - output.count) }
                tail.add(chunk, from: descriptor.fd)
            }
        }
        return Finished(ending: ending ?? .timedOut, duration: ContinuousClock.now - started, standardOutput: output, tail: tail.lines)
    }
}

/// The last lines a command printed, kept as they arrive in bounded memory, each made safe
/// to show (escape sequences and controls cannot reach the terminal).
struct OutputTail {
    private var complete: [String] = []
    private var partial: [Int32: [UInt8]] = [:]

    mutating func add(_ bytes: ArraySlice<UInt8>, from descriptor: Int32) {
        var pending = partial[descriptor, default: []]
        for byte in bytes {
            if byte == 0x0A {
                append(pending)
                pending.removeAll(keepingCapacity: true)
            } else if pending.count < 1024 {
                pending.append(byte)
            }
        }
        partial[descriptor] = pending
    }

    private mutating func append(_ line: [UInt8]) {
        // A progress bar rewrites its line with carriage returns: what shows is the last part.
        let shown = line.split(separator: 0x0D, omittingEmptySubsequences: true).last ?? []
        complete.append(RemoteText.sanitize(Self.withoutEscapeSequences(shown), limit: 200))
        if complete.count > CommandRun.tailLines { complete.removeFirst(complete.count - CommandRun.tailLines) }
    }

    /// Colours and cursor movement (CSI, `ESC [ ... letter`) and titles (OSC, `ESC ] ... BEL`)
    /// are dropped whole, so `ESC[32mPASS` shows as `PASS`; any other control is replaced
    /// when the line is sanitised.
    static func withoutEscapeSequences(_ line: ArraySlice<UInt8>) -> [UInt8] {
        var result: [UInt8] = []
        var index = line.startIndex
        while index < line.endIndex {
            guard line[index] == 0x1B, line.index(after: index) < line.endIndex else {
                result.append(line[index])
                index += 1
                continue
            }
            let kind = line[index + 1]
            index += 2
            if kind == UInt8(ascii: "[") {
                while index < line.endIndex, !(0x40...0x7E).contains(line[index]) { index += 1 }
                index += 1
            } else if kind == UInt8(ascii: "]") {
                while index < line.endIndex, line[index] != 0x07, line[index] != 0x1B { index += 1 }
                // The string ends with BEL, or with ST (`ESC \\`).
                if index < line.endIndex, line[index] == 0x1B { index += 1 }
                index += 1
            }
        }
        return result
    }

    var lines: [String] {
        var copy = self
        for descriptor in partial.keys.sorted() where !(partial[descriptor]?.isEmpty ?? true) { copy.append(partial[descriptor]!) }
        return copy.complete
    }
}
