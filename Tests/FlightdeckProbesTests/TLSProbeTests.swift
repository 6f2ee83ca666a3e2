@testable import FlightdeckCore
@testable import FlightdeckProbes
import FlightdeckTestSupport
import Foundation
import Testing

/// One zoo for the whole process: making it takes a few dozen openssl runs.
private let zoo: Result<(CertificateZoo, TestDirectory), any Error> = Result {
    let directory = try TestDirectory("zoo")
    return (try CertificateZoo(directory: directory.path), directory)
}

private func endpointProbe(_ yaml: String, zoo: CertificateZoo) throws -> TLSProbe {
    let plan = try PlanLoader(environment: [:]).load(text: """
        launch: { name: T, zone: zoo.test, t0: 2026-12-01T14:00Z, timezone: UTC }
        roles: [{ id: ops }]
        approvers: [{ name: Ada, role: ops, users: [ada] }]
        poll: { order: [ops], director: ops }
        polling: { timeout: 2s }
        tls:
          - \(yaml)
        """, file: "t.yaml").get()
    return TLSProbe(endpoint: plan.tlsEndpoints[0], polling: plan.polling, planDirectory: nil,
                    servers: DNSServers(plan: plan, planDirectory: nil))
}

@Suite("TLS probe against a certificate zoo")
struct TLSProbeTests {
    let zoo: CertificateZoo
    init() throws { zoo = try FlightdeckProbesTests.zoo.get().0 }

