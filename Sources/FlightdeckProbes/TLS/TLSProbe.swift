import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization

/// Inspects the certificate an endpoint serves: at its pinned address, or at every address
/// its host resolves to (through the plan's resolvers), so a stale certificate behind one
/// address of several shows. The worst address decides.
public final class TLSProbe: Probe {
    public let endpoint: TLSEndpoint
    public let interval: Duration
    public let timeout: Duration
    private let planDirectory: String?
    private let servers: DNSServers
    /// Which protocol versions each address accepted, and when that was last asked: a
    /// handshake per version, once per `versionScanInterval`, not every poll.
    private let versionScans = Mutex<[SocketAddress: (at: Duration, accepted: [String: Bool])]>([:])
    static let versionScanInterval = Duration.seconds(600)
    static let versions: [(name: String, code: Int32)] = [
        ("TLSv1", TLS1_VERSION), ("TLSv1.1", TLS1_1_VERSION), ("TLSv1.2", TLS1_2_VERSION), ("TLSv1.3", TLS1_3_VERSION),
    ]

    public var checkID: String { endpoint.id }

    private let revocation: RevocationChecker

    public convenience init(endpoint: TLSEndpoint, polling: PollingSettings, planDirectory: String?, servers: DNSServers) {
        self.init(endpoint: endpoint, polling: polling, planDirectory: planDirectory, servers: servers, revocation: .shared)
    }

