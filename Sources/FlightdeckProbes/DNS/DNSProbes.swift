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

    public var checkID: String { record.id }

    public init(record: DNSRecordExpectation, polling: PollingSettings, servers: DNSServers) {
        self.record = record
        interval = record.timing.interval ?? polling.interval
        timeout = record.timing.timeout ?? polling.timeout
        self.servers = servers
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        let entries = await servers.resolvers() + servers.authorities()
        let observations = await DNSFanOut.ask(entries, record.name, record.type, at: now)
        let propagation = RecordPropagation(record: record, observations: observations)
        let finished = observations.map(\.at).max() ?? now
        let delegation = await servers.delegation
        let verdict = DNSRecordVerdict(propagation, delegation: delegation, now: finished,
                                       describeTime: { WallClock.describe($0, now: finished) })
        var observed: [String: ObservedValue] = [
            "converged_percent": .number((propagation.converged * 1000).rounded() / 10),
            "cells": .list(propagation.cells.map { cell in
                "\(cell.server.role.rawValue) \(cell.server): \(cell.state.rawValue)"
                    + (cell.values.isEmpty ? "" : " \(cell.values.joined(separator: ", "))")
                    + (cell.ttl.map { " ttl \($0)" } ?? "")
            }),
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
    /// When the parent was first seen delegating to the new nameservers.
    private let delegatedSince = Mutex<Duration?>(nil)

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
        async let referrals = DNSFanOut.ask(await servers.parents(), zone, .ns, at: now)
        let authorities = await servers.authorities()
        async let apex = DNSFanOut.ask(authorities, zone, .ns, at: now)
        async let soa = DNSFanOut.ask(authorities, zone, .soa, at: now)
        let report = DelegationReport(zone: zone, expected: expected, previous: previous,
                                      referrals: await referrals, apex: await apex, soa: await soa)
        let since = delegatedSince.withLock { since -> Duration? in
            if report.delegation == .expected { since = since ?? now } else { since = nil }
            return since
        }
        let oldDelegationExpires = since.flatMap { since in report.oldDelegationTTL.map { since + .seconds(Int($0)) } }
        await servers.record(DelegationTiming(oldDelegationExpires: report.delegation == .expected ? oldDelegationExpires ?? since : nil))
        var observed: [String: ObservedValue] = [
            "delegation": .text(report.delegation.rawValue),
            "parents": .list(report.parents.map { "\($0.server): \($0.nameservers.map(\.text).joined(separator: " "))\($0.note.map { " (\($0))" } ?? "")" }),
            "authorities": .list(report.authorities.map { view in
                "\(view.server.role.rawValue) \(view.server): serial \(view.serial.map(String.init) ?? "?")"
                    + (view.note.map { ", \($0)" } ?? ", NS \(view.apexNameservers.map(\.text).joined(separator: " "))")
            }),
        ]
        if let ttl = report.parentTTL { observed["parent_ns_ttl"] = .number(Double(ttl)) }
        let status: CheckStatus
        var detail = report.summary
        if !report.problems.isEmpty || report.parents.isEmpty {
            status = .fail
            if report.parents.isEmpty { detail = "no parent server for \(zone) could be found or asked" }
        } else if report.delegation != .expected {
            status = .warn
        } else if let until = oldDelegationExpires, now < until {
            // Resolvers that cached the old referral just before the change keep it this long.
            status = .warn
            detail += "; old delegation may stay cached until \(WallClock.describe(until, now: now))"
            observed["eta"] = .text(WallClock.iso(until, now: now))
        } else {
            status = .pass
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

    static func describe(_ instant: Duration, now: Duration) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss 'UTC'"
        return formatter.string(from: date(instant, now: now))
    }

    static func iso(_ instant: Duration, now: Duration) -> String {
        date(instant, now: now).formatted(.iso8601)
    }
}