    /// Serves `leaf` with its issuer and probes it as `api.zoo.test` (or what `extra` says).
    private func inspect(_ leaf: CertificateZoo.Leaf, serve extras: String?? = .none, options: [String] = [],
                         endpoint extra: String = "", trust: Bool = true) async throws -> ProbeOutcome {
        let chain: String? = extras ?? (leaf == .selfSigned ? nil : zoo.issuer(leaf))
        let server = try OpenSSLServer(certificate: zoo.certificate(leaf), key: zoo.key(leaf), extras: chain, options: options)
        defer { server.stop() }
        let ca = trust ? ", ca_file: \"\(zoo.rootCA)\"" : ""
        let probe = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1\(ca)\(extra) }", zoo: zoo)
        return await probe.run(at: .zero)
    }

    @Test("a valid chain passes, with the chain, key, signature and fingerprint collected")
    func valid() async throws {
        let outcome = try await inspect(.valid)
        #expect(outcome.status == .pass, "\(outcome.detail)")
        #expect(outcome.detail == "valid, 89 days left, TLSv1.3, zoo.test")
        guard case .tls(let results) = outcome.evidence, let inspection = results.first?.inspection,
              let evaluation = results.first?.evaluation else {
            Issue.record("no inspection")
            return
        }
        #expect(inspection.chain.count == 2)
        let leaf = inspection.chain[0]
        #expect(leaf.subject == "CN=zoo.test")
        #expect(leaf.issuer == "CN=Zoo Intermediate")
        #expect(leaf.keyType == "RSA" && leaf.keyBits == 2048)
        #expect(leaf.signatureAlgorithm == "ecdsa-with-SHA256")
        #expect(leaf.dnsNames == ["zoo.test", "api.zoo.test"])
        #expect(leaf.fingerprint.count == 64)
        #expect(!leaf.serial.isEmpty)
        #expect(inspection.chain[1].isCA)
        #expect(inspection.verified)
        #expect(inspection.ocsp == .none)
        #expect(evaluation.coverage == [TLSEvaluation.Coverage(host: "api.zoo.test", coveredBy: "api.zoo.test")])
        #expect(outcome.observed["days_left"] == .number(89))
        #expect(outcome.observed["protocol"] == .text("TLSv1.3"))
        #expect(outcome.observed["verification"] == .text("ok"))
    }

    @Test("warning and critical days apply to the earliest expiry in the chain")
    func expiryThresholds() async throws {
        let warned = try await inspect(.ecdsa, endpoint: ", warning_days: 100, critical_days: 10")
        #expect(warned.status == .warn)
        #expect(warned.detail.hasPrefix("leaf zoo.test expires in 89 days ("))
        let critical = try await inspect(.ecdsa, endpoint: ", warning_days: 200, critical_days: 100")
        #expect(critical.status == .fail)
        #expect(critical.detail.hasPrefix("leaf zoo.test expires in 89 days ("))
        #expect(critical.detail.hasSuffix("); red under 100 days (the plan's)"), "\(critical.detail)")
        #expect(warned.detail.hasSuffix("); a warning under 100 days (the plan's)"), "\(warned.detail)")
    }

    @Test("each flaw is named in one line", arguments: [
        (CertificateZoo.Leaf.expired, "leaf zoo.test expired on 2025-01-01"),
        (.notYetValid, "leaf zoo.test is not valid until 2099-01-01"),
        (.expiredIntermediate, "intermediate Zoo Old Intermediate expired on 2025-01-01"),
        (.selfSigned, "self-signed certificate (zoo.test): nobody vouches for it"),
        (.rsa1024, "weak key: RSA 1024 bits (leaf zoo.test)"),
        (.sha1, "SHA-1 signature (leaf zoo.test)"),
        (.wrongHost, "does not cover api.zoo.test (certificate names: other.test)"),
    ])
    func flaws(leaf: CertificateZoo.Leaf, detail: String) async throws {
        let outcome = try await inspect(leaf)
        #expect(outcome.status == .fail)
        #expect(outcome.detail == detail)
    }

    @Test("a missing intermediate and a chain out of order")
    func chainProblems() async throws {
        let missing = try await inspect(.valid, serve: .some(nil))
        #expect(missing.detail == "missing intermediate: the server sends only the leaf (issued by Zoo Intermediate)")
        let misordered = try await inspect(.valid, serve: .some(zoo.misorderedExtras))
        #expect(misordered.detail == "chain out of order: root Zoo Root CA did not issue leaf zoo.test")
    }

    @Test("untrusted without the plan's CA: OpenSSL's reason")
    func untrusted() async throws {
        let outcome = try await inspect(.valid, trust: false)
        #expect(outcome.detail == "untrusted: unable to get local issuer certificate")
    }

    @Test("the coverage grid shows a stale certificate behind one address of several")
    func coverageGrid() async throws {
        let current = try OpenSSLServer(certificate: zoo.certificate(.valid), key: zoo.key(.valid), extras: zoo.issuer(.valid))
        let stale = try OpenSSLServer(certificate: zoo.certificate(.expired), key: zoo.key(.expired), extras: zoo.issuer(.expired))
        defer { current.stop(); stale.stop() }
        let endpoints = [
            try endpointProbe("{ id: lb-a, host: api.zoo.test, port: \(current.port), address: 127.0.0.1, ca_file: \"\(zoo.rootCA)\", covers: [api.zoo.test, zoo.test] }", zoo: zoo),
            try endpointProbe("{ id: lb-b, host: api.zoo.test, port: \(stale.port), address: 127.0.0.1, ca_file: \"\(zoo.rootCA)\", covers: [api.zoo.test, zoo.test] }", zoo: zoo),
        ]
        var results: [String: [TLSAddressResult]] = [:]
        for probe in endpoints {
            if case .tls(let found) = await probe.run(at: .zero).evidence { results[probe.checkID] = found }
        }
        let grid = CoverageGrid(endpoints: endpoints.map(\.endpoint), results: results)
        #expect(grid.cells.count == 4)
        #expect(grid.cells.allSatisfy { $0.covered == true })
        #expect(grid.cells.map(\.endpoint) == ["lb-a", "lb-a", "lb-b", "lb-b"])
        #expect(grid.cells[..<2].allSatisfy { $0.daysLeft == 89 })
        #expect(grid.cells[2...].allSatisfy { ($0.daysLeft ?? 0) < 0 }, "the stale load balancer's certificate has expired")
        #expect(grid.inconsistentHosts == ["api.zoo.test", "zoo.test"])
        #expect(grid.cells[..<2].allSatisfy { $0.status == .pass && $0.summary == "covered" })
        #expect(grid.cells[2...].allSatisfy { $0.status == .fail && $0.summary == "covered, but leaf zoo.test expired on 2025-01-01" })
    }

    @Test("a name covered by an expired, self-signed or untrusted certificate is no pass in the grid", arguments: [
        (CertificateZoo.Leaf.expired, true, "covered, but leaf zoo.test expired on 2025-01-01"),
        (.selfSigned, true, "covered, but self-signed certificate (zoo.test): nobody vouches for it"),
        (.valid, false, "covered, but untrusted: unable to get local issuer certificate"),
        (.wrongHost, true, "NOT covered"),
    ])
    func coverageOfBadCertificates(leaf: CertificateZoo.Leaf, trust: Bool, summary: String) async throws {
        let outcome = try await inspect(leaf, trust: trust)
        guard case .tls(let results) = outcome.evidence else { Issue.record("no evidence"); return }
        let probe = try endpointProbe("{ id: t, host: api.zoo.test, port: 1, address: 127.0.0.1 }", zoo: zoo)
        let grid = CoverageGrid(endpoints: [probe.endpoint], results: ["t": results])
        #expect(grid.cells.map(\.status) == [.fail])
        #expect(grid.cells.map(\.summary) == [summary])
    }

    @Test("a wildcard covers one label: not the apex, not two levels")
    func wildcard() async throws {
        let server = try OpenSSLServer(certificate: zoo.certificate(.wildcard), key: zoo.key(.wildcard), extras: zoo.issuer(.wildcard))
        defer { server.stop() }
        let probe = try endpointProbe("""
            { id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: "\(zoo.rootCA)", covers: [api.zoo.test, zoo.test, a.b.zoo.test] }
            """, zoo: zoo)
        let outcome = await probe.run(at: .zero)
        #expect(outcome.detail == "does not cover zoo.test (certificate names: *.zoo.test)")
        #expect(outcome.observed["coverage"] == .list([
            "api.zoo.test: covered by *.zoo.test", "zoo.test: NOT covered", "a.b.zoo.test: NOT covered",
        ]))
    }

    @Test("the TLS version against the plan's minimum")
    func versions() async throws {
        let only13 = try await inspect(.ecdsa, options: ["-tls1_3"], endpoint: ", min_version: \"1.3\"")
        #expect(only13.status == .pass)
        let only12 = try await inspect(.ecdsa, options: ["-tls1_2"], endpoint: ", min_version: \"1.3\"")
        #expect(only12.detail == "TLSv1.2 negotiated, the plan requires TLS 1.3 or later")
    }

    @Test("which of TLS 1.0 to 1.3 the endpoint accepts, as openssl s_client finds; min_version judges the lowest accepted")
    func acceptedVersions() async throws {
        let legacy = ["-cipher", "DEFAULT:@SECLEVEL=0", "-min_protocol", "TLSv1"]
        for (options, expected) in [(legacy, ["TLS 1.0 accepted", "TLS 1.1 accepted", "TLS 1.2 accepted", "TLS 1.3 accepted"]),
                                    (["-tls1_2"], ["TLS 1.0 refused", "TLS 1.1 refused", "TLS 1.2 accepted", "TLS 1.3 refused"])] {
            let server = try OpenSSLServer(certificate: zoo.certificate(.ecdsa), key: zoo.key(.ecdsa), extras: zoo.issuer(.ecdsa), options: options)
            defer { server.stop() }
            let probe = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: \"\(zoo.rootCA)\" }", zoo: zoo)
            let outcome = await probe.run(at: .zero)
            #expect(outcome.observed["versions"] == .list(expected), "\(outcome.observed)")
            var reference: [String] = []
            for (flag, name) in [("-tls1", "TLS 1.0"), ("-tls1_1", "TLS 1.1"), ("-tls1_2", "TLS 1.2"), ("-tls1_3", "TLS 1.3")] {
                let result = try await runProcess("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "api.zoo.test",
                                                                 flag, "-cipher", "DEFAULT:@SECLEVEL=0"], in: zoo.directory)
                // `New, TLSv1.2, Cipher is ...` after a handshake; `New, (NONE), Cipher is (NONE)` when refused.
                let accepted = result.stdout.contains("Cipher is ") && !result.stdout.contains("Cipher is (NONE)")
                reference.append("\(name) \(accepted ? "accepted" : "refused")")
            }
            #expect(reference == expected, "openssl s_client found \(reference)")
            if options == legacy {
                #expect(outcome.status == .fail)
                #expect(outcome.detail == "still accepts TLS 1.0, the plan requires TLS 1.2 or later")
            } else {
                #expect(outcome.status == .pass, "\(outcome.detail)")
                // Asked once per scan interval, not every poll: a second poll right after does not ask again.
                let again = await probe.run(at: .seconds(5))
                #expect(again.observed["versions"] == .list(expected))
            }
        }
    }

    @Test("the staple is always read: revoked is red under any settings; the plan only decides about a missing one")
    func stapling() async throws {
        let revoked = try await inspect(.revoked, options: ["-status_file", zoo.ocspResponse(.revoked)])
        #expect(revoked.status == .fail)
        #expect(revoked.detail == "stapled OCSP says the certificate is revoked")
        #expect(revoked.observed["ocsp"] == .text("revoked"))
        let good = try await inspect(.valid, options: ["-status_file", zoo.ocspResponse(.valid)])
        #expect(good.status == .pass, "\(good.detail)")
        #expect(good.observed["ocsp"] == .text("good"))
        let required = try await inspect(.valid, options: ["-status_file", zoo.ocspResponse(.valid)], endpoint: ", ocsp_stapling: true")
        #expect(required.status == .pass, "\(required.detail)")
        let revokedRequired = try await inspect(.revoked, options: ["-status_file", zoo.ocspResponse(.revoked)], endpoint: ", ocsp_stapling: true")
        #expect(revokedRequired.detail == "stapled OCSP says the certificate is revoked")
        let none = try await inspect(.valid, endpoint: ", ocsp_stapling: true")
        #expect(none.detail == "no stapled OCSP response")
        let noneOptional = try await inspect(.valid)
        #expect(noneOptional.status == .pass)
        #expect(noneOptional.observed["ocsp"] == .text("none"))
        // A "good" about another certificate says nothing about this one.
        let foreign = try await inspect(.ecdsa, options: ["-status_file", zoo.ocspResponse(.valid)])
        #expect(foreign.status == .warn)
        #expect(foreign.detail == "stapled OCSP response is for another certificate")
        let foreignRequired = try await inspect(.ecdsa, options: ["-status_file", zoo.ocspResponse(.valid)], endpoint: ", ocsp_stapling: true")
        #expect(foreignRequired.status == .fail)
    }

    @Test("the staple's status agrees with openssl s_client -status")
    func staplingAgreesWithOpenSSL() async throws {
        for leaf in [CertificateZoo.Leaf.valid, .revoked] {
            let server = try OpenSSLServer(certificate: zoo.certificate(leaf), key: zoo.key(leaf), extras: zoo.issuer(leaf),
                                           options: ["-status_file", zoo.ocspResponse(leaf)])
            defer { server.stop() }
            let probe = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: \"\(zoo.rootCA)\" }", zoo: zoo)
            let ours = await probe.run(at: .zero).observed["ocsp"]
            let reference = try runCommand("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "api.zoo.test",
                                                                "-status", "-CAfile", zoo.rootCA], in: zoo.directory)
            let status = reference.split(separator: "\n").first { $0.contains("Cert Status:") }?
                .split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
            #expect(status != nil, "openssl printed no Cert Status")
            #expect(ours == .text(status ?? "?"), "openssl says \(status ?? "nothing")")
        }
    }

    @Test("expiry counts the earliest notAfter in the chain: an intermediate that expires before the leaf")
    func intermediateExpiresFirst() async throws {
        let outcome = try await inspect(.shortIntermediate, endpoint: ", warning_days: 30, critical_days: 7")
        #expect(outcome.status == .warn)
        #expect(outcome.detail.hasPrefix("intermediate Zoo Short Intermediate expires in 20 days ("), "\(outcome.detail)")
        #expect(outcome.observed["days_left"] == .number(20))
        // Under the defaults, the line says whose threshold made it yellow.
        let defaults = try await inspect(.shortIntermediate)
        #expect(defaults.detail.hasSuffix("); a warning under 30 days (Flightdeck's default)"), "\(defaults.detail)")
    }

    @Test("a server that never speaks, or stalls mid-handshake, is a timeout; a closed port is refused")
    func hostile() async throws {
        for behaviour in [HostileServer.Behaviour.neverAnswer, .stallAfter([0x16, 0x03, 0x03, 0x00, 0x40, 0x02])] {
            let server = try HostileServer(behaviour)
            let probe = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, timeout: 300ms }", zoo: zoo)
            let outcome = await probe.run(at: .zero)
            #expect(outcome.detail == "timed out after 300 ms waiting for the TLS handshake")
            #expect(outcome.observed["error_class"] == .text("timeout"))
        }
        let closed = try endpointProbe("{ id: t, host: api.zoo.test, port: 1, address: 127.0.0.1 }", zoo: zoo)
        #expect(await closed.run(at: .zero).detail == "connection refused by 127.0.0.1:1")
    }
}

