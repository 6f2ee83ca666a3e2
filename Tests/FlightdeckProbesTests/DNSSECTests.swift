@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// DNSSEC across the change of provider, on loopback: knot serves the parent zone `test.`
/// (signed by knot itself), the old and the new provider's zone (signed by knot, by
/// ldns-signzone ahead of time, or not at all); unbound validates with a trust anchor for
/// `test.`, as a public validating resolver does from the root. The DS records come from the
/// signers' own tools (knot's keymgr, ldns-key2ds), so a match is Flightdeck's digest agreeing
/// with theirs.
@Suite("DNSSEC across the provider change, against knot, ldns and a validating unbound",
       .enabled(if: LoopbackDNS.canBindPort53, "needs port 53 on loopback (root)"), .serialized)
struct DNSSECTests {
    let prefix = LoopbackDNS.randomPrefix()
    let zone = "directfanz.test"

    func parentZone(serial: Int, delegatedToNew: Bool, ds: [String]) -> String {
        let delegation = delegatedToNew ? "directfanz 2 NS ns1.newdns.test." : "directfanz 2 NS ns1.olddns.test."
        // keymgr and ldns-key2ds print full records; the parent zone holds them with its own TTL.
        let dsLines = ds.map { line -> String in
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard let at = fields.firstIndex(of: "DS") else { return line }
            return "directfanz 4 DS " + fields[(at + 1)...].joined(separator: " ")
        }
        return """
            $TTL 10
            @ SOA ns.parent.test. hostmaster.test. \(serial) 60 60 600 2
            @ NS ns.parent.test.
            ns.parent A \(prefix).1
            ns1.olddns A \(prefix).31
            ns1.newdns A \(prefix).21
            \(delegation)
            \(dsLines.joined(separator: "\n"))

            """
    }

    func providerZone(new: Bool) -> String {
        """
        $TTL 10
        @ SOA ns1.\(new ? "newdns" : "olddns").test. hostmaster.test. 200 60 60 600 10
        @ 2 NS ns1.\(new ? "newdns" : "olddns").test.
        @ A \(new ? "127.0.0.80" : "127.0.0.90")
        www 2 A \(new ? "127.0.0.81" : "127.0.0.91")

        """
    }

    func plan(resolver: UnboundServer?, warning: String = "3d") throws -> LaunchPlan {
        let resolvers = resolver.map { "resolvers: [{ name: validating, address: \"\($0.address):\($0.port)\" }]" } ?? "resolvers: []"
        return try PlanLoader(environment: [:]).load(text: """
            launch: { name: dnssec, zone: \(zone), t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { timeout: 2s }
            \(resolvers)
            dns:
              parent: [{ name: ns.parent.test, addresses: ["\(prefix).1"] }]
              signature_warning: \(warning)
              nameservers:
                expected: [{ name: ns1.newdns.test, addresses: ["\(prefix).21"] }]
                previous: [{ name: ns1.olddns.test, addresses: ["\(prefix).31"] }]
              records:
                - { id: www, name: www, type: A, expected: [127.0.0.81], previous: [127.0.0.91] }
            """, file: "dnssec.yaml").get()
    }

