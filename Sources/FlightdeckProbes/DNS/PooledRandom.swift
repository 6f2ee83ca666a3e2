import CGlibc
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's random numbers (getrandom), drawn a page at a time instead of one system
/// call per number: query ids stay as unpredictable as RFC 5452 asks.
struct PooledRandom: RandomNumberGenerator {
    private var pool = [UInt64](repeating: 0, count: 512)
    private var used = 512

    mutating func next() -> UInt64 {
        if used == pool.count {
            pool.withUnsafeMutableBytes { buffer in
                var filled = 0
                while filled < buffer.count {
                    let count = getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0)
                    if count > 0 {
                        filled += count
                    } else if errno != EINTR {
                        fatalError("the kernel's random numbers are unavailable: \(String(cString: strerror(errno)))")
                    }
                }
            }
            used = 0
        }
        defer { used += 1 }
        return pool[used]
    }
}
