/// A certificate authority as CAA names it: the issuer-domain-names (RFC 8659 section 4.2)
/// it honours, found by a word of its certificates' issuer (organisation or common name).
public struct CAAIssuer: Sendable, Equatable {
    /// Matched case-insensitively against the issuer's O= and CN= values.
    public var match: String
    public var domains: [String]

    public init(match: String, domains: [String]) {
        self.match = match
        self.domains = domains
    }

    /// The common public CAs, by what their issuing certificates say.
    public static let common: [CAAIssuer] = [
        CAAIssuer(match: "Amazon", domains: ["amazon.com", "amazontrust.com", "awstrust.com", "amazonaws.com"]),
        CAAIssuer(match: "Let's Encrypt", domains: ["letsencrypt.org"]),
        CAAIssuer(match: "ISRG", domains: ["letsencrypt.org"]),
        CAAIssuer(match: "DigiCert", domains: ["digicert.com", "www.digicert.com"]),
        CAAIssuer(match: "Sectigo", domains: ["sectigo.com", "comodoca.com"]),
        CAAIssuer(match: "COMODO", domains: ["comodoca.com", "sectigo.com"]),
        CAAIssuer(match: "Google Trust Services", domains: ["pki.goog"]),
    ]

    /// The CAA domains of the CA that issued a certificate, by its issuer's distinguished name
    /// (RFC 2253, as the TLS inspection reads it); the plan's own entries first.
    public static func domains(forIssuer issuer: String, plan: [CAAIssuer]) -> [String] {
        let values = issuer.split(separator: ",").compactMap { part -> String? in
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, ["O", "CN"].contains(pair[0].uppercased()) else { return nil }
            return pair[1].lowercased()
        }
        for entry in plan + common where values.contains(where: { $0.contains(entry.match.lowercased()) }) {
            return entry.domains
        }
        return []
    }
}

/// Whether the CAA set that applies to a host (RFC 8659) lets the CA that issued the
/// certificate it serves issue again: the next renewal depends on it.
public struct CAAFinding: Sendable, Equatable {
    public enum Verdict: String, Sendable, Equatable {
        /// No CAA set applies, or it does not restrict this kind of issuance.
        case unrestricted
        case permitted
        /// A renewal by the current CA would be refused.
        case refused
        /// A CAA set restricts issuance, and the issuer's CAA domain is not known.
        case unknownIssuer = "unknown issuer"

        /// What it does to the endpoint's check: a refused renewal is red, an unknown issuer yellow.
        public var status: CheckStatus {
            switch self {
            case .unrestricted, .permitted: .pass
            case .refused: .fail
            case .unknownIssuer: .warn
            }
        }
    }

    public var host: DNSName
    /// Where the relevant CAA set was found; nil when none was, up to the top-level domain.
    public var foundAt: DNSName?
    /// The set, for people: `0 issue "amazon.com"`.
    public var records: [String]
    /// Whether the served certificate reaches the host by a wildcard (`issuewild` applies).
    public var wildcard: Bool
    public var issuerDomains: [String]
    public var verdict: Verdict
    /// One line: what the set says of the issuer, and what to add when it refuses.
    public var line: String

    /// - Parameters:
    ///   - set: the relevant CAA set (flags, tag, value), empty when none applies.
    ///   - issuer: the issuing CA's distinguished name; `issuerName` the same for people.
    ///   - searchedUpTo: the last name asked when no set was found.
    public init(host: DNSName, foundAt: DNSName?, set: [(flags: UInt8, tag: String, value: [UInt8])], wildcard: Bool,
                issuer: String, issuerName: String, plan: [CAAIssuer], searchedUpTo: String) {
        self.host = host
        self.foundAt = foundAt
        self.wildcard = wildcard
        records = set.map { RecordData.caa(flags: $0.flags, tag: $0.tag, value: $0.value).display }
        issuerDomains = CAAIssuer.domains(forIssuer: issuer, plan: plan)
        let at = foundAt.map(\.text) ?? host.text
        guard !set.isEmpty else {
            verdict = .unrestricted
            line = "no CAA record from \(host) up to \(searchedUpTo): any CA may issue"
            return
        }
        // Section 4: a critical property this CA does not understand forbids issuance.
        let understood: Set<String> = ["issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"]
        if let critical = set.first(where: { $0.flags & 0x80 != 0 && !understood.contains($0.tag.lowercased()) }) {
            verdict = .refused
            line = "CAA at \(at) has a critical property `\(RemoteText.sanitize(critical.tag, limit: 40))` no CA knows: none may issue"
            return
        }
        func domains(_ tag: String) -> [String]? {
            let values = set.filter { $0.tag.lowercased() == tag }.map { String(decoding: $0.value, as: UTF8.self) }
            guard !values.isEmpty else { return nil }
            // `issuer-domain; parameters`: an empty domain (`;`) permits no CA.
            return values.map { $0.split(separator: ";", omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces).lowercased() }
        }
        let tag = wildcard && domains("issuewild") != nil ? "issuewild" : "issue"
        guard let applicable = domains(tag) else {
            verdict = .unrestricted
            line = "CAA at \(at) does not restrict \(wildcard ? "wildcard " : "")issuance"
            return
        }
        let allowed = applicable.filter { !$0.isEmpty }
        let allowedText = allowed.isEmpty ? "no CA (`;`)" : allowed.map { RemoteText.sanitize($0, limit: 64) }.joined(separator: ", ")
        guard !issuerDomains.isEmpty else {
            verdict = .unknownIssuer
            line = "CAA at \(at) allows \(allowedText); the issuer \(issuerName) has no known CAA domain: name it in dns.caa_issuers"
            return
        }
        if let match = issuerDomains.first(where: allowed.contains) {
            verdict = .permitted
            line = "CAA at \(at) permits \(issuerName) (\(match))" + (wildcard ? " for a wildcard" : "")
        } else {
            verdict = .refused
            let rule = allowed.isEmpty ? "forbids all \(tag == "issuewild" ? "wildcard " : "")issuance (`;`)" : "allows only \(allowedText)"
            line = "CAA at \(at) \(rule): a renewal by \(issuerName) (\(issuerDomains[0])) would be refused; "
                + "add `0 \(tag) \"\(issuerDomains[0])\"`"
        }
    }
}
