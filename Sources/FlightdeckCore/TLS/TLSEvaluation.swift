import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Judges a TLS inspection against its endpoint. Every finding is kept (for the detail
/// view); the first red one, in the order a person would look, is the one-line reason.
public struct TLSEvaluation: Sendable, Equatable {
    public struct Coverage: Sendable, Equatable {
        public var host: String
        /// The certificate name that covers it, or nil.
        public var coveredBy: String?
    }

    public var status: CheckStatus
    public var detail: String
    /// Every problem found, red ones first.
    public var findings: [String]
    public var coverage: [Coverage]
    /// The certificate's own state, leaving out which names it covers: what the coverage
    /// grid shows beside each name.
    public var certificateStatus: CheckStatus
    /// Its worst problem, when it has one.
    public var certificateProblem: String?
    /// Days until the earliest expiry in the chain (negative when expired).
    public var daysLeft: Int?
    public var observed: [String: ObservedValue]

    public init(endpoint: TLSEndpoint, inspection: TLSInspection, now: Date) {
        let chain = inspection.chain
        var red: [String] = []
        var yellow: [String] = []
        coverage = endpoint.covers.map { host in
            Coverage(host: host.text, coveredBy: HostnameCoverage.coveringName(chain.first?.dnsNames ?? [], host.text))
        }

        // The chain itself.
        for (index, element) in chain.enumerated() {
            let name = Self.role(index, in: chain)
            if element.notAfter < now {
                red.append("\(name) expired on \(Self.day(element.notAfter))")
            } else if element.notBefore > now {
                red.append("\(name) is not valid until \(Self.day(element.notBefore))")
            }
        }
        if let leaf = chain.first {
            if leaf.isSelfIssued, chain.count == 1 {
                red.append("self-signed certificate (\(Self.commonName(leaf.subject))): nobody vouches for it")
            } else if chain.count == 1, !inspection.verified, [2, 20, 21].contains(inspection.verificationCode) {
                red.append("missing intermediate: the server sends only the leaf (issued by \(Self.commonName(leaf.issuer)))")
            }
        }
        for index in chain.indices.dropLast() where chain[index].issuer != chain[index + 1].subject {
            red.append("chain out of order: \(Self.role(index + 1, in: chain)) did not issue \(Self.role(index, in: chain))")
            break
        }
        if !inspection.verified, red.isEmpty {
            red.append("untrusted: \(inspection.verificationReason)")
        }

        // Names, keys, signatures, protocol, stapling.
        var uncovered: [String] = []
        for item in coverage where item.coveredBy == nil {
            let names = chain.first?.dnsNames.joined(separator: ", ") ?? "none"
            uncovered.append("does not cover \(item.host) (certificate names: \(names.isEmpty ? "none" : names))")
        }
        red += uncovered
        for (index, element) in chain.enumerated() {
            if element.keyType == "RSA", element.keyBits < 2048 {
                red.append("weak key: RSA \(element.keyBits) bits (\(Self.role(index, in: chain)))")
            }
            if element.usesSHA1, !element.isSelfIssued {
                red.append("SHA-1 signature (\(Self.role(index, in: chain)))")
            }
        }
        let minimum = Self.versionRank("TLSv" + endpoint.minimumVersion.rawValue)
        if Self.versionRank(inspection.protocolVersion) < minimum {
            red.append("\(inspection.protocolVersion) negotiated, the plan requires TLS \(endpoint.minimumVersion.rawValue) or later")
        } else if let lowest = inspection.acceptedVersions?.filter(\.value).map(\.key).min(by: { Self.versionRank($0) < Self.versionRank($1) }),
                  Self.versionRank(lowest) < minimum {
            // The lowest version accepted is what an attacker can get; the negotiated one is
            // only what a modern client gets.
            red.append("still accepts \(Self.versionName(lowest)), the plan requires TLS \(endpoint.minimumVersion.rawValue) or later")
        }
        // The staple is always read: "revoked" is red whatever the plan says; the plan's
        // `ocsp_stapling: true` decides whether a missing or unusable staple is red or a warning.
        let unusable: String?
        switch inspection.ocsp {
        case .good: unusable = nil
        case .revoked:
            red.append("stapled OCSP says the certificate is revoked")
            unusable = nil
        case .none: unusable = endpoint.requireStapling ? "no stapled OCSP response" : nil
        case .unknown: unusable = "stapled OCSP status is unknown"
        case .malformed: unusable = "stapled OCSP response is malformed"
        case .otherCertificate: unusable = "stapled OCSP response is for another certificate"
        case .stale: unusable = "stapled OCSP response is out of date"
        }
        if let unusable {
            if endpoint.requireStapling { red.append(unusable) } else { yellow.append(unusable) }
        }

        // Expiry: the earliest in the chain, not just the leaf. (An expired one is red above.)
        let earliest = chain.enumerated().min { $0.element.notAfter < $1.element.notAfter }
        if let earliest {
            let days = Int((earliest.element.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
            daysLeft = days
            let what = "\(Self.role(earliest.offset, in: chain)) expires in \(Self.days(days)) (\(Self.day(earliest.element.notAfter)))"
            let whose = endpoint.expiryDaysFromPlan ? "the plan's" : "Flightdeck's default"
            if days >= 0, days < endpoint.criticalDays {
                red.append("\(what); red under \(endpoint.criticalDays) days (\(whose))")
            } else if days >= 0, days < endpoint.warningDays {
                yellow.append("\(what); a warning under \(endpoint.warningDays) days (\(whose))")
            }
        } else {
            daysLeft = nil
        }

        findings = red + yellow
        let otherRed = red.filter { !uncovered.contains($0) }
        if let first = otherRed.first {
            certificateStatus = .fail
            certificateProblem = first
        } else {
            certificateStatus = yellow.isEmpty ? .pass : .warn
            certificateProblem = yellow.first
        }
        if let first = red.first {
            status = .fail
            detail = first
        } else if let first = yellow.first {
            status = .warn
            detail = first
        } else {
            status = .pass
            detail = "valid, \(daysLeft.map { "\($0) days left" } ?? "no expiry"), \(inspection.protocolVersion)"
                + (chain.first.map { ", \(Self.commonName($0.subject))" } ?? "")
        }

        var observed: [String: ObservedValue] = [
            "protocol": .text(inspection.protocolVersion),
            "cipher": .text(inspection.cipher),
            "address": .text(inspection.remoteAddress),
            "verification": .text(inspection.verified ? "ok" : inspection.verificationReason),
            "ocsp": .text(inspection.ocsp.rawValue),
            "embedded_scts": .number(Double(inspection.embeddedSCTs)),
            "handshake_ms": .number(HTTPEvaluation.milliseconds(inspection.handshakeDone, fractionDigits: 3)),
            "chain": .list(chain.enumerated().map { index, element in
                "\(Self.role(index, in: chain)): \(element.subject); issuer \(element.issuer); \(element.keyType) \(element.keyBits); "
                    + "\(element.signatureAlgorithm); \(Self.day(element.notBefore)) to \(Self.day(element.notAfter)); SHA-256 \(element.fingerprint)"
            }),
            "coverage": .list(coverage.map { "\($0.host): " + ($0.coveredBy.map { "covered by \($0)" } ?? "NOT covered") }),
        ]
        if let daysLeft { observed["days_left"] = .number(Double(daysLeft)) }
        if let leaf = chain.first {
            observed["fingerprint"] = .text(leaf.fingerprint)
            observed["issuer"] = .text(leaf.issuer)
            observed["not_after"] = .text(Self.timestamp(leaf.notAfter))
        }
        if findings.count > 1 { observed["findings"] = .list(findings) }
        if let accepted = inspection.acceptedVersions {
            observed["versions"] = .list(accepted.sorted { Self.versionRank($0.key) < Self.versionRank($1.key) }
                .map { "\(Self.versionName($0.key)) \($0.value ? "accepted" : "refused")" })
        }
        self.observed = observed
    }

    /// `1 day`, `20 days`.
    static func days(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }

    /// `leaf`, `intermediate`, `intermediate 2`, `root`, each with its common name.
    static func role(_ index: Int, in chain: [CertificateInfo]) -> String {
        let element = chain[index]
        let kind: String
        if index == 0 {
            kind = "leaf"
        } else if element.isSelfIssued {
            kind = "root"
        } else {
            kind = chain.count > 3 ? "intermediate \(index)" : "intermediate"
        }
        return "\(kind) \(commonName(element.subject))"
    }

    /// The CN of an RFC 2253 name, or the whole name.
    public static func commonName(_ name: String) -> String {
        name.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) } ?? name
    }

    /// `2026-12-01`, in UTC. (gmtime_r: this runs for every certificate of every inspection.)
    static func day(_ date: Date) -> String {
        let parts = utc(date)
        return String(format: "%04d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
    }

    /// `2026-12-01T14:00:00Z`.
    static func timestamp(_ date: Date) -> String {
        let parts = utc(date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    private static func utc(_ date: Date) -> tm {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }

    /// `TLSv1` → `TLS 1.0`, `TLSv1.3` → `TLS 1.3`.
    static func versionName(_ version: String) -> String {
        version == "TLSv1" ? "TLS 1.0" : version.replacingOccurrences(of: "TLSv", with: "TLS ")
    }

    static func versionRank(_ version: String) -> Int {
        ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].firstIndex(of: version) ?? 0
    }
}