/// CAA as the new nameservers will serve it (knot on loopback), against the issuer of the
/// certificate the endpoint serves: would the next renewal be refused?
@Suite("CAA against the served certificate's issuer", .enabled(if: LoopbackDNS.canBindPort53, "needs port 53 on loopback (root)"), .serialized)
struct CAATests {
    let zoo: CertificateZoo
    let prefix = LoopbackDNS.randomPrefix()
    init() throws { zoo = try FlightdeckProbesTests.zoo.get().0 }

    func outcome(_ leaf: CertificateZoo.Leaf, zone records: String, issuers: String = "{ \"Zoo Intermediate\": [zoo-ca.test] }") async throws -> ProbeOutcome {
        let knot = try KnotServer(addresses: ["\(prefix).21"], zones: ["zoo.test": """
            $TTL 60
            @ SOA ns1.zoo.test. hostmaster.zoo.test. 1 60 60 600 60
            @ NS ns1.zoo.test.
            api A 127.0.0.1
            \(records)

            """])
        defer { knot.stop() }
        let server = try OpenSSLServer(certificate: zoo.certificate(leaf), key: zoo.key(leaf), extras: zoo.issuer(leaf))
        defer { server.stop() }
        let plan = try PlanLoader(environment: [:]).load(text: """
            launch: { name: T, zone: zoo.test, t0: 2026-12-01T14:00Z, timezone: UTC }
            polling: { timeout: 2s }
            dns:
              nameservers: { expected: [{ name: ns1.zoo.test, addresses: ["\(prefix).21"] }] }
              caa_issuers: \(issuers)
            tls:
              - { id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: "\(zoo.rootCA)" }
            """, file: "t.yaml").get()
        let probe = TLSProbe(endpoint: plan.tlsEndpoints[0], polling: plan.polling, planDirectory: nil,
                             servers: DNSServers(plan: plan, planDirectory: nil))
        return await probe.run(at: .zero)
    }