    /// The parent, signed by knot, and a trust anchor for it.
    func signedParent(delegatedToNew: Bool, ds: [String]) throws -> (KnotServer, String) {
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: delegatedToNew, ds: ds)],
                                    signing: ["test": .init()])
        let anchor = try #require(try parent.ds("test").first)
        return (parent, anchor)
    }

    func run(_ plan: LaunchPlan, _ id: String, probes: [any Probe]? = nil) async throws -> ProbeOutcome {
        let probe = try #require((probes ?? PlanProbes.make(for: plan, planDirectory: nil)).first { $0.checkID == id })
        return await probe.run(at: .zero)
    }

    @Test("unsigned to unsigned: nothing to keep in step, and nothing said about it")
    func unsignedToUnsigned() async throws {
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: false, ds: [])])
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: [zone: providerZone(new: false)])
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)])
        defer { _ = (parent, old, new) }
        let outcome = try await run(try plan(resolver: nil), DNSSECCheck.id)
        #expect(outcome.status == .pass)
        #expect(outcome.detail == "unsigned: the parent has no DS for directfanz.test, so there is no key to keep in step")
        #expect(outcome.observed["new_dnskey"] == .list(["none: unsigned"]))
    }

    @Test("signed at the old provider with its DS at the parent, unsigned at the new: red before the flip, bogus cells after it")
    func dsLeftBehind() async throws {
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: [zone: providerZone(new: false)], signing: [zone: .init()])
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)])
        let ds = try old.ds(zone)
        let (parent, anchor) = try signedParent(delegatedToNew: false, ds: ds)
        let unbound = try UnboundServer(address: "\(prefix).41", parent: "\(prefix).1", trustAnchor: anchor)
        defer { _ = (old, new, unbound) }
        let plan = try plan(resolver: unbound)
        let tag = try #require(ds.first?.split(separator: " ").dropFirst(2).first)

        let before = try await run(plan, DNSSECCheck.id)
        #expect(before.status == .fail)
        #expect(before.detail == "the parent holds DS \(tag) but the new nameservers serve no DNSKEY: validating resolvers answer SERVFAIL "
                + "once the delegation moves; remove the DS at the registrar, wait its TTL (4s), then change NS", "\(before.detail)")
        guard case .list(let dsLines)? = before.observed["ds"] else { Issue.record("no DS in \(before.observed)"); return }
        #expect(dsLines.contains { $0.hasPrefix("DS \(tag) ECDSAP256SHA256 SHA-256 ") && $0.hasSuffix(": old provider's KSK \(tag) ECDSAP256SHA256") },
                "\(dsLines)")
        // The old provider's chain validates today: the resolver says so (AD).
        let stillOld = try await run(plan, "www")
        guard case .dnsRecord(let grid) = stillOld.evidence else { Issue.record("no grid"); return }
        #expect(grid.resolverCells.map(\.validation) == [.validated], "\(grid.resolverCells)")

        // The flip, with the DS left behind: once the old delegation (TTL 2 s) expires, the
        // validating resolver refuses the new provider's unsigned answers.
        try parent.update(zone: "test", parentZone(serial: 2, delegatedToNew: true, ds: ds))
        let probes = PlanProbes.make(for: plan, planDirectory: nil)
        _ = try await run(plan, DelegationCheck.id, probes: probes)
        try await Task.sleep(for: .seconds(3))
        let after = try await run(plan, "www", probes: probes)
        #expect(after.status == .fail)
        #expect(after.detail == "DNSSEC validation fails at 1 of 1 resolvers (bogus): validating answers SERVFAIL, and 127.0.0.81 with "
                + "checking disabled; see dns-dnssec", "\(after.detail)")
        let chain = try await run(plan, DNSSECCheck.id, probes: probes)
        #expect(chain.detail.contains("validating resolvers answer SERVFAIL now"), "\(chain.detail)")
    }

    @Test("the DS removed before the cutover: yellow until validators' copies of it expire, then green", .timeLimit(.minutes(1)))
    func dsRemoved() async throws {
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: [zone: providerZone(new: false)], signing: [zone: .init()])
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)])
        let ds = try old.ds(zone)
        let (parent, _) = try signedParent(delegatedToNew: false, ds: ds)
        defer { _ = (old, new) }
        let plan = try plan(resolver: nil)
        let probe = try #require(PlanProbes.make(for: plan, planDirectory: nil).first { $0.checkID == DNSSECCheck.id })
        let start = ContinuousClock.now
        func now() -> Duration { start.duration(to: .now) }
        #expect(await probe.run(at: now()).status == .fail)
        try parent.update(zone: "test", parentZone(serial: 2, delegatedToNew: false, ds: []))
        let removed = await probe.run(at: now())
        #expect(removed.status == .warn)
        // The DS TTL (4 s) and the old DNSKEY set's (10 s) a validator fetched with it.
        #expect(removed.detail.hasPrefix("the parent's DS set changed; validating resolvers may keep the old one until "), "\(removed.detail)")
        #expect(removed.detail.hasSuffix(": change NS after that"))
        #expect(removed.observed["eta"] != nil)
        try await Task.sleep(for: .seconds(11))
        let settled = await probe.run(at: now())
        #expect(settled.status == .pass, "\(settled.detail)")
        #expect(settled.detail.hasPrefix("unsigned: the parent has no DS"))
    }

    @Test("a DS matching the new provider's KSK is green, and the validating resolver validates the new answers", arguments: [
        ("ecdsap256sha256", "ECDSAP256SHA256"), ("rsasha256", "RSASHA256"), ("ed25519", "ED25519"),
    ])
    func dsMatchesNew(algorithm: String, name: String) async throws {
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: [zone: providerZone(new: false)])
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)],
                                 signing: [zone: .init(algorithm: algorithm)])
        let ds = try new.ds(zone)
        let (parent, anchor) = try signedParent(delegatedToNew: true, ds: ds)
        let unbound = try UnboundServer(address: "\(prefix).41", parent: "\(prefix).1", trustAnchor: anchor)
        defer { _ = (old, parent, unbound) }
        let plan = try plan(resolver: unbound)
        let tag = try #require(ds.first?.split(separator: " ").dropFirst(2).first)

        let outcome = try await run(plan, DNSSECCheck.id)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail == "the parent's DS \(tag) (\(name), SHA-256) matches the new provider's KSK \(tag) \(name)", "\(outcome.detail)")
        guard case .list(let signatures)? = outcome.observed["signatures"] else { Issue.record("\(outcome.observed)"); return }
        #expect(signatures.count == 2 && signatures.allSatisfy { $0.contains(": valid key ") }, "\(signatures)")
        // The same answers with one bit of one signature flipped: the verification is real.
        let tampered = try await tamperedReport(plan)
        #expect(tampered.status == .fail)
        #expect(tampered.detail.hasPrefix("the signature on www.directfanz.test A from ns1.newdns.test (\(prefix).21) does not verify with key "),
                "\(tampered.detail)")
        let record = try await run(plan, "www")
        guard case .dnsRecord(let grid) = record.evidence else { Issue.record("no grid"); return }
        #expect(record.status == .pass, "\(record.detail)")
        #expect(grid.resolverCells.map(\.validation) == [.validated], "\(grid.resolverCells)")
    }

    /// The new nameserver's answers, asked afresh, with the last byte of the signature on `www A` flipped.
    func tamperedReport(_ plan: LaunchPlan) async throws -> DNSSECReport {
        let servers = DNSServers(plan: plan, planDirectory: nil)
        let zone = plan.zone
        let www = try DNSName.parse("www.\(zone)").get()
        let parents = await servers.parents()
        let authorities = await servers.authorities()
        let dsAnswers = await DNSFanOut.ask(parents, zone, .ds, at: .zero, dnssec: true)
        let keyAnswers = await DNSFanOut.ask(authorities, zone, .dnskey, at: .zero, dnssec: true)
        let news = authorities.filter { $0.server.role == .expectedAuthority }
        let answers = await DNSFanOut.ask(news, www, .a, at: .zero, dnssec: true).map { observation -> DNSObservation in
            guard case .response(var message) = observation.outcome else { return observation }
            message.answers = message.answers.map { record in
                guard case .rrsig(var signature) = record.data else { return record }
                signature.signature[signature.signature.count - 1] ^= 0x01
                var changed = record
                changed.data = .rrsig(signature)
                return changed
            }
            var copy = observation
            copy.outcome = .response(message)
            return copy
        }
        return DNSSECReport(zone: zone, dsAnswers: dsAnswers, keyAnswers: keyAnswers,
                            records: [.init(name: www, type: .a, observations: answers)], crypto: OpenSSLDNSSEC(),
                            now: Int64(Date().timeIntervalSince1970), warning: .seconds(86400), delegatedToNew: true)
    }

    @Test("a DS with a wrong digest is red, naming the key it should have matched")
    func wrongDigest() async throws {
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)], signing: [zone: .init()])
        let good = try #require(try new.ds(zone).first)
        let wrong = String(good.dropLast()) + (good.hasSuffix("0") ? "1" : "0")
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: true, ds: [wrong])])
        defer { _ = (parent, new) }
        let tag = try #require(good.split(separator: " ").dropFirst(2).first)
        let outcome = try await run(try plan(resolver: nil), DNSSECCheck.id)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == "the parent's DS \(tag) has the wrong digest for the new provider's KSK \(tag) ECDSAP256SHA256: "
                + "validating resolvers answer SERVFAIL once the delegation moves; correct the DS at the registrar", "\(outcome.detail)")
    }

    @Test("the new provider signs with its own key and the parent still has the old one: add the new DS, or multi-signer")
    func dsForOtherKey() async throws {
        let old = try KnotServer(addresses: ["\(prefix).31"], zones: [zone: providerZone(new: false)], signing: [zone: .init()])
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)], signing: [zone: .init()])
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: false, ds: try old.ds(zone))])
        defer { _ = (parent, old, new) }
        let outcome = try await run(try plan(resolver: nil), DNSSECCheck.id)
        #expect(outcome.status == .fail)
        #expect(outcome.detail.contains("matches no key at the new provider (its KSK "), "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix("add the new provider's DS at the registrar, or sign with both providers' keys (multi-signer, RFC 8901)"))
    }

    @Test("expired signatures are red with the moment they expired; ldns-verify-zone refuses the same zone")
    func expiredSignatures() async throws {
        let clock = Int(Date().timeIntervalSince1970)
        let signed = try PresignedZone(zone: zone, text: providerZone(new: true), algorithms: ["ECDSAP256SHA256"],
                                       inception: clock - 10 * 86400, expiration: clock - 86400)
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: signed.text])
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: true, ds: signed.ds)])
        defer { _ = (parent, new) }
        let outcome = try await run(try plan(resolver: nil), DNSSECCheck.id)
        #expect(outcome.status == .fail)
        #expect(outcome.detail.hasPrefix("the signature on directfanz.test SOA from ns1.newdns.test (\(prefix).21) expired at "), "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix(": the zone must be re-signed"))
        let reference = try await runProcess("/usr/bin/ldns-verify-zone", [signed.path])
        #expect(reference.status != 0 && (reference.stdout + reference.stderr).contains("expired"), "\(reference.stdout)\(reference.stderr)")
    }

    @Test("signatures that expire within the plan's warning are yellow")
    func expiringSignatures() async throws {
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: providerZone(new: true)],
                                 signing: [zone: .init(signatureLifetime: "2d")])
        let parent = try KnotServer(addresses: ["\(prefix).1"], zones: ["test": parentZone(serial: 1, delegatedToNew: true, ds: try new.ds(zone))])
        defer { _ = (parent, new) }
        let outcome = try await run(try plan(resolver: nil, warning: "3d"), DNSSECCheck.id)
        #expect(outcome.status == .warn, "\(outcome.detail)")
        #expect(outcome.detail.contains("; the signature on directfanz.test SOA expires at "), "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix(": the signer must refresh it"))
        let calm = try await run(try plan(resolver: nil, warning: "1d"), DNSSECCheck.id)
        #expect(calm.status == .pass, "\(calm.detail)")
    }

    @Test("an algorithm roll in progress: two algorithms signed, a DS for each, and the resolver still validates")
    func algorithmRoll() async throws {
        let clock = Int(Date().timeIntervalSince1970)
        let signed = try PresignedZone(zone: zone, text: providerZone(new: true), algorithms: ["RSASHA256", "ECDSAP256SHA256"],
                                       inception: clock - 3600, expiration: clock + 30 * 86400)
        let new = try KnotServer(addresses: ["\(prefix).21"], zones: [zone: signed.text])
        let (parent, anchor) = try signedParent(delegatedToNew: true, ds: signed.ds)
        let unbound = try UnboundServer(address: "\(prefix).41", parent: "\(prefix).1", trustAnchor: anchor)
        defer { _ = (parent, new) }
        let plan = try plan(resolver: unbound)
        let outcome = try await run(plan, DNSSECCheck.id)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix("; algorithm roll in progress (RSASHA256, ECDSAP256SHA256)"), "\(outcome.detail)")
        let record = try await run(plan, "www")
        guard case .dnsRecord(let grid) = record.evidence else { Issue.record("no grid"); return }
        #expect(grid.resolverCells.map(\.validation) == [.validated], "\(grid.resolverCells)")
    }
}
