import FlightdeckCore
import Foundation
import Synchronization

/// One expected record, asked of every public resolver and every authoritative address of
/// both providers at once; judged by ``RecordPropagation``.
public final class DNSRecordProbe: Probe {
    public let record: DNSRecordExpectation
    public let interval: Duration
    public let timeout: Duration
    let servers: DNSServers
    let quorum: ConvergenceQuorum
    /// When each resolver that fails now began failing, so the line says "silent since".
    private let failingSince = Mutex<[DNSServerRef: Duration]>([:])

    public var checkID: String { record.id }

    public init(record: DNSRecordExpectation, polling: PollingSettings, quorum: ConvergenceQuorum = .allAnswering, servers: DNSServers) {
        self.record = record
        interval = record.timing.interval ?? polling.interval
        timeout = record.timing.timeout ?? polling.timeout
        self.quorum = quorum
        self.servers = servers
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let entries = await servers.resolvers() + servers.authorities()
        // With DO: signatures come back, and a validating resolver says whether it validated.
        let observations = await DNSFanOut.ask(entries, record.name, record.type, at: now, timeout: record.timing.timeout, dnssec: true)
        // A nameserver that answers with a CNAME out of its zone stops there; follow the
        // chain through a resolver, as clients will.
        var aliases: [DNSName: [DNSRecord]] = [:]
        for observation in observations where observation.server.role != .resolver {
            guard case .response(let message) = observation.outcome,
                  let target = PropagationCell.danglingAlias(message, name: record.name, type: record.type),
                  aliases[target] == nil else { continue }
            aliases[target] = await servers.follow(target, record.type)
        }
        // A resolver's SERVFAIL is asked again with checking disabled: if the data comes back,
        // the resolver validates and the DNSSEC chain is broken (bogus), not the resolver.
        let servfails = entries.filter { entry in
            entry.server.role == .resolver && observations.contains { observation in
                guard observation.server == entry.server, case .response(let message) = observation.outcome else { return false }
                return message.responseCode == .serverFailure
            }
        }
        var unchecked: [DNSServerRef: DNSMessage] = [:]
        for observation in await DNSFanOut.ask(servfails, record.name, record.type, at: now, timeout: record.timing.timeout,
                                               dnssec: true, checkingDisabled: true) {
            if case .response(let message) = observation.outcome { unchecked[observation.server] = message }
        }
        let propagation = RecordPropagation(record: record, observations: observations, aliases: aliases, unchecked: unchecked)
        let finished = observations.map(\.at).max() ?? now
        let failing = failingSince.withLock { since -> [DNSServerRef: Duration] in
            let failingNow = Dictionary(propagation.failingResolvers.map { ($0.server, $0.at) }, uniquingKeysWith: { first, _ in first })
            since = failingNow.merging(since.filter { failingNow[$0.key] != nil }) { _, earlier in earlier }
            return since
        }
        // A plan that names the new nameservers has a delegation check; until it has run, the
        // ETA cannot be known.
        var delegation = await servers.delegation ?? (servers.checksDelegation ? .unread : nil)
        delegation?.chainSettles = await servers.chainSettles
        let verdict = DNSRecordVerdict(propagation, delegation: delegation, quorum: quorum, failingSince: failing, now: finished,
                                       describeTime: { WallClock.describe($0, now: finished) })
        var observed: [String: ObservedValue] = [
            "converged_percent": .number((propagation.converged * 1000).rounded() / 10),
            "cells": .list(propagation.cells.map(\.line)),
        ]
        if let eta = propagation.eta(delegation: delegation) { observed["eta"] = .text(WallClock.iso(eta, now: finished)) }
        if let ttl = propagation.previousTTL { observed["previous_ttl"] = .number(Double(ttl)) }
        return ProbeOutcome(checkID: record.id, finishedAt: finished, status: verdict.status, detail: verdict.detail,
                            latency: observations.compactMap(\.roundTrip).max(), observed: observed,
                            evidence: .dnsRecord(propagation))
    }
}

/// The zone's delegation: the parent's referral, each authoritative server's apex NS and SOA
/// serial. Red when a new nameserver is lame, unreachable or publishes other NS; yellow while
/// the parent (or caches of its old referral) still point elsewhere; green when delegated.
public final class DelegationProbe: Probe {
    public let zone: DNSName
    public let expected: [DNSName]
    public let previous: [DNSName]
    public let interval: Duration
    public let timeout: Duration
    private let servers: DNSServers
    /// The delegation the last run saw, and when the parent was seen changing to the new
    /// nameservers (nil unless this process saw the change).
    private let memory = Mutex<(last: DelegationReport.Delegation?, since: Duration?)>((nil, nil))

    /// The zone above the launch zone, whose SOA serial the parent's servers show.
    private var parentZone: DNSName? {
        let labels = zone.labels
        guard labels.count > 1, case .success(let parent) = DNSName.parse(labels.dropFirst().joined(separator: ".")) else { return nil }
        return parent
    }

    public static let checkID = DelegationCheck.id
    public var checkID: String { Self.checkID }