    @Test("the relevant set is the nearest one up the tree; it permits, refuses, or does not know the issuer", arguments: [
        (CertificateZoo.Leaf.valid, "", CheckStatus.pass, "no CAA record from zoo.test up to zoo.test (no resolver to ask above it): any CA may issue"),
        (.valid, "@ CAA 0 issue \"zoo-ca.test\"", .pass, "CAA at zoo.test permits Zoo Intermediate (zoo-ca.test)"),
        (.valid, "@ CAA 0 issue \"letsencrypt.org\"", .fail,
         "CAA at zoo.test allows only letsencrypt.org: a renewal by Zoo Intermediate (zoo-ca.test) would be refused; add `0 issue \"zoo-ca.test\"`"),
        // Each name of the certificate (zoo.test, api.zoo.test) is judged by its nearest set.
        (.valid, "@ CAA 0 issue \"zoo-ca.test; account=42\"\napi CAA 0 issue \"letsencrypt.org\"", .fail,
         "CAA at api.zoo.test allows only letsencrypt.org: a renewal by Zoo Intermediate (zoo-ca.test) would be refused; add `0 issue \"zoo-ca.test\"`"),
        (.valid, "@ CAA 0 issuewild \";\"", .pass, "CAA at zoo.test does not restrict issuance"),
        (.wildcard, "@ CAA 0 issue \"zoo-ca.test\"\n@ CAA 0 issuewild \";\"", .fail,
         "CAA at zoo.test forbids all wildcard issuance (`;`): a renewal by Zoo Intermediate (zoo-ca.test) would be refused; add `0 issuewild \"zoo-ca.test\"`"),
        (.wildcard, "@ CAA 0 issue \"zoo-ca.test\"", .pass, "CAA at zoo.test permits Zoo Intermediate (zoo-ca.test) for a wildcard"),
        (.valid, "@ CAA 0 issue \"zoo-ca.test\"\n@ CAA 128 tbs \"unknown\"", .fail,
         "CAA at zoo.test has a critical property `tbs` no CA knows: none may issue"),
    ])
    func relevantSet(leaf: CertificateZoo.Leaf, records: String, status: CheckStatus, line: String) async throws {
        let outcome = try await outcome(leaf, zone: records)
        #expect(outcome.observed["caa"] == .text(line), "\(outcome.observed)")
        #expect(outcome.status == status, "\(outcome.detail)")
        if status == .fail { #expect(outcome.detail == line) }
    }

    @Test("an issuer with no known CAA domain, under a set that restricts issuance, is yellow and says where to name it")
    func unknownIssuer() async throws {
        let outcome = try await outcome(.valid, zone: "@ CAA 0 issue \"amazon.com\"", issuers: "{}")
        #expect(outcome.status == .warn)
        #expect(outcome.detail == "CAA at zoo.test allows amazon.com; the issuer Zoo Intermediate has no known CAA domain: name it in dns.caa_issuers")
    }
}

@Suite("HTTPS trust beside curl")
struct HTTPSTrustTests {
    let zoo: CertificateZoo
    init() throws { zoo = try FlightdeckProbesTests.zoo.get().0 }