    init(endpoint: TLSEndpoint, polling: PollingSettings, planDirectory: String?, servers: DNSServers, revocation: RevocationChecker) {
        self.revocation = revocation
        self.endpoint = endpoint
        interval = endpoint.timing.interval ?? polling.interval
        timeout = endpoint.timing.timeout ?? polling.timeout
        self.planDirectory = planDirectory
        self.servers = servers
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let addresses = await targetAddresses()
        guard !addresses.isEmpty else {
            return ProbeOutcome(checkID: checkID, finishedAt: now, status: .fail,
                                detail: "DNS: no address for \(endpoint.host) (give `address`, or a resolver that knows it)",
                                latency: nil, observed: ["error_class": .text("dns")])
        }
        let caFile = endpoint.caFile.map { path in path.hasPrefix("/") || planDirectory == nil ? path : "\(planDirectory!)/\(path)" }
        let results = await withTaskGroup(of: (Int, Result<TLSInspection, TransportError>).self) { group in
            for (index, address) in addresses.enumerated() {
                group.addTask {
                    (index, await TLSEngine.shared.inspect(TLSRequest(address: address, serverName: self.endpoint.host.text, caFile: caFile,
                                                                     timeout: self.timeout)))
                }
            }
            var results = [Result<TLSInspection, TransportError>?](repeating: nil, count: addresses.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        let accepted = await acceptedVersions(addresses, caFile: caFile, at: now)
        let wallClock = Date()
        var judged: [(address: SocketAddress, status: CheckStatus, detail: String, observed: [String: ObservedValue],
                      inspection: TLSInspection?, evaluation: TLSEvaluation?)] = zip(addresses, results).map { address, result in
            switch result {
            case .success(var inspection):
                inspection.acceptedVersions = accepted[address]
                let evaluation = TLSEvaluation(endpoint: endpoint, inspection: inspection, now: wallClock)
                return (address, evaluation.status, evaluation.detail, evaluation.observed, inspection, evaluation)
            case .failure(let error):
                return (address, .fail, error.reason, ["error_class": .text(error.kind.rawValue), "address": .text(address.description)], nil, nil)
            }
        }
        let rank: [CheckStatus: Int] = [.fail: 0, .warn: 1, .unknown: 2, .pass: 3]
        // Revocation, where the staple settles nothing: the CRL and the OCSP responder the leaf names.
        for index in judged.indices {
            guard let inspection = judged[index].inspection, inspection.ocsp != .good, inspection.ocsp != .revoked,
                  let pointers = inspection.revocationPointers, let leaf = inspection.chain.first else { continue }
            let finding = await revocation.check(pointers, fingerprint: leaf.fingerprint, sources: endpoint.revocationSources,
                                                  timeout: timeout, now: wallClock)
            judged[index].observed["revocation"] = .text(endpoint.revocationSources.isEmpty ? "not asked (revocation: none)" : finding.summary)
            guard let revocationStatus = finding.status else { continue }
            judged[index].observed["revocation_sources"] = .list(finding.answers.map(\.line))
            if rank[revocationStatus, default: 3] < rank[judged[index].status, default: 3] {
                judged[index].status = revocationStatus
                judged[index].detail = finding.line
            }
        }
        let worst = judged.min { rank[$0.status, default: 3] < rank[$1.status, default: 3] }!
        var observed = worst.observed
        var detail = worst.detail
        var status = worst.status
        if judged.count > 1 {
            detail = "\(worst.address): \(detail)"
            observed["addresses"] = .list(judged.map { "\($0.address): \($0.status.rawValue), \($0.detail)" })
        }
        // The next renewal: does the CAA set the new nameservers serve let this CA issue every
        // name of the certificate again?
        if let leaf = judged.compactMap({ $0.inspection?.chain.first }).first {
            switch await caaFinding(for: leaf) {
            case .success(let findings):
                let finding = findings.min { rank[$0.verdict.status, default: 3] < rank[$1.verdict.status, default: 3] }!
                observed["caa"] = .text(finding.line)
                observed["caa_verdict"] = .text(finding.verdict.rawValue)
                observed["caa_records"] = .list(finding.records)
                if findings.count > 1 { observed["caa_names"] = .list(findings.map { "\($0.wildcard ? "*." : "")\($0.host): \($0.line)" }) }
                let caaStatus = finding.verdict.status
                if rank[caaStatus, default: 3] < rank[status, default: 3] {
                    status = caaStatus
                    detail = finding.line
                }
            case .failure(let reason):
                observed["caa"] = .text("unknown: \(reason.reason)")
            }
        }
        return ProbeOutcome(checkID: checkID, finishedAt: now, status: status, detail: detail,
                            latency: worst.inspection?.handshakeDone, observed: observed,
                            evidence: .tls(judged.map { TLSAddressResult(address: $0.address.description, inspection: $0.inspection,
                                                                         evaluation: $0.evaluation,
                                                                         failure: $0.inspection == nil ? $0.detail : nil) }))
    }

    /// Each address's accepted versions: remembered, or asked again when due.
    private func acceptedVersions(_ addresses: [SocketAddress], caFile: String?, at now: Duration) async -> [SocketAddress: [String: Bool]] {
        let due = versionScans.withLock { scans in
            addresses.filter { address in scans[address].map { now - $0.at >= Self.versionScanInterval } ?? true }
        }
        if !due.isEmpty {
            let found = await withTaskGroup(of: (SocketAddress, String, Bool?).self) { group in
                for address in due {
                    for version in Self.versions {
                        group.addTask {
                            let request = TLSRequest(address: address, serverName: self.endpoint.host.text, caFile: caFile,
                                                     onlyVersion: version.code, timeout: self.timeout)
                            switch await TLSEngine.shared.inspect(request) {
                            case .success: return (address, version.name, true)
                            case .failure(let error) where error.kind == .tls || error.kind == .connection: return (address, version.name, false)
                            case .failure: return (address, version.name, nil)
                            }
                        }
                    }
                }
                var found: [SocketAddress: [String: Bool]] = [:]
                for await (address, version, accepted) in group {
                    if let accepted { found[address, default: [:]][version] = accepted }
                }
                return found
            }
            versionScans.withLock { scans in
                // Addresses a name stopped resolving to are forgotten, so a day of rotating
                // load balancer addresses does not pile up.
                scans = scans.filter { now - $0.value.at < Self.versionScanInterval * 2 }
                for (address, accepted) in found where accepted.count == Self.versions.count { scans[address] = (now, accepted) }
            }
        }
        return versionScans.withLock { scans in scans.filter { addresses.contains($0.key) }.mapValues(\.accepted) }
    }

    private struct CAAUnreadable: Error {
        var reason: String
    }

    /// Each name of the certificate as its CA would check it at renewal (at most 16): a
    /// wildcard `*.example.com` by `issuewild` from example.com, any other by `issue`. The
    /// endpoint's host stands in when the leaf names nothing usable.
    private func caaFinding(for leaf: CertificateInfo) async -> Result<[CAAFinding], CAAUnreadable> {
        var names: [(name: DNSName, wildcard: Bool)] = []
        for text in leaf.dnsNames.prefix(16) {
            let wildcard = text.hasPrefix("*.")
            guard case .success(let name) = DNSName.parse(wildcard ? String(text.dropFirst(2)) : text),
                  !names.contains(where: { $0.name == name && $0.wildcard == wildcard }) else { continue }
            names.append((name, wildcard))
        }
        if names.isEmpty { names = [(endpoint.host, false)] }
        var findings: [CAAFinding] = []
        for (name, wildcard) in names {
            switch await servers.relevantCAA(for: name) {
            case .unreadable(let reason):
                return .failure(CAAUnreadable(reason: reason))
            case .found(let at, let records, let searchedUpTo):
                let set = records.compactMap { record -> (flags: UInt8, tag: String, value: [UInt8])? in
                    if case .caa(let flags, let tag, let value) = record.data { return (flags, tag, value) }
                    return nil
                }
                findings.append(CAAFinding(host: name, foundAt: at, set: set, wildcard: wildcard, issuer: leaf.issuer,
                                           issuerName: TLSEvaluation.commonName(leaf.issuer), plan: servers.plan.dns.caaIssuers,
                                           searchedUpTo: searchedUpTo))
            }
        }
        return .success(findings)
    }

    private func targetAddresses() async -> [SocketAddress] {
        let port = endpoint.port
        if let address = endpoint.address { return [address.withDefaultPort(port)] }
        if case .success(let literal) = SocketAddress.parse(endpoint.host.text) { return [literal.withDefaultPort(port)] }
        let found = await servers.lookUp(endpoint.host)
        return found.filter { address in
            switch endpoint.ipVersion {
            case .any: true
            case .v4: address.family == .ipv4
            case .v6: address.family == .ipv6
            }
        }.map { $0.withDefaultPort(port) }
    }
}
