import FlightdeckCore
import Foundation
import Synchronization

/// The zone's DNSSEC chain across the change of provider: the parent's DS set, both
/// providers' DNSKEY sets, and the new nameservers' signatures on the plan's records, judged
/// by ``DNSSECReport``. When the parent's DS set changes, validating resolvers keep the old
/// one for its TTL: until then this check is yellow, and record ETAs wait for it too.
public final class DNSSECProbe: Probe {
    public let zone: DNSName
    public let interval: Duration
    public let timeout: Duration
    private let records: [(name: DNSName, type: DNSRecordType)]
    private let warning: Duration
    private let servers: DNSServers
    private let crypto = OpenSSLDNSSEC()
    /// The DS set last seen and its TTL, and when this process saw it change.
    private let memory = Mutex<(ds: Set<String>?, ttl: UInt32?, change: (at: Duration, settles: Duration)?)>((nil, nil, nil))

    public static let checkID = DNSSECCheck.id
    public var checkID: String { Self.checkID }

    public init(plan: LaunchPlan, servers: DNSServers) {
        zone = plan.zone
        interval = plan.polling.interval
        timeout = plan.polling.timeout
        warning = plan.dns.signatureWarning
        self.servers = servers
        // The apex SOA is always signed in a signed zone; then each record set the plan names.
        var seen: Set<String> = []
        records = ([(plan.zone, DNSRecordType.soa)] + plan.dns.records.map { ($0.name, $0.type) })
            .filter { seen.insert("\($0.0) \($0.1)").inserted }
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let parents = await servers.parents()
        let authorities = await servers.authorities()
        async let dsAnswers = DNSFanOut.ask(parents, zone, .ds, at: now, dnssec: true)
        async let keyAnswers = DNSFanOut.ask(authorities, zone, .dnskey, at: now, dnssec: true)
        let newServers = authorities.filter { $0.server.role == .expectedAuthority }
        var signed: [DNSSECReport.SignedAnswers] = []
        for record in records {
            let observations = await DNSFanOut.ask(newServers, record.name, record.type, at: now, dnssec: true)
            signed.append(DNSSECReport.SignedAnswers(name: record.name, type: record.type, observations: observations))
        }
        let delegatedToNew = await servers.delegation?.parentDelegatesToNew ?? false
        let report = DNSSECReport(zone: zone, dsAnswers: await dsAnswers, keyAnswers: await keyAnswers, records: signed,
                                  crypto: crypto, now: Int64(Date().timeIntervalSince1970), warning: warning,
                                  delegatedToNew: delegatedToNew)
        var status = report.status
        var detail = report.detail
        var observed: [String: ObservedValue] = [
            "ds": .list(report.ds.map { entry in
                entry.text + ": " + (entry.newKey.map { "new provider's \($0.label)" }
                    ?? entry.oldKey.map { "old provider's \($0.label)" } ?? "matches no key")
            }),
            "new_dnskey": .list(Self.keyLines(report.newKeys)),
        ]
        if let old = report.oldKeys { observed["old_dnskey"] = .list(Self.keyLines(old)) }
        if let ttl = report.dsTTL { observed["ds_ttl"] = .number(Double(ttl)) }
        if !report.signatures.isEmpty {
            observed["signatures"] = .list(report.signatures.map { check -> String in
                var line = "\(check.name) \(check.type) from \(check.server): \(check.state.rawValue)"
                if let tag = check.keyTag { line += " key \(tag)" }
                if let expiration = check.expiration { line += ", expires \(DNSSECReport.utc(expiration))" }
                if let note = check.note { line += " (\(note))" }
                return line
            })
        }
        if report.status != .unknown, report.parentProblems.isEmpty {
            let settles = noteDSSet(report, at: now)
            if let settles, now < settles {
                observed["eta"] = .text(WallClock.iso(settles, now: now))
                if status == .pass {
                    status = .warn
                    detail = "the parent's DS set changed; validating resolvers may keep the old one until "
                        + "\(WallClock.describe(settles, now: now))" + (delegatedToNew ? "" : ": change NS after that")
                }
            }
            await servers.recordChainSettles(settles)
        }
        return ProbeOutcome(checkID: Self.checkID, finishedAt: now, status: status, detail: detail, latency: nil,
                            observed: observed, evidence: .dnssec(report))
    }

    /// Remembers the DS set; when it differs from the last one seen, the old one (and the
    /// DNSKEY set a validator fetched with it) may stay cached for their TTLs from now.
    private func noteDSSet(_ report: DNSSECReport, at now: Duration) -> Duration? {
        let current = Set(report.ds.map(\.text))
        return memory.withLock { memory in
            if let last = memory.ds, last != current {
                let held = max(memory.ttl ?? 0, report.newKeys.ttl ?? 0, report.oldKeys?.ttl ?? 0)
                memory.change = (now, now + .seconds(Int(held)))
            }
            memory.ds = current
            memory.ttl = report.dsTTL ?? memory.ttl
            return memory.change?.settles
        }
    }

    private static func keyLines(_ keys: DNSSECReport.KeySet) -> [String] {
        guard keys.isSigned else { return keys.problems.isEmpty ? ["none: unsigned"] : keys.problems }
        return keys.keys.map { key in
            key.label + (keys.signedBy.contains(key.keyTag) ? ", signs the DNSKEY set" : "") + (keys.ttl.map { ", ttl \($0)" } ?? "")
        } + keys.problems
    }
}
