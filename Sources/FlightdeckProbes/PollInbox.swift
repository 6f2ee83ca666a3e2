import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Work handed to a thread that waits in poll(2): callers append a job and wake the thread
/// through a pipe, which it polls beside its sockets.
public final class PollInbox<Job: Sendable>: Sendable {
    /// Poll this for POLLIN; call `drainWake()` when it is readable.
    public let wakeDescriptor: Int32
    private let wakeWrite: Int32
    private let jobs = Mutex<[Job]>([])

    public init() {
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        for end in ends { _ = fcntl(end, F_SETFL, O_NONBLOCK) }
        wakeDescriptor = ends[0]
        wakeWrite = ends[1]
    }

    public func submit(_ job: Job) {
        jobs.withLock { $0.append(job) }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Every job submitted since the last call.
    public func take() -> [Job] {
        jobs.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }

    public func drainWake() {
        var drain = [UInt8](repeating: 0, count: 256)
        while read(wakeDescriptor, &drain, drain.count) > 0 {}
    }
}
