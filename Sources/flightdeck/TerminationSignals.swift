import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C, kill, an SSH drop), turned into a call to whoever
/// runs now: the cockpit or the watch, which end as on `q`. Installed once per process, as
/// early as a command can: a signal that comes while the handler is being set up must not
/// be lost, nor kill the process before it has cleaned up.
enum TerminationSignals {
    private struct Listening: ~Copyable {
        var sources: [any DispatchSourceSignal] = []
        var received = false
        var handler: (@Sendable () -> Void)?
    }

    private static let listening = Mutex(Listening())

    static func install() {
        listening.withLock { listening in
            guard listening.sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber)
                source.setEventHandler { markReceived()?() }
                source.resume()
                listening.sources.append(source)
            }
        }
    }

    /// Whether a signal has come since `install`.
    static var received: Bool { listening.withLock { $0.received } }

    /// Calls `handler` on the next signal, or now if one has already come; nil stops calling.
    static func onReceive(_ handler: (@Sendable () -> Void)?) {
        install()
        let now = listening.withLock { listening in
            listening.handler = handler
            return listening.received ? handler : nil
        }
        now?()
    }

    /// Notes that a signal came; returns whom to tell.
    private static func markReceived() -> (@Sendable () -> Void)? {
        listening.withLock { listening in
            listening.received = true
            return listening.handler
        }
    }
}