    /// An HTTP check over HTTPS is green exactly when `curl --cacert` succeeds on the same
    /// server, and a TLS inspection reaches the verification result curl reports (at the
    /// lowest security level, where the inspection judges weak keys itself): the root as the
    /// CA file, and an intermediate alone (a partial chain, which curl accepts), for every
    /// flaw of the zoo.
    @Test("HTTPS checks and TLS inspections trust exactly what curl --cacert does", arguments: CertificateZoo.Leaf.allCases)
    func agreesWithCurl(leaf: CertificateZoo.Leaf) async throws {
        let chain: String? = leaf == .selfSigned ? nil : zoo.issuer(leaf)
        let server = try OpenSSLServer(certificate: zoo.certificate(leaf), key: zoo.key(leaf), extras: chain, options: ["-www"])
        defer { server.stop() }
        let origin = "api.zoo.test:\(server.port)"
        func curl(_ caFile: String, _ options: [String] = []) async throws -> ProcessResult {
            try await runProcess("/usr/bin/curl", ["--silent", "--show-error", "--output", "/dev/null", "--max-time", "5",
                                                   "--write-out", "%{ssl_verify_result}", "--cacert", caFile,
                                                   "--connect-to", "\(origin):127.0.0.1:\(server.port)"] + options + ["https://\(origin)/"])
        }
        // Copies of this case's own: the process loads a CA file once, and libcurl sets flags on
        // what it loads, so the inspection goes first on a store nothing else has touched.
        let directory = try TestDirectory("trust-\(leaf)")
        for (name, original) in [("root.pem", zoo.rootCA), ("intermediate.pem", zoo.issuer(.valid))] {
            let caFile = directory.file(name)
            try FileManager.default.copyItem(atPath: original, toPath: caFile)
            let endpoint = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: \"\(caFile)\" }", zoo: zoo)
            let inspected = await endpoint.run(at: .zero)
            let lowest = try await curl(caFile, ["--ciphers", "DEFAULT@SECLEVEL=0"])
            // curl judges the name after the chain verified, and then reports a code of its own.
            let curlCode = lowest.stderr.contains("subject name") ? "0" : lowest.stdout
            if case .tls(let results) = inspected.evidence, let inspection = results.first?.inspection {
                #expect("\(inspection.verificationCode)" == curlCode,
                        "\(leaf) trusting \(name): Flightdeck verified \(inspection.verificationReason); curl says \(lowest.stdout): \(lowest.stderr)")
            } else {
                Issue.record("\(leaf): no inspection: \(inspected.detail)")
            }

