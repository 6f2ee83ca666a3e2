@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// A real cutover on loopback: knot serves the parent zone `test.`, the old provider and the
/// new provider; two unbound resolvers cache in front. The parent's delegation moves from
/// the old nameserver to the new ones, and the grid must converge by the ETA it predicted.
@Suite("DNS cutover against knot and unbound", .enabled(if: LoopbackDNS.canBindPort53, "needs port 53 on loopback (root)"), .serialized)
struct DNSCutoverTests {
    let prefix = LoopbackDNS.randomPrefix()

    func parentZone(serial: Int, delegatedToNew: Bool) -> String {
        let delegation = delegatedToNew
            ? "directfanz 6 NS ns1.newdns.test.\ndirectfanz 6 NS ns2.newdns.test."
            : "directfanz 6 NS ns1.olddns.test."
        return """
            $TTL 6
            @ SOA ns.parent.test. hostmaster.test. \(serial) 60 60 600 2
            @ NS ns.parent.test.
            ns.parent A \(prefix).1
            ns1.olddns A \(prefix).31
            ns1.newdns A \(prefix).21
            ns2.newdns A \(prefix).22
            \(delegation)

            """
    }

    func providerZone(new: Bool) -> String {
        new ? """
            $TTL 10
            @ SOA ns1.newdns.test. hostmaster.newdns.test. 200 60 60 600 10
            @ 6 NS ns1.newdns.test.
            @ 6 NS ns2.newdns.test.
            @ A 127.0.0.80
            @ TXT "v=spf1 include:mail.directfanz.test" " ~all"

            """ : """
            $TTL 10
            @ SOA ns1.olddns.test. hostmaster.olddns.test. 100 60 60 600 10
            @ 6 NS ns1.olddns.test.
            @ A 127.0.0.90
            @ TXT "v=spf1 include:old.example ~all"

            """
    }

    func plan(resolvers: [UnboundServer]) throws -> LaunchPlan {
        let resolverList = resolvers.enumerated().map { "  - { name: resolver-\($0.offset), address: \"\($0.element.address):\($0.element.port)\" }" }
        return try PlanLoader(environment: [:]).load(text: """
            launch: { name: cutover, zone: directfanz.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { timeout: 2s }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            resolvers: \(resolverList.isEmpty ? "[]" : "")
            \(resolverList.joined(separator: "\n"))
            dns:
              parent: [{ name: ns.parent.test, addresses: ["\(prefix).1"] }]
              nameservers:
                expected:
                  - { name: ns1.newdns.test, addresses: ["\(prefix).21"] }
                  - { name: ns2.newdns.test, addresses: ["\(prefix).22"] }
                previous:
                  - { name: ns1.olddns.test, addresses: ["\(prefix).31"] }
              records:
                - { id: dns-apex, name: "@", type: A, expected: [127.0.0.80], previous: [127.0.0.90] }
                - { id: dns-spf, name: "@", type: TXT, expected: ["v=spf1 include:mail.directfanz.test ~all"], previous: ["v=spf1 include:old.example ~all"] }
            """, file: "cutover.yaml").get()
    }

