import FlightdeckCore
import Foundation

/// The demo's clock: world time runs `speed` times faster than the wall clock, from the
/// moment the demo starts. Everything the servers say about time (DNS TTLs) is turned back
/// into real seconds, so the probes see a consistent, only faster, world.
public struct DemoClock: Sendable {
    public let speed: Double
    private let start: ContinuousClock.Instant

    public init(speed: Double) {
        self.speed = speed
        start = .now
    }

    /// Seconds of world time since the demo started.
    public var world: Double {
        start.duration(to: .now).timeInterval * speed
    }

    /// A span of world time as real time.
    public func real(_ worldSeconds: Double) -> Duration {
        .milliseconds(Int64((worldSeconds / speed * 1000).rounded()))
    }

    /// A TTL of world seconds as the real seconds a cache keeps it (at least 1).
    public func wireTTL(_ worldSeconds: UInt32) -> UInt32 {
        max(1, UInt32((Double(worldSeconds) / speed).rounded()))
    }
}

/// The story the demo tells, in world seconds from the start. Every pane gets something
/// real to show: the probes find each of these by themselves.
public enum DemoScript {
    /// The registrar switches the parent's delegation from the old provider to the new one.
    public static let cutover = 20.0
    /// The old provider signs the zone and the parent holds its DS; the DS is removed here,
    /// and validators have forgotten it and the key it named (their TTL later) before the cutover.
    public static let dsRemoved = 9.0
    /// Of the parent's DS and of the old provider's DNSKEY set.
    static let dsTTL: UInt32 = 6
    /// Until then the apex is served the wildcard certificate, which does not cover it.
    public static let apexCertificateDeployed = 40.0
    /// The API health endpoint fails for 3 s in every 10 (fewer polls than the red rule
    /// needs, so the only alarm is the flapping one).
    public static let apiFlapping = 50.0..<110.0
    /// The home page answers 350 ms late: over its 200 ms budget.
    public static let homeSlow = 70.0..<130.0
    public static let homeSlowBy = Duration.milliseconds(350)
    /// The checkout error-rate alert fires in the external alerting system, then clears.
    public static let checkoutAlert = 120.0..<160.0
    /// The API's ECS service starts with 2 of its 4 tasks running; the other two are up by then.
    public static let apiScaledUp = 45.0
    /// The API's p95 latency (a Prometheus metric) goes over its 200 ms line, once.
    public static let p95Breach = 90.0..<125.0
    /// By then every cache holds the new records and every alarm has cleared.
    public static let storyEnds = 210.0

    /// Seconds the parent's NS records and the old records live in caches.
    public static let delegationTTL: UInt32 = 60
    public static let oldRecordTTL: UInt32 = 120
    public static let newRecordTTL: UInt32 = 300

    public static func delegatesToNewProvider(at time: Double) -> Bool { time >= cutover }
    public static func apexHasItsCertificate(at time: Double) -> Bool { time >= apexCertificateDeployed }
    public static func apiFails(at time: Double) -> Bool {
        apiFlapping.contains(time) && (time - apiFlapping.lowerBound).truncatingRemainder(dividingBy: 10) < 3
    }
    public static func homeDelay(at time: Double) -> Duration { homeSlow.contains(time) ? homeSlowBy : .zero }
    public static func checkoutAlertFiring(at time: Double) -> Bool { checkoutAlert.contains(time) }
    public static func apiTasksRunning(at time: Double) -> Int { time >= apiScaledUp ? 4 : 2 }
    /// Seconds: 120 ms, or 260 ms during the breach.
    public static func apiP95(at time: Double) -> Double { p95Breach.contains(time) ? 0.26 : 0.12 }
    /// The live stream's media sequence: one 2-second segment after another.
    public static func mediaSequence(at time: Double) -> Int { 1000 + Int(time / 2) }
}
