import FlightdeckCore
import Foundation

/// Every server a plan's DNS checks ask, with the addresses of nameservers the plan names
/// without them looked up through the plan's first resolver (and kept for five minutes).
public actor DNSServers {
    public struct Entry: Sendable {
        public var server: DNSServerRef
        public var target: DNSClient.Target
        public var recursive: Bool
        public var timeout: Duration
    }

    let plan: LaunchPlan
    private let planDirectory: String?
    private var cache: [DNSName: (addresses: [SocketAddress], until: ContinuousClock.Instant)] = [:]
    /// What the delegation probe last learned, for record ETAs; nil before it has run or
    /// when the plan names no new nameservers.
    public private(set) var delegation: DelegationTiming?

    /// Whether the plan has a delegation check (it names the new nameservers).
    public nonisolated var checksDelegation: Bool { !plan.dns.expectedNameservers.isEmpty }

    /// When the last validating resolver's copy of a changed DS set expires, from the DNSSEC check.
    public private(set) var chainSettles: Duration?

    public func record(_ timing: DelegationTiming) {
        delegation = timing
    }

    public func recordChainSettles(_ moment: Duration?) {
        chainSettles = moment
    }
    static let cacheLifetime = Duration.seconds(300)

    public init(plan: LaunchPlan, planDirectory: String?) {
        self.plan = plan
        self.planDirectory = planDirectory
    }

    private var timeout: Duration { plan.polling.timeout }

    /// The plan's resolvers, asked recursively.
    public func resolvers() -> [Entry] {
        plan.resolvers.compactMap { resolver in
            let ca = resolver.caFile.map(resolve)
            let target: DNSClient.Target
            switch resolver.transport {
            case .udp: guard let address = resolver.address else { return nil }; target = .udp(address)
            case .tcp: guard let address = resolver.address else { return nil }; target = .tcp(address)
            case .tls: guard let address = resolver.address else { return nil }; target = .tls(address, name: resolver.tlsName, caFile: ca)
            case .https: guard let url = resolver.url else { return nil }; target = .https(url, connectTo: resolver.address, caFile: ca)
            }
            let shown = resolver.address?.description ?? resolver.url?.absoluteString ?? resolver.name
            return Entry(server: DNSServerRef(name: resolver.name, address: shown, role: .resolver), target: target,
                         recursive: true, timeout: resolver.timeout ?? timeout)
        }
    }

    /// Every address of the new and the previous provider's nameservers, asked non-recursively.
    public func authorities() async -> [Entry] {
        var entries: [Entry] = []
        for (nameservers, role) in [(plan.dns.expectedNameservers, DNSServerRef.Role.expectedAuthority),
                                    (plan.dns.previousNameservers, .previousAuthority)] {
            for nameserver in nameservers {
                entries += await entriesFor(nameserver, role: role)
            }
        }
        return entries
    }

    /// The parent zone's servers: the plan's, or the parent zone's NS found through a resolver.
    public func parents() async -> [Entry] {
        if !plan.dns.parentServers.isEmpty {
            var entries: [Entry] = []
            for nameserver in plan.dns.parentServers { entries += await entriesFor(nameserver, role: .previousAuthority) }
            return entries
        }
        let labels = plan.zone.labels
        guard labels.count > 1, case .success(let parent) = DNSName.parse(labels.dropFirst().joined(separator: ".")),
              let resolver = resolvers().first(where: { if case .https = $0.target { return false }; return true }) else { return [] }
        guard case .response(let answer, _) = await DNSClient.query(parent, .ns, target: resolver.target, recursive: true, timeout: timeout) else {
            return []
        }
        var entries: [Entry] = []
        for record in answer.answers {
            if case .ns(let name) = record.data { entries += await entriesFor(Nameserver(name: name), role: .previousAuthority) }
        }
        return entries
    }

    private func entriesFor(_ nameserver: Nameserver, role: DNSServerRef.Role) async -> [Entry] {
        let addresses = nameserver.addresses.isEmpty ? await lookUp(nameserver.name) : nameserver.addresses
        return addresses.map { address in
            Entry(server: DNSServerRef(name: nameserver.name.text, address: address.description, role: role),
                  target: .udp(address), recursive: false, timeout: timeout)
        }
    }

    /// A and AAAA of `name` through the first UDP or TCP resolver of the plan.
    func lookUp(_ name: DNSName) async -> [SocketAddress] {
        if let cached = cache[name], cached.until > .now { return cached.addresses }
        var addresses: [SocketAddress] = []
        for type in [DNSRecordType.a, .aaaa] {
            for record in await follow(name, type) {
                if case .success(let address) = SocketAddress.parse(record.data.comparable) { addresses.append(address) }
            }
        }
        cache[name] = (addresses, .now + Self.cacheLifetime)
        return addresses
    }

    /// The records of `type` at `name` (following a CNAME chain) through the plan's first
    /// UDP or TCP resolver; empty when it has none or they do not resolve.
    func follow(_ name: DNSName, _ type: DNSRecordType) async -> [DNSRecord] {
        guard let resolver = resolvers().first(where: {
            switch $0.target { case .udp, .tcp: true; default: false }
        }), case .response(let answer, _) = await DNSClient.query(name, type, target: resolver.target, recursive: true, timeout: timeout) else {
            return []
        }
        return PropagationCell.answerRecords(answer, name: name, type: type)
    }

    private func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/"), let planDirectory else { return path }
        return "\(planDirectory)/\(path)"
    }
}

/// Asks every entry one question at once and returns what each said.
enum DNSFanOut {
    /// - Parameter timeout: the check's own timeout, when it has one, for every server.
    static func ask(_ entries: [DNSServers.Entry], _ name: DNSName, _ type: DNSRecordType, at now: Duration,
                    timeout: Duration? = nil, dnssec: Bool = false, checkingDisabled: Bool = false) async -> [DNSObservation] {
        let start = ContinuousClock.now
        let servers = entries.map { DNSClient.Server(target: $0.target, recursive: $0.recursive, timeout: timeout ?? $0.timeout) }
        let answers = await DNSClient.ask(name, type, servers: servers, dnssec: dnssec, checkingDisabled: checkingDisabled)
        return zip(entries, answers).map { entry, answer in
            let at = now + start.duration(to: answer.at)
            switch answer.result {
            case .response(let message, let roundTrip):
                // No later than the query's own start plus its round trip: a TTL left counts
                // from when the answer came.
                return DNSObservation(server: entry.server, outcome: .response(message), at: min(at, now + roundTrip), roundTrip: roundTrip)
            case .timeout:
                return DNSObservation(server: entry.server, outcome: .timeout, at: at)
            case .refused(let reason):
                return DNSObservation(server: entry.server, outcome: .refused(reason), at: at)
            case .failure(let reason):
                return DNSObservation(server: entry.server, outcome: .failure(reason), at: at)
            }
        }
    }
}