    @Test("the delegation moves, caches age out, and the grid converges by the predicted ETA")
    func cutover() async throws {
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: false)])
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: ["directfanz.test": providerZone(new: false)])
        let new = try KnotServer(addresses: ["\(prefix).21", "\(prefix).22"], zones: ["directfanz.test": providerZone(new: true)])
        let resolvers = try [41, 42].map { try UnboundServer(address: "\(prefix).\($0)", parent: "\(prefix).1") }
        defer { _ = (old, new) }
        let plan = try plan(resolvers: resolvers)
        let probes = PlanProbes.make(for: plan, planDirectory: nil)
        let delegation = try #require(probes.first { $0.checkID == DelegationCheck.id })
        let records = probes.filter { $0 is DNSRecordProbe }
        let start = ContinuousClock.now
        func now() -> Duration { start.duration(to: .now) }

        // Before: the parent points at the old provider; both resolvers serve the old values.
        let before = await delegation.run(at: now())
        #expect(before.status == .fail, "the new nameservers are in effect for nobody yet")
        #expect(before.detail.hasPrefix("parent delegates directfanz.test to old nameservers (NS TTL 6 s)"), "\(before.detail)")
        for probe in records {
            let outcome = await probe.run(at: now())
            #expect(outcome.status == .warn, "\(probe.checkID): \(outcome.detail)")
            #expect(outcome.detail.contains("0 of 2 resolvers see the new value, 2 still old"), "\(outcome.detail)")
            #expect(outcome.detail.hasSuffix("ETA unknown until the parent delegates to the new nameservers"))
        }

        // The cutover.
        let cached = now()
        try parent.update(zone: "test", parentZone(serial: 2, delegatedToNew: true))
        let cutoverAt = now()
        let after = await delegation.run(at: now())
        let delegationSeenAt = now()
        let timeline = "old values cached by \(cached), cutover at \(cutoverAt), delegation seen at \(delegationSeenAt)"
        #expect(after.detail.contains("parent delegates directfanz.test to new nameservers"), "\(after.detail)")
        // The registry's side beside the providers': the parent zone's SOA serial.
        #expect(after.observed["parents"] == .list(["ns.parent.test (\(prefix).1): ns1.newdns.test ns2.newdns.test, parent zone serial 2"]),
                "\(after.observed)")
        // Observed, not inferred: a resolver that still holds the old NS set says for how long
        // (unbound answers from the copy it cached before the cutover, TTL 6 s). On a loaded
        // machine the copies may have expired already, and then the check is green.
        guard case .delegation(let report) = after.evidence else { Issue.record("no delegation evidence"); return }
        if report.oldDelegationCached.isEmpty {
            #expect(after.status == .pass, "\(after.detail)")
            #expect(report.resolverViews.allSatisfy { $0.delegation == .expected }, "\(report.resolverViews)")
        } else {
            #expect(after.status == .warn)
            #expect(after.detail.contains("still has the old delegation cached"), "\(after.detail)")
        }

        // The prediction, right after the cutover.
        var predicted: [String: Duration] = [:]
        for probe in records {
            let outcome = await probe.run(at: now())
            guard case .dnsRecord(let grid) = outcome.evidence else { continue }
            let timing = await (probe as! DNSRecordProbe).servers.delegation
            predicted[probe.checkID] = grid.eta(delegation: timing) ?? now()
            #expect(outcome.detail.contains("stale caches expire by"), "\(outcome.detail) (\(timeline), now \(now()))")
        }
        // Old delegation (NS TTL 6 s) plus the old record's TTL (10 s), from the cutover. TTLs
        // of seconds keep the test short; the old record's outlives the cutover's steps even
        // when every other suite runs beside this one on two cores.
        for (id, eta) in predicted {
            #expect(eta - cutoverAt <= .seconds(17), "\(id) predicted \(eta - cutoverAt) after the cutover")
        }

        // Then poll until every record is green.
        var convergedAt: [String: Duration] = [:]
        while convergedAt.count < records.count, now() - cutoverAt < .seconds(40) {
            for probe in records where convergedAt[probe.checkID] == nil {
                let outcome = await probe.run(at: now())
                if outcome.status == .pass { convergedAt[probe.checkID] = now() }
                #expect(outcome.status != .fail, "\(probe.checkID): \(outcome.detail)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(convergedAt.count == records.count, "converged: \(convergedAt)")
        for (id, at) in convergedAt {
            let eta = try #require(predicted[id])
            // The poll that sees it runs at most 250 ms and one round of queries after.
            #expect(at <= eta + .seconds(1), "\(id) converged \(at - eta) after its ETA")
        }
        // And once the old delegation (NS TTL 6 s from when the new one was first seen) has
        // expired everywhere, the delegation is green.
        let oldDelegationGone = delegationSeenAt + .seconds(6) + .milliseconds(500)
        if now() < oldDelegationGone { try await Task.sleep(for: oldDelegationGone - now()) }
        let settled = await delegation.run(at: now())
        #expect(settled.status == .pass, "\(settled.detail)")
        // A one-shot run (`flightdeck check` in CI) did not see the change happen: it must not
        // invent the moment and hold the check yellow for another NS TTL.
        let oneShot = try #require(PlanProbes.make(for: plan, planDirectory: nil).first { $0.checkID == DelegationCheck.id })
        let fresh = await oneShot.run(at: .zero)
        #expect(fresh.status == .pass, "\(fresh.detail)")
        #expect(fresh.detail == "parent delegates directfanz.test to new nameservers (NS TTL 6 s)")
        // Without resolvers to ask, a one-shot run cannot know when the parent changed: it says
        // so in the evidence, and the check is not yellow for it.
        let blind = try #require(PlanProbes.make(for: try self.plan(resolvers: []), planDirectory: nil).first { $0.checkID == DelegationCheck.id })
        let blindOutcome = await blind.run(at: .zero)
        #expect(blindOutcome.status == .pass, "\(blindOutcome.detail)")
        #expect(blindOutcome.observed["old_delegation"]
                == .text("when the parent changed is not known here: resolvers elsewhere may keep the old delegation up to 6 s after it"))
        _ = resolvers
    }

    @Test("DNS over TLS and over HTTPS to unbound, with the plan's CA")
    func encryptedTransports() async throws {
        let directory = try TestDirectory("dot")
        let certificates = try TestCertificates(directory: directory.path, names: ["resolver.test"])
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: true)])
        let new = try KnotServer(addresses: ["\(prefix).21", "\(prefix).22"], zones: ["directfanz.test": providerZone(new: true)])
        let unbound = try UnboundServer(address: "\(prefix).43", parent: "\(prefix).1", certificates: certificates)
        defer { _ = (parent, new) }
        let address = try SocketAddress.parse("\(prefix).43:\(try #require(unbound.tlsPort))").get()
        let name = try DNSName.parse("directfanz.test").get()

        let overTLS = await DNSClient.query(name, .a, target: .tls(address, name: try DNSName.parse("resolver.test").get(), caFile: certificates.caCertificate),
                                            recursive: true, timeout: .seconds(3))
        guard case .response(let tlsAnswer, _) = overTLS else {
            Issue.record("DoT: \(overTLS)")
            return
        }
        #expect(tlsAnswer.answers.map(\.data.comparable) == ["127.0.0.80"])

        let wrongName = await DNSClient.query(name, .a, target: .tls(address, name: try DNSName.parse("other.test").get(), caFile: certificates.caCertificate),
                                              recursive: true, timeout: .seconds(3))
        #expect(wrongName == .failure("DNS over TLS to \(address): TLS: hostname mismatch"))

        let httpsPort = try #require(unbound.httpsPort)
        let url = try #require(URL(string: "https://resolver.test:\(httpsPort)/dns-query"))
        let overHTTPS = await DNSClient.query(name, .txt, target: .https(url, connectTo: try SocketAddress.parse("\(prefix).43").get(), caFile: certificates.caCertificate),
                                              recursive: true, timeout: .seconds(3))
        guard case .response(let httpsAnswer, _) = overHTTPS else {
            Issue.record("DoH: \(overHTTPS)")
            return
        }
        #expect(httpsAnswer.answers.map(\.data.comparable) == ["v=spf1 include:mail.directfanz.test ~all"])
    }
}
