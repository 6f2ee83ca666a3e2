import COpenSSL
import FlightdeckCore
import FlightdeckStore
import Foundation
import Synchronization

/// A whole simulated go-live on loopback, inside this process: the launch's web servers
/// and certificates, the parent zone, the old and new DNS providers, five caching
/// resolvers, an Alertmanager, and the plan that watches them, in a temporary directory
/// removed by `stop`. Nothing in it is special to Flightdeck: the probes, the cockpit and
/// the journal treat it as they would production.
public final class DemoWorld: Sendable {
    public struct Approver: Sendable {
        public let name: String
        public let role: String
        public let pin: String
    }

    /// The demo's approvers and their PINs (demo fixtures, printed for visitors).
    public static let approvers = [
        Approver(name: "Dana Whitfield", role: "infrastructure", pin: "1001"),
        Approver(name: "Miguel Soto", role: "application", pin: "2002"),
        Approver(name: "Priya Raman", role: "security", pin: "3003"),
        Approver(name: "Sam Okafor", role: "business", pin: "4004"),
        Approver(name: "Alex Moreau", role: "launch-director", pin: "5005"),
    ]

    public static let zone = "directfanz.test"
    public static let speeds = 1.0...60.0

    /// The temporary directory holding the plan, the CA certificate and the launch state.
    public let directory: String
    public let planPath: String
    public let clock: DemoClock
    private let dnsServers: [DemoDNSServer]
    private let httpServers: [DemoHTTPServer]

    /// The in-world addresses: each server its own loopback IP.
    enum Address {
        static let parent = "127.0.0.11"
        static let newProvider = ["127.0.0.21", "127.0.0.22"]
        static let oldProvider = "127.0.0.31"
        static let web = "127.0.0.80"
        static let oldWeb = "127.0.0.90"
        static let alertmanager = "127.0.0.93"
        static let cloud = "127.0.0.94"
    }

    /// Each resolver: its address, how long ago (world seconds) its cache was filled, the
    /// TTL it caps records at, and the transport the plan asks it over.
    static let resolvers: [(name: String, ip: String, age: Double, maxTTL: UInt32?, transport: String?)] = [
        ("isp-north", "127.0.0.41", 0, nil, nil),
        ("isp-south", "127.0.0.42", 25, nil, nil),
        ("public-anycast", "127.0.0.43", 50, nil, nil),
        ("corp-office", "127.0.0.44", 75, nil, "tcp"),
        ("mobile-carrier", "127.0.0.45", 100, 30, nil),
    ]

