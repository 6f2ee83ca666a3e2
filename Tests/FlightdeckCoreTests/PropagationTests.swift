@testable import FlightdeckCore
import Testing

private let zone = name("directfanz.io")

private func record(type: DNSRecordType = .a, expected: [String] = ["203.0.113.10"], previous: [String] = ["198.51.100.20"]) -> DNSRecordExpectation {
    DNSRecordExpectation(id: "dns-apex", name: zone, type: type, expected: expected, previous: previous, severity: .blocker, timing: ProbeTiming())
}

private func answer(_ addresses: [[UInt8]], ttl: UInt32, authoritative: Bool = false, rcode: UInt8 = 0) -> DNSObservation.Outcome {
    var flags = DNSFlags()
    flags.isResponse = true
    flags.authoritative = authoritative
    flags.responseCode = rcode
    return .response(DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: zone, type: .a)],
                                answers: addresses.map { DNSRecord(name: zone, ttl: ttl, data: .a($0)) }))
}

private func resolver(_ name: String) -> DNSServerRef { DNSServerRef(name: name, address: "192.0.2.\(name.count)", role: .resolver) }
private let newNS = DNSServerRef(name: "ns-1234.awsdns-12.org", address: "205.251.196.210", role: .expectedAuthority)
private let oldNS = DNSServerRef(name: "ns1.dns-parking.com", address: "162.159.24.201", role: .previousAuthority)
private let fresh: [UInt8] = [203, 0, 113, 10]
private let stale: [UInt8] = [198, 51, 100, 20]

