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

    /// Wakes the thread only when the queue was empty: a queue with jobs in it has a wake
    /// pending already, since the thread drains the pipe before it takes the jobs.
    public func submit(_ job: Job) {
        submit(contentsOf: CollectionOfOne(job))
    }

    /// Hands over several jobs at once, under one lock and with at most one wake.
    public func submit(contentsOf batch: some Collection<Job>) {
        guard !batch.isEmpty else { return }
        let wasEmpty = jobs.withLock { queue in
            queue.append(contentsOf: batch)
            return queue.count == batch.count
        }
        guard wasEmpty else { return }
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
        var drain: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &drain, { read(wakeDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