    public init(speed: Double) throws {
        guard Self.speeds.contains(speed) else {
            throw DemoError("--speed must be between \(Int(Self.speeds.lowerBound)) and \(Int(Self.speeds.upperBound))")
        }
        let clock = DemoClock(speed: speed)
        self.clock = clock
        // Servers write to clients that may have hung up: that is an error to handle, not a signal.
        signal(SIGPIPE, SIG_IGN)
        let temporary = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var template = Array("\(temporary)/flightdeck-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw DemoError.posix("mkdtemp") }
        directory = String(cString: made)
        planPath = "\(directory)/demo.yaml"
        var dnsServers: [DemoDNSServer] = []
        var httpServers: [DemoHTTPServer] = []
        do {
            let zones = try DemoZones(zone: Self.zone)
            let dsShown = DSShown()
            let parent = try DemoDNSServer(ip: Address.parent) { query in
                let world = clock.world
                // The registrar removes the DS at its time, but not before it has been seen
                // often enough to turn red (the plan's failure threshold is 2): on a loaded
                // machine the first probe may come late, and the story must still show.
                let holdsDS = world < DemoScript.dsRemoved || dsShown.count.load(ordering: .relaxed) < 3
                let zone = DemoScript.delegatesToNewProvider(at: world) ? zones.parentAfter
                    : (holdsDS ? zones.parentBeforeSigned : zones.parentBefore)
                if holdsDS, query.questions.first?.type == .ds { dsShown.count.add(1, ordering: .relaxed) }
                return zone.answer(query, clock: clock)
            }
            dnsServers.append(parent)
            for ip in Address.newProvider {
                dnsServers.append(try DemoDNSServer(ip: ip) { zones.newProvider.answer($0, clock: clock) })
            }
            dnsServers.append(try DemoDNSServer(ip: Address.oldProvider) { zones.oldProvider.answer($0, clock: clock) })
            let ports = Dictionary(uniqueKeysWithValues: dnsServers.map { ($0.ip, $0.port) })
            for resolver in Self.resolvers {
                let cache = DemoResolver(zone: zones.origin, ip: resolver.ip, parent: parent.address, ports: ports,
                                         maxTTL: resolver.maxTTL.map(clock.wireTTL))
                cache.prime(zones.questions, age: clock.real(resolver.age))
                dnsServers.append(try DemoDNSServer(ip: resolver.ip, answer: cache.answer))
            }

            let certificates = try DemoCertificates(zone: Self.zone, directory: directory)
            let zone = Self.zone
            let choice = try DemoCertificateChoice(certificates, zone: zone, clock: clock)
            let site = DemoSite(zone: zone, clock: clock)
            let https = try DemoHTTPServer(ip: Address.web, tls: choice, route: site.https)
            httpServers.append(https)
            let plain = try DemoHTTPServer(ip: Address.web) { site.plain($0, httpsPort: https.port) }
            httpServers.append(plain)
            let alertmanager = try DemoHTTPServer(ip: Address.alertmanager, route: site.alertmanager)
            httpServers.append(alertmanager)
            let cloud = try DemoHTTPServer(ip: Address.cloud, route: site.cloud)
            httpServers.append(cloud)
            try Self.suite.write(toFile: "\(directory)/api-suite.sh", atomically: true, encoding: .utf8)

            let plan = DemoPlan(zone: zone, speed: speed, caFile: certificates.caFile,
                                dnsAddresses: Dictionary(uniqueKeysWithValues: dnsServers.map { ($0.ip, $0.address) }),
                                httpsPort: https.port, httpPort: plain.port, alertmanager: alertmanager.address, cloud: cloud.address,
                                approvers: Array(zip(Self.approvers, Self.hashedPINs())))
            try plan.text.write(toFile: planPath, atomically: true, encoding: .utf8)
        } catch {
            dnsServers.forEach { $0.stop() }
            httpServers.forEach { $0.stop() }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        self.dnsServers = dnsServers
        self.httpServers = httpServers
    }

    /// The API test suite the demo runs: 100 cases, 97 pass, as TAP.
    static let suite = """
        #!/bin/sh
        # The demo's API suite: 100 checks of the launch's API, 3 of which fail.
        echo "1..100"
        i=1
        while [ $i -le 100 ]; do
          case $i in
            17) echo "not ok $i - refunds of a disputed payment" ;;
            58) echo "not ok $i - creator payout report in EUR" ;;
            91) echo "not ok $i - avatar upload over 8 MiB" ;;
            *) echo "ok $i - endpoint $i answers as documented" ;;
          esac
          i=$((i + 1))
        done

        """

    /// The approvers' PIN hashes: salted scrypt, as `approver hash-pin` makes them. A tenth of
    /// a second each, so all at once.
    private static func hashedPINs() -> [String] {
        let hashes = Mutex([String](repeating: "", count: approvers.count))
        DispatchQueue.concurrentPerform(iterations: approvers.count) { index in
            let hash = Crypto.hashPIN(approvers[index].pin)
            hashes.withLock { $0[index] = hash }
        }
        return hashes.withLock { $0 }
    }

    /// Stops every server and removes the directory, plan and launch state with it.
    public func stop() {
        dnsServers.forEach { $0.stop() }
        httpServers.forEach { $0.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// How many DS queries the parent has answered while it still held the DS.
private final class DSShown: Sendable {
    let count = Atomic<Int>(0)
}