@Suite("DNS propagation in virtual time")
struct PropagationTests {
    @Test("each answer is classified: match, still old, other, NXDOMAIN, NODATA, SERVFAIL, REFUSED, timeout")
    func classification() {
        let observations = [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(10)),
            DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: 120), at: .seconds(10)),
            DNSObservation(server: resolver("ccc"), outcome: answer([[10, 0, 0, 1]], ttl: 60), at: .seconds(10)),
            DNSObservation(server: resolver("dddd"), outcome: answer([], ttl: 0, rcode: 3), at: .seconds(10)),
            DNSObservation(server: resolver("eeeee"), outcome: answer([], ttl: 0), at: .seconds(10)),
            DNSObservation(server: resolver("ffffff"), outcome: answer([], ttl: 0, rcode: 2), at: .seconds(10)),
            DNSObservation(server: resolver("ggggggg"), outcome: answer([], ttl: 0, rcode: 5), at: .seconds(10)),
            DNSObservation(server: resolver("hhhhhhhh"), outcome: .timeout, at: .seconds(12)),
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(10)),
            DNSObservation(server: oldNS, outcome: answer([stale], ttl: 3600, authoritative: true), at: .seconds(10)),
        ]
        let grid = RecordPropagation(record: record(), observations: observations)
        #expect(grid.cells.map(\.state) == [.match, .previous, .other, .nxdomain, .nodata, .servfail, .refused, .timeout, .match, .previous])
        #expect(grid.cells[1].ttl == 120)
        #expect(grid.cells[8].authoritative)
        #expect(grid.previousTTL == 3600, "learned from the old provider's answer")
        #expect(grid.converged == 1.0 / 8)
    }

    @Test("the ETA is the latest stale answer's expiry; failing resolvers do not move it")
    func eta() {
        let grid = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(100)),
            DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: 120), at: .seconds(100)),
            DNSObservation(server: resolver("ccc"), outcome: answer([stale], ttl: 30), at: .seconds(101)),
            DNSObservation(server: oldNS, outcome: answer([stale], ttl: 3600, authoritative: true), at: .seconds(100)),
        ])
        #expect(grid.eta() == .seconds(220))
        let withTimeout = RecordPropagation(record: record(), observations: grid.cellsAsObservations + [
            DNSObservation(server: resolver("dddd"), outcome: .timeout, at: .seconds(105)),
        ])
        #expect(withTimeout.eta() == .seconds(220), "a resolver that does not answer has no cache to wait for")
    }

    @Test("until the parent delegates to the new servers, no ETA; after, the old delegation's expiry bounds it")
    func etaWithDelegation() {
        let grid = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: 20), at: .seconds(100)),
            DNSObservation(server: oldNS, outcome: answer([stale], ttl: 60, authoritative: true), at: .seconds(100)),
        ])
        #expect(grid.eta(delegation: DelegationTiming(parentDelegatesToNew: false, oldDelegationExpires: nil)) == nil)
        #expect(grid.eta(delegation: .unread) == nil)
        let confirmed = RecordPropagation(record: record(), observations: grid.cellsAsObservations + [
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(100)),
        ])
        #expect(DNSRecordVerdict(confirmed, delegation: .unread, now: .seconds(100), describeTime: { _ in "" }).detail
                .hasSuffix("; ETA unknown until the delegation has been read"), "no ETA that the delegation may prove wrong")
        // The old delegation may be cached until 150 s, and a resolver may fetch the old
        // record (TTL 60) from the old servers until then.
        #expect(grid.eta(delegation: DelegationTiming(parentDelegatesToNew: true, oldDelegationExpires: .seconds(150))) == .seconds(210))
        #expect(grid.eta(delegation: DelegationTiming(parentDelegatesToNew: true, oldDelegationExpires: .seconds(10))) == .seconds(120))
    }

    @Test("verdict: red when a new nameserver disagrees, yellow while converging, green when converged")
    func verdicts() {
        let describe: (Duration) -> String = { "t+\($0.components.seconds)s" }
        let disagreeing = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
            DNSObservation(server: newNS, outcome: answer([[203, 0, 113, 99]], ttl: 300, authoritative: true), at: .seconds(1)),
        ])
        let red = DNSRecordVerdict(disagreeing, now: .seconds(1), describeTime: describe)
        #expect(red.status == .fail)
        #expect(red.detail == "new nameserver ns-1234.awsdns-12.org (205.251.196.210) answers 203.0.113.99, expected 203.0.113.10")

        let converging = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
            DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: 250), at: .seconds(1)),
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(1)),
        ])
        let yellow = DNSRecordVerdict(converging, now: .seconds(1), describeTime: describe)
        #expect(yellow.status == .warn)
        #expect(yellow.detail == "converging: 1 of 2 resolvers see the new value, 1 still old; stale caches expire by t+251s (in 4m 10s)")

        let done = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(1)),
        ])
        #expect(DNSRecordVerdict(done, now: .seconds(1), describeTime: describe).status == .pass)

        let lame = RecordPropagation(record: record(), observations: [
            DNSObservation(server: newNS, outcome: answer([], ttl: 0, authoritative: false), at: .seconds(1)),
        ])
        let lameVerdict = DNSRecordVerdict(lame, now: .seconds(1), describeTime: describe)
        #expect(lameVerdict.detail == "new nameserver ns-1234.awsdns-12.org (205.251.196.210): not authoritative for the zone (lame)")
        let silent = RecordPropagation(record: record(), observations: [DNSObservation(server: newNS, outcome: .timeout, at: .seconds(1))])
        #expect(DNSRecordVerdict(silent, now: .seconds(1), describeTime: describe).detail
                == "new nameserver ns-1234.awsdns-12.org (205.251.196.210) did not answer in time")
    }

    @Test("no nameserver of the plan confirms the value: NXDOMAIN at the only resolver is red, never converging")
    func unconfirmed() {
        let describe: (Duration) -> String = { "t+\($0.components.seconds)s" }
        let nobody = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([], ttl: 0, rcode: 3), at: .seconds(1)),
        ])
        let verdict = DNSRecordVerdict(nobody, now: .seconds(1), describeTime: describe)
        #expect(verdict.status == .fail)
        #expect(verdict.detail == "no nameserver of the plan confirms 203.0.113.10: 0 of 1 resolvers see it (a: NXDOMAIN)")
        let some = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
            DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: 300), at: .seconds(1)),
        ])
        #expect(DNSRecordVerdict(some, now: .seconds(1), describeTime: describe).status == .unknown)
        let all = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
        ])
        #expect(DNSRecordVerdict(all, now: .seconds(1), describeTime: describe).status == .pass, "every resolver agrees: nothing left to confirm")
    }

    @Test("dead resolvers are named, not waited for; the ETA stays put from poll to poll")
    func deadResolvers() {
        let describe: (Duration) -> String = { "t+\($0.components.seconds)s" }
        func poll(at second: Int) -> RecordPropagation {
            RecordPropagation(record: record(), observations: [
                DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(second)),
                DNSObservation(server: resolver("bb"), outcome: answer([stale], ttl: UInt32(max(0, 100 - second))), at: .seconds(second)),
                DNSObservation(server: resolver("ccc"), outcome: answer([fresh], ttl: 300), at: .seconds(second)),
                DNSObservation(server: resolver("res5"), outcome: answer([], ttl: 0, rcode: 2), at: .seconds(second)),
                DNSObservation(server: resolver("res6"), outcome: .timeout, at: .seconds(second)),
                DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(second)),
            ])
        }
        let since = [resolver("res6"): Duration.seconds(2)]
        let early = DNSRecordVerdict(poll(at: 10), failingSince: since, now: .seconds(10), describeTime: describe)
        let later = DNSRecordVerdict(poll(at: 40), failingSince: since, now: .seconds(40), describeTime: describe)
        #expect(early.status == .warn)
        #expect(early.detail == "converging: 2 of 3 answering resolvers see the new value, 1 still old; stale caches expire by t+100s (in 1m 30s); failing: res5 SERVFAIL, res6 silent since t+2s")
        #expect(later.detail.contains("stale caches expire by t+100s (in 1m)"), "\(later.detail)")
        // Once the stale cache expires, one broken public resolver does not hold the launch.
        let done = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(100)),
            DNSObservation(server: resolver("bb"), outcome: answer([fresh], ttl: 300), at: .seconds(100)),
            DNSObservation(server: resolver("ccc"), outcome: answer([fresh], ttl: 300), at: .seconds(100)),
            DNSObservation(server: resolver("res5"), outcome: answer([], ttl: 0, rcode: 2), at: .seconds(100)),
            DNSObservation(server: resolver("res6"), outcome: .timeout, at: .seconds(100)),
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(100)),
        ])
        let green = DNSRecordVerdict(done, failingSince: since, now: .seconds(100), describeTime: describe)
        #expect(green.status == .pass)
        #expect(green.detail == "converged (all answering): 3 of 5 resolvers see the new value; failing: res5 SERVFAIL, res6 silent since t+2s")
        // The plan may ask for every resolver, or a share of them.
        #expect(DNSRecordVerdict(done, quorum: .allResolvers, now: .seconds(100), describeTime: describe).status == .warn)
        #expect(DNSRecordVerdict(done, quorum: .atLeast(0.6), now: .seconds(100), describeTime: describe).status == .pass)
        #expect(DNSRecordVerdict(done, quorum: .atLeast(0.9), now: .seconds(100), describeTime: describe).status == .warn)
        // Most resolvers failing is not a launch converging: too few to judge.
        let mostlyDead = RecordPropagation(record: record(), observations: [
            DNSObservation(server: resolver("a"), outcome: answer([fresh], ttl: 300), at: .seconds(1)),
            DNSObservation(server: resolver("res5"), outcome: answer([], ttl: 0, rcode: 2), at: .seconds(1)),
            DNSObservation(server: resolver("res6"), outcome: .timeout, at: .seconds(1)),
            DNSObservation(server: newNS, outcome: answer([fresh], ttl: 300, authoritative: true), at: .seconds(1)),
        ])
        let unknown = DNSRecordVerdict(mostlyDead, now: .seconds(1), describeTime: describe)
        #expect(unknown.status == .unknown)
        #expect(unknown.detail == "only 1 of 3 resolvers answer, too few to judge; failing: res5 SERVFAIL, res6 silent")
    }

    @Test("a new nameserver's CNAME out of its zone is reported as such and judged at the chain's end")
    func danglingCNAME() {
        var flags = DNSFlags()
        flags.isResponse = true
        flags.authoritative = true
        let edge = name("edge.cdn.example")
        let message = DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: zone, type: .a)], answers: [
            DNSRecord(name: zone, ttl: 60, data: .cname(edge)),
        ])
        let observation = DNSObservation(server: newNS, outcome: .response(message), at: .seconds(1))
        #expect(PropagationCell.danglingAlias(message, name: zone, type: .a) == edge)
        let unresolved = RecordPropagation(record: record(), observations: [observation])
        #expect(unresolved.cells.map(\.state) == [.alias])
        let verdict = DNSRecordVerdict(unresolved, now: .seconds(1), describeTime: { _ in "" })
        #expect(verdict.detail == "new nameserver ns-1234.awsdns-12.org (205.251.196.210) answers CNAME edge.cdn.example., which does not resolve to A: the plan expects an A of 203.0.113.10 where the zone has a CNAME")
        let followed = RecordPropagation(record: record(), observations: [observation],
                                         aliases: [edge: [DNSRecord(name: edge, ttl: 20, data: .a(fresh))]])
        #expect(followed.cells.map(\.state) == [.match])
        #expect(followed.cells[0].values == ["CNAME edge.cdn.example. → 203.0.113.10"])
        let elsewhere = RecordPropagation(record: record(), observations: [observation],
                                          aliases: [edge: [DNSRecord(name: edge, ttl: 20, data: .a([192, 0, 2, 1]))]])
        #expect(DNSRecordVerdict(elsewhere, now: .seconds(1), describeTime: { _ in "" }).detail
                == "new nameserver ns-1234.awsdns-12.org (205.251.196.210) answers CNAME edge.cdn.example. → 192.0.2.1, expected 203.0.113.10")
    }

    @Test("answers through a CNAME chain count for the record at its end")
    func cnameChain() {
        var flags = DNSFlags()
        flags.isResponse = true
        let message = DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: name("www.directfanz.io"), type: .a)], answers: [
            DNSRecord(name: name("www.directfanz.io"), ttl: 60, data: .cname(name("d1.cloudfront.net"))),
            DNSRecord(name: name("d1.cloudfront.net"), ttl: 20, data: .a(fresh)),
        ])
        let records = PropagationCell.answerRecords(message, name: name("www.directfanz.io"), type: .a)
        #expect(records.map(\.ttl) == [20])
    }

    @Test("the delegation report: parent referral, apex NS, serials and lame servers")
    func delegation() {
        var flags = DNSFlags()
        flags.isResponse = true
        let parent = DNSServerRef(name: "a0.nic.io", address: "65.22.160.17", role: .previousAuthority)
        let referral = DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: zone, type: .ns)], authority: [
            DNSRecord(name: zone, ttl: 3600, data: .ns(name("ns-567.awsdns-05.net"))),
            DNSRecord(name: zone, ttl: 3600, data: .ns(name("ns-1234.awsdns-12.org"))),
        ])
        var authoritative = flags
        authoritative.authoritative = true
        let apex = DNSMessage(id: 1, flags: authoritative, questions: [DNSQuestion(name: zone, type: .ns)], answers: [
            DNSRecord(name: zone, ttl: 172800, data: .ns(name("ns-1234.awsdns-12.org"))),
        ])
        let soa = DNSMessage(id: 1, flags: authoritative, questions: [DNSQuestion(name: zone, type: .soa)], answers: [
            DNSRecord(name: zone, ttl: 900, data: .soa(.init(primary: name("ns-1234.awsdns-12.org"), mailbox: name("h.amazon.com"),
                                                              serial: 7, refresh: 1, retry: 1, expire: 1, minimum: 1))),
        ])
        let report = DelegationReport(
            zone: zone, expected: [name("ns-1234.awsdns-12.org"), name("ns-567.awsdns-05.net")], previous: [name("ns1.dns-parking.com")],
            referrals: [DNSObservation(server: parent, outcome: .response(referral), at: .zero)],
            apex: [DNSObservation(server: newNS, outcome: .response(apex), at: .zero),
                   DNSObservation(server: oldNS, outcome: .timeout, at: .zero)],
            soa: [DNSObservation(server: newNS, outcome: .response(soa), at: .zero)])
        #expect(report.delegation == .expected)
        #expect(report.parentTTL == 3600)
        #expect(report.authorities[0].serial == 7)
        #expect(report.authorities[1].note == "timed out")
        #expect(report.problems == ["ns-1234.awsdns-12.org (205.251.196.210) publishes NS ns-1234.awsdns-12.org"])
        #expect(report.summary == "parent delegates directfanz.io to new nameservers (NS TTL 3600 s); ns-1234.awsdns-12.org (205.251.196.210) publishes NS ns-1234.awsdns-12.org")
    }
}

extension RecordPropagation {
    /// The observations behind the cells, rebuilt for adding more in a test.
    var cellsAsObservations: [DNSObservation] {
        cells.map { cell in
            let addresses: [[UInt8]] = cell.values.map { value in value.split(separator: ".").compactMap { UInt8($0) } }
            return DNSObservation(server: cell.server, outcome: answer(addresses, ttl: cell.ttl ?? 0, authoritative: cell.authoritative), at: cell.at)
        }
    }
}