    public init(plan: LaunchPlan, servers: DNSServers) {
        zone = plan.zone
        expected = plan.dns.expectedNameservers.map(\.name)
        previous = plan.dns.previousNameservers.map(\.name)
        interval = plan.polling.interval
        timeout = plan.polling.timeout
        self.servers = servers
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let parents = await servers.parents()
        async let referrals = DNSFanOut.ask(parents, zone, .ns, at: now)
        let parentZone = parentZone
        async let parentSOA = parentZone == nil ? [] : DNSFanOut.ask(parents, parentZone!, .soa, at: now)
        let authorities = await servers.authorities()
        async let apex = DNSFanOut.ask(authorities, zone, .ns, at: now)
        async let soa = DNSFanOut.ask(authorities, zone, .soa, at: now)
        // What the plan's resolvers have cached of the zone's NS set, and for how long more.
        async let cached = DNSFanOut.ask(await servers.resolvers(), zone, .ns, at: now)
        let report = DelegationReport(zone: zone, expected: expected, previous: previous,
                                      referrals: await referrals, apex: await apex, soa: await soa,
                                      parentSOA: await parentSOA, cached: await cached)
        // The moment the parent changed is known only to a process that saw it change; a
        // one-shot run does not invent one.
        let since = memory.withLock { memory -> Duration? in
            if report.delegation == .expected {
                if memory.since == nil, let last = memory.last, last != .expected { memory.since = now }
            } else {
                memory.since = nil
            }
            memory.last = report.delegation
            return memory.since
        }
        let inferred = since.flatMap { since in report.oldDelegationTTL.map { since + .seconds(Int($0)) } }
        let stillCached = report.oldDelegationCached
        let oldDelegationExpires = [inferred, stillCached.map(\.until).max()].compactMap { $0 }.max()
        await servers.record(DelegationTiming(parentDelegatesToNew: report.delegation == .expected,
                                              oldDelegationExpires: report.delegation == .expected ? oldDelegationExpires : nil))
        var observed: [String: ObservedValue] = [
            "delegation": .text(report.delegation.rawValue),
            "parents": .list(report.parents.map { view in
                "\(view.server): \(view.nameservers.map(\.text).joined(separator: " "))"
                    + (view.serial.map { ", parent zone serial \($0)" } ?? "") + (view.note.map { " (\($0))" } ?? "")
            }),
            "authorities": .list(report.authorities.map { view in
                "\(view.server.role.rawValue) \(view.server): serial \(view.serial.map(String.init) ?? "?")"
                    + (view.note.map { ", \($0)" } ?? ", NS \(view.apexNameservers.map(\.text).joined(separator: " "))")
            }),
        ]
        if !report.resolverViews.isEmpty {
            observed["resolvers"] = .list(report.resolverViews.map { view in
                "\(view.server): \(view.nameservers.isEmpty ? (view.note ?? "no NS") : view.nameservers.map(\.text).joined(separator: " "))"
                    + (view.ttl.map { " ttl \($0)" } ?? "")
            })
        }
        if let ttl = report.parentTTL { observed["parent_ns_ttl"] = .number(Double(ttl)) }
        let status: CheckStatus
        var detail = report.summary
        if !report.problems.isEmpty || report.parents.isEmpty {
            status = .fail
            if report.parents.isEmpty { detail = "no parent server for \(zone) could be found or asked" }
        } else if report.delegation == .unknown {
            // Not seeing the parent proves nothing either way.
            status = .unknown
        } else if report.delegation == .previous || report.delegation == .other {
            // The new nameservers are not in effect for anyone: not a launch that is catching up.
            status = .fail
        } else if report.delegation == .mixed {
            // The parent's servers disagree while the registry's change spreads.
            status = .warn
        } else if let first = stillCached.first, let until = stillCached.map(\.until).max(), now < until {
            status = .warn
            let more = stillCached.count > 1 ? " (and \(stillCached.count - 1) more)" : ""
            detail += "; \(first.server.name) still has the old delegation cached\(more), until \(WallClock.describe(until, now: now))"
            observed["eta"] = .text(WallClock.iso(until, now: now))
        } else if let until = inferred, now < until, report.resolverViews.isEmpty {
            // Resolvers that cached the old referral just before the change keep it this long.
            status = .warn
            detail += "; old delegation may stay cached until \(WallClock.describe(until, now: now))"
            observed["eta"] = .text(WallClock.iso(until, now: now))
        } else {
            status = .pass
            if since == nil, report.resolverViews.isEmpty, let ttl = report.oldDelegationTTL {
                observed["old_delegation"] = .text("when the parent changed is not known here: resolvers elsewhere may keep the old delegation up to \(ttl) s after it")
            }
        }
        return ProbeOutcome(checkID: Self.checkID, finishedAt: now, status: status, detail: detail, latency: nil,
                            observed: observed, evidence: .delegation(report))
    }
}

/// Turns the poller's clock into wall-clock time people read.
enum WallClock {
    static func date(_ instant: Duration, now: Duration) -> Date {
        let offset = instant - now
        return Date().addingTimeInterval(offset.timeInterval)
    }

    /// `14:02:10 UTC`, without a DateFormatter (and its ICU): this runs on every DNS probe
    /// that names an ETA or a silent resolver.
    static func describe(_ instant: Duration, now: Duration) -> String {
        "\(timeOfDay(date(instant, now: now))) UTC"
    }

    static func iso(_ instant: Duration, now: Duration) -> String {
        date(instant, now: now).formatted(.iso8601)
    }
}