            let checked = try await probe("{ id: c, url: \"https://\(origin)/\", connect_to: \"127.0.0.1\", ca_file: \"\(caFile)\" }")
            let fetched = try await curl(caFile)
            #expect((checked.status == .pass) == (fetched.status == 0),
                    "\(leaf) trusting \(name): Flightdeck says \(checked.detail); curl says \(fetched.status): \(fetched.stderr)")
            if fetched.status != 0 { #expect(checked.observed["error_class"] == .text("tls"), "\(checked.detail)") }
        }
    }

    @Test("a CA file that cannot be read says so, for HTTP and TLS checks alike")
    func unreadableCAFile() async throws {
        let server = try OpenSSLServer(certificate: zoo.certificate(.valid), key: zoo.key(.valid), extras: zoo.issuer(.valid), options: ["-www"])
        defer { server.stop() }
        let missing = "\(zoo.directory)/no-such-ca.pem"
        let http = try await probe("{ id: c, url: \"https://api.zoo.test:\(server.port)/\", connect_to: \"127.0.0.1\", ca_file: \"\(missing)\" }")
        #expect(http.status == .fail)
        #expect(http.detail.hasPrefix("TLS: cannot load the CA file \(missing): "), "\(http.detail)")
        let tls = try endpointProbe("{ id: t, host: api.zoo.test, port: \(server.port), address: 127.0.0.1, ca_file: \"\(missing)\" }", zoo: zoo)
        let inspected = await tls.run(at: .zero)
        #expect(inspected.status == .fail)
        #expect(inspected.detail.contains("cannot load the CA file \(missing): "), "\(inspected.detail)")
    }
}
