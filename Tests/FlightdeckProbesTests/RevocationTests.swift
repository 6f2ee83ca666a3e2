@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// Revocation without a staple: the CRL nginx serves and the OCSP responder, both made by
/// `openssl ca`/`openssl ocsp`, asked about leaves an `openssl s_server` serves without
/// stapling. Serialized: the cases change what the CRL URL serves.
@Suite("Revocation without a staple (CRL and OCSP)", .serialized)
struct RevocationTests {
    let ca: RevocationCA

    init() throws {
        ca = try RevocationCA(nginx: try NginxServer.shared())
    }

    /// Probes `leaf` as served (with its issuer, nothing stapled), with a revocation checker
    /// of its own so no answer is remembered from another case.
    private func probe(_ leaf: RevocationCA.Leaf, revocation: String? = nil,
                       checker: RevocationChecker = RevocationChecker()) async throws -> ProbeOutcome {
        let server = try OpenSSLServer(certificate: ca.certificate(leaf), key: ca.key(leaf), extras: ca.issuer)
        defer { server.stop() }
        let setting = revocation.map { ", revocation: \($0)" } ?? ""
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: rev.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            polling: { timeout: 3s }
            tls:
              - { id: t, host: rev.test, port: \(server.port), address: 127.0.0.1, ca_file: "\(ca.rootCA)"\(setting) }
            """, file: "t.yaml").get()
        let probe = TLSProbe(endpoint: plan.tlsEndpoints[0], polling: plan.polling, planDirectory: nil,
                             servers: DNSServers(plan: plan, planDirectory: nil), revocation: checker)
        return await probe.run(at: .zero)
    }

    /// What `openssl ocsp` itself says of the leaf, asking the same responder.
    private func opensslSays(_ leaf: RevocationCA.Leaf) throws -> String {
        let output = try runCommand("/usr/bin/openssl", ["ocsp", "-issuer", ca.issuer, "-cert", ca.certificate(leaf), "-url", ca.ocspURL,
                                                         "-CAfile", ca.rootCA])
        return output.split(separator: "\n").first { $0.hasPrefix(ca.certificate(leaf)) }.map(String.init) ?? output
    }

    @Test("a leaf the CRL does not list is good, and the CRL is not fetched again before it is due")
    func crlGood() async throws {
        let checker = RevocationChecker()
        let outcome = try await probe(.good, revocation: "[crl]", checker: checker)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.observed["revocation"] == .text("CRL: good"))
        #expect(outcome.observed["revocation_sources"] == .list(["CRL \(ca.crlURL): good"]))
        // Gone from the server, still known: the CRL it read is good until its nextUpdate.
        try ca.publish([])
        defer { try? ca.publishCRL() }
        let again = try await probe(.good, revocation: "[crl]", checker: checker)
        #expect(again.observed["revocation"] == .text("CRL: good"))
        let fresh = try await probe(.good, revocation: "[crl]")
        #expect(fresh.status == .warn)
        #expect(fresh.detail == "revocation status unknown: the CRL at \(ca.crlURL) is unavailable, the answer is not a CRL")
    }

    @Test("a leaf the CRL lists is red, with when and why, whatever the other sources say")
    func crlRevoked() async throws {
        let outcome = try await probe(.revoked)
        #expect(outcome.status == .fail)
        #expect(outcome.detail.hasPrefix("the certificate is revoked according to its CRL since "), "\(outcome.detail)")
        #expect(outcome.detail.hasSuffix(" UTC (keyCompromise): serve a newly issued certificate now"), "\(outcome.detail)")
        #expect(outcome.observed["revocation"] == .text("CRL: revoked"))
        guard case .list(let lines)? = outcome.observed["revocation_sources"] else {
            Issue.record("no sources listed")
            return
        }
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix("OCSP \(ca.ocspURL): revoked since "), "\(lines)")
    }

    @Test("OCSP alone: the responder's good and revoked agree with `openssl ocsp` asking it")
    func ocspAgreesWithOpenSSL() async throws {
        let good = try await probe(.good, revocation: "[ocsp]")
        #expect(try opensslSays(.good).hasSuffix(": good"))
        #expect(good.status == .pass, "\(good.detail)")
        #expect(good.observed["revocation"] == .text("OCSP: good"))

        let revoked = try await probe(.revoked, revocation: "[ocsp]")
        #expect(try opensslSays(.revoked).hasSuffix(": revoked"))
        #expect(revoked.status == .fail)
        #expect(revoked.detail.hasPrefix("the certificate is revoked according to its OCSP responder since "), "\(revoked.detail)")
        #expect(revoked.detail.hasSuffix("(keyCompromise): serve a newly issued certificate now"))
    }

    @Test("an OCSP answer signed by another key under the issuer's name is not believed")
    func ocspImpostor() async throws {
        ca.signOCSP(with: .impostor)
        defer { ca.signOCSP(with: .issuer) }
        let outcome = try await probe(.revoked, revocation: "[ocsp]")
        #expect(outcome.status == .warn)
        #expect(outcome.detail == "revocation status unknown: the OCSP responder at \(ca.ocspURL) is unavailable, "
            + "its signature is not the issuer's or a responder it delegated to")
    }

    @Test("a CRL that cannot be trusted is unavailable, never good: forged, out of date, huge, missing")
    func crlUntrusted() async throws {
        defer { try? ca.publishCRL() }
        try ca.publishForgedCRL()
        let forged = try await probe(.revoked, revocation: "[crl]")
        #expect(forged.status == .warn)
        #expect(forged.detail == "revocation status unknown: the CRL at \(ca.crlURL) is unavailable, its signature does not verify with the issuer's key")

        try ca.publishExpiredCRL()
        let expired = try await probe(.good, revocation: "[crl]")
        #expect(expired.status == .warn)
        #expect(expired.detail == "revocation status unknown: the CRL at \(ca.crlURL) is unavailable, out of date since 2025-01-08 00:00 UTC")

        try ca.publish([UInt8](repeating: 0x30, count: RevocationChecker.crlCap + 4096))
        let huge = try await probe(.good, revocation: "[crl]")
        #expect(huge.status == .warn)
        #expect(huge.detail == "revocation status unknown: the CRL at \(ca.crlURL) is unavailable, larger than 8192 KiB")

        let missing = try await probe(.unreachable)
        #expect(missing.status == .warn)
        #expect(missing.detail.hasPrefix("revocation status unknown: the CRL at http://127.0.0.1:"), "\(missing.detail)")
        #expect(missing.detail.hasSuffix("/files/nothing-here/inter.crl is unavailable, HTTP 404 (and 1 more source)"), "\(missing.detail)")
    }

    @Test("a certificate that publishes nothing, or a plan that asks nothing, changes nothing")
    func nothingToAsk() async throws {
        let unpublished = try await probe(.unpublished)
        #expect(unpublished.status == .pass, "\(unpublished.detail)")
        #expect(unpublished.observed["revocation"] == .text("none published"))
        #expect(unpublished.observed["revocation_sources"] == nil)
        let notAsked = try await probe(.revoked, revocation: "none")
        #expect(notAsked.status == .pass, "\(notAsked.detail)")
        #expect(notAsked.observed["revocation"] == .text("not asked (revocation: none)"))
    }
}

@Suite("The plan's revocation setting")
struct RevocationPlanTests {
    private func load(_ setting: String) -> Result<LaunchPlan, PlanLoadError> {
        PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: rev.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            tls:
              - { id: t, host: rev.test, revocation: \(setting) }
            """, file: "t.yaml")
    }

    @Test("CRL then OCSP by default; a list, `none`, and a misspelt source said where it is")
    func setting() throws {
        #expect(try load("[crl, ocsp]").get().tlsEndpoints[0].revocationSources == [RevocationSource.crl, .ocsp])
        #expect(try load("[ocsp]").get().tlsEndpoints[0].revocationSources == [RevocationSource.ocsp])
        #expect(try load("none").get().tlsEndpoints[0].revocationSources == [])
        let plain = PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: rev.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            roles: [{ id: ops }]
            approvers: [{ name: Ada, role: ops, users: [ada] }]
            poll: { order: [ops], director: ops }
            tls: [{ id: t, host: rev.test }]
            """, file: "t.yaml")
        #expect(try plain.get().tlsEndpoints[0].revocationSources == [RevocationSource.crl, .ocsp])
        guard case .failure(let errors) = load("[crl, oscp]") else {
            Issue.record("a misspelt source was accepted")
            return
        }
        #expect(errors.description.contains("t.yaml:6:"), "\(errors)")
        #expect(errors.description.contains("`oscp` is not a revocation source (did you mean `ocsp`?)"), "\(errors)")
    }
}
