import Foundation
import Synchronization

/// Work to do when the test process exits: stopping servers shared by many tests, which no
/// single test owns.
public enum ExitCleanup {
    private static let actions = Mutex<[@Sendable () -> Void]>([])
    private static let installed = Atomic<Bool>(false)

    public static func register(_ action: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(action) }
        if !installed.exchange(true, ordering: .sequentiallyConsistent) {
            atexit { ExitCleanup.runAll() }
        }
    }

    /// Last registered first, as atexit runs its own: a server stops before the directory it
    /// was started in (registered when that was made) is removed.
    private static func runAll() {
        for action in actions.withLock({ $0 }).reversed() { action() }
    }
}
