import Foundation

/// The registry's own view of the domain (`dns.rdap`), asked over RDAP (RFC 9082/9083): its
/// registration expiry, statuses, nameservers and DNSSEC delegation.
public struct RDAPCheck: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// The registry's RDAP base URL (`https://rdap.example/`), `domain/NAME` appended.
        case server(URL)
        /// IANA's bootstrap file for DNS (RFC 9224), as a path: nothing is fetched to find the server.
        case bootstrap(path: String)
    }

    public static let defaultID = "rdap"
    public static let defaultWarningDays = 60
    public static let defaultCriticalDays = 30
    /// Registry data changes slowly and RDAP servers limit how often they are asked.
    public static let defaultInterval = Duration.seconds(600)
    /// A registration without these is open to a hijack by transfer: a warning.
    public static let defaultExpectedStatuses = ["client transfer prohibited"]

    public var id: String
    public var domain: DNSName
    public var source: Source
    public var warningDays: Int
    public var criticalDays: Int
    /// RFC 8056 status values, as RDAP spells them (`client transfer prohibited`).
    public var expectedStatuses: [String]
    public var caFile: String?
    public var severity: Severity
    public var timing: ProbeTiming

    public init(id: String, domain: DNSName, source: Source, warningDays: Int = Self.defaultWarningDays,
                criticalDays: Int = Self.defaultCriticalDays, expectedStatuses: [String] = Self.defaultExpectedStatuses,
                caFile: String? = nil, severity: Severity = .blocker, timing: ProbeTiming = ProbeTiming()) {
        self.id = id
        self.domain = domain
        self.source = source
        self.warningDays = warningDays
        self.criticalDays = criticalDays
        self.expectedStatuses = expectedStatuses
        self.caFile = caFile
        self.severity = severity
        self.timing = timing
    }

    /// Statuses that take the domain off the internet or out of the owner's hands: red.
    public static let redStatuses = ["server hold", "client hold", "pending delete", "redemption period"]

    /// RFC 8056 maps EPP's `clientTransferProhibited` to RDAP's `client transfer prohibited`;
    /// the plan may write either.
    public static func rdapStatus(_ text: String) -> String {
        var words: [String] = []
        var current = ""
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character == " " || character == "_" {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if character.isUppercase, !current.isEmpty {
                words.append(current)
                current = String(character).lowercased()
            } else {
                current += String(character).lowercased()
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.joined(separator: " ")
    }
}

/// What the registry says of the domain, read from an RDAP domain object (RFC 9083 §5.3).
public struct RDAPDomain: Sendable, Equatable {
    public struct DelegationSigner: Sendable, Equatable, Hashable {
        public var keyTag: Int
        public var algorithm: Int
        public var digestType: Int
        /// Hex, upper case.
        public var digest: String

        public var text: String { "\(keyTag) \(algorithm) \(digestType) \(digest)" }
    }

    public var name: String
    public var statuses: [String]
    public var expiration: Date?
    /// Lower case, without the final dot.
    public var nameservers: [String]
    public var delegationSigned: Bool?
    public var delegationSigners: [DelegationSigner]

    /// The answer as the registry sent it, at most 1 MiB. Anything but a domain object
    /// about `domain` is refused, in words.
    public static func parse(_ body: [UInt8], domain: DNSName) -> Result<RDAPDomain, RDAPProblem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            return .failure(RDAPProblem("the answer is not RDAP JSON"))
        }
        guard object["objectClassName"] as? String == "domain" else {
            return .failure(RDAPProblem("the answer is not an RDAP domain object"))
        }
        let name = (object["ldhName"] as? String).map { $0.lowercased().trimmingSuffixDot } ?? ""
        guard name == domain.text.lowercased().trimmingSuffixDot else {
            return .failure(RDAPProblem("the answer is about `\(RemoteText.sanitize(name, limit: 80))`, not \(domain)"))
        }
        let statuses = (object["status"] as? [Any] ?? []).compactMap { $0 as? String }.prefix(32)
            .map { RDAPCheck.rdapStatus(RemoteText.sanitize($0, limit: 60)) }
        var expiration: Date?
        for case let event as [String: Any] in (object["events"] as? [Any] ?? []).prefix(64) {
            guard event["eventAction"] as? String == "expiration", let text = event["eventDate"] as? String else { continue }
            expiration = Self.date(text)
        }
        let nameservers = (object["nameservers"] as? [Any] ?? []).prefix(32).compactMap { entry -> String? in
            guard let server = entry as? [String: Any], let text = server["ldhName"] as? String else { return nil }
            return RemoteText.sanitize(text.lowercased().trimmingSuffixDot, limit: 255)
        }
        var signed: Bool?
        var signers: [DelegationSigner] = []
        if let secure = object["secureDNS"] as? [String: Any] {
            signed = secure["delegationSigned"] as? Bool
            for case let entry as [String: Any] in (secure["dsData"] as? [Any] ?? []).prefix(16) {
                guard let tag = entry["keyTag"] as? Int, let algorithm = entry["algorithm"] as? Int,
                      let type = entry["digestType"] as? Int, let digest = entry["digest"] as? String,
                      digest.count <= 256, digest.allSatisfy(\.isHexDigit) else { continue }
                signers.append(DelegationSigner(keyTag: tag, algorithm: algorithm, digestType: type, digest: digest.uppercased()))
            }
        }
        return .success(RDAPDomain(name: name, statuses: Array(statuses), expiration: expiration, nameservers: nameservers,
                                   delegationSigned: signed, delegationSigners: signers))
    }

    /// RFC 3339, with or without fractions of a second.
    static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// An RDAP error answer (RFC 9083 §6): its title and description, for the reason line.
    public static func errorText(_ body: [UInt8]) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body.prefix(64 << 10)))) as? [String: Any] else { return nil }
        let title = object["title"] as? String
        let description = (object["description"] as? [Any])?.compactMap { $0 as? String }.joined(separator: " ")
        let text = [title, description].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        return text.isEmpty ? nil : RemoteText.sanitize(text, limit: 200)
    }
}

public struct RDAPProblem: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// IANA's bootstrap registry for DNS (RFC 9224 §4): which RDAP base URLs serve which TLDs.
public enum RDAPBootstrap {
    /// The base URL for `domain`: the entry whose label suffix matches the most labels, an
    /// https URL over http.
    public static func baseURL(for domain: DNSName, in file: [UInt8]) -> Result<URL, RDAPProblem> {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(file))) as? [String: Any],
              let services = object["services"] as? [Any] else {
            return .failure(RDAPProblem("the bootstrap file is not RFC 9224 JSON (no `services`)"))
        }
        let labels = domain.text.lowercased().trimmingSuffixDot.split(separator: ".").map(String.init)
        var best: (labels: Int, urls: [String])?
        for case let service as [Any] in services {
            guard service.count >= 2, let suffixes = service[0] as? [Any], let urls = service[1] as? [Any] else { continue }
            for case let suffix as String in suffixes {
                let parts = suffix.lowercased().split(separator: ".").map(String.init)
                guard !parts.isEmpty, parts.count <= labels.count, Array(labels.suffix(parts.count)) == parts,
                      parts.count > (best?.labels ?? 0) else { continue }
                best = (parts.count, urls.compactMap { $0 as? String })
            }
        }
        guard let best else { return .failure(RDAPProblem("the bootstrap file names no RDAP server for .\(labels.last ?? "")")) }
        let chosen = best.urls.first { $0.lowercased().hasPrefix("https://") } ?? best.urls.first { $0.lowercased().hasPrefix("http://") }
        guard let chosen, let url = URL(string: chosen) else {
            return .failure(RDAPProblem("the bootstrap file's entry for .\(labels.last ?? "") has no http(s) URL"))
        }
        return .success(url)
    }
}

/// The registry's view judged: red for a registration about to lapse, a status that takes
/// the domain away, or nameservers that are not the plan's; yellow for the warning days, a
/// missing transfer lock, or DNSSEC data the registry and the parent zone disagree on.
public struct RDAPEvaluation: Sendable, Equatable {
    public var status: CheckStatus
    public var detail: String
    public var observed: [String: ObservedValue]

    /// - Parameter parentDS: the DS set the parent zone serves, as `tag alg type DIGEST`;
    ///   nil when the parent could not be asked.
    public init(check: RDAPCheck, domain: RDAPDomain, expected: [String], previous: [String], parentDS: Set<String>?, now: Date) {
        var red: [String] = []
        var yellow: [String] = []
        let days = domain.expiration.map { Int(($0.timeIntervalSince(now) / 86400).rounded(.down)) }
        for status in domain.statuses where RDAPCheck.redStatuses.contains(status) {
            red.append("the registry lists `\(status)`: " + (status.hasSuffix("hold")
                ? "the domain is out of the DNS; the registrar must lift it"
                : "the domain is being deleted; restore it at the registrar now"))
        }
        if let days, let expiration = domain.expiration {
            let when = "the registration expires in \(days) day\(days == 1 ? "" : "s") (\(expiration.utcMinute))"
            if days < check.criticalDays { red.append("\(when): renew it at the registrar") }
            else if days < check.warningDays { yellow.append("\(when): renew it before the launch") }
        } else {
            yellow.append("the registry gives no expiration date")
        }
        let listed = Set(domain.nameservers)
        if !expected.isEmpty, listed != Set(expected) {
            let shown = domain.nameservers.isEmpty ? "no nameservers" : domain.nameservers.joined(separator: ", ")
            if !previous.isEmpty, listed == Set(previous) {
                red.append("the registry still lists the old nameservers (\(shown)): change them at the registrar to \(expected.joined(separator: ", "))")
            } else {
                red.append("the registry lists \(shown); the plan expects \(expected.joined(separator: ", ")): fix them at the registrar")
            }
        }
        for wanted in check.expectedStatuses.map(RDAPCheck.rdapStatus) where !domain.statuses.contains(wanted) {
            yellow.append("the registry does not list `\(wanted)`: ask the registrar to lock the domain")
        }
        let registryDS = Set(domain.delegationSigners.map(\.text))
        if let parentDS {
            let signed = domain.delegationSigned ?? !registryDS.isEmpty
            if signed != !parentDS.isEmpty || (signed && !registryDS.isEmpty && registryDS != parentDS) {
                let registryText = signed ? (registryDS.isEmpty ? "signed" : "DS \(registryDS.sorted().joined(separator: "; "))") : "unsigned"
                let parentText = parentDS.isEmpty ? "no DS" : "DS \(parentDS.sorted().joined(separator: "; "))"
                yellow.append("the registry says \(registryText) but the parent zone serves \(parentText): "
                    + "the registry's change has not reached the zone yet, or the registrar holds other data")
            }
        }
        var observed: [String: ObservedValue] = [
            "statuses": .list(domain.statuses),
            "nameservers": .list(domain.nameservers),
            "delegation_signed": .text(domain.delegationSigned.map { $0 ? "true" : "false" } ?? "not said"),
        ]
        if let expiration = domain.expiration { observed["expires"] = .text(ISO8601DateFormatter().string(from: expiration)) }
        if let days { observed["days_left"] = .number(Double(days)) }
        if !registryDS.isEmpty { observed["ds"] = .list(registryDS.sorted()) }
        if red.count + yellow.count > 1 { observed["findings"] = .list(red.map { "fail: \($0)" } + yellow.map { "warn: \($0)" }) }
        self.observed = observed
        if let first = red.first {
            status = .fail
            detail = first + (red.count + yellow.count > 1 ? " (and \(red.count + yellow.count - 1) more)" : "")
        } else if let first = yellow.first {
            status = .warn
            detail = first + (yellow.count > 1 ? " (and \(yellow.count - 1) more)" : "")
        } else {
            status = .pass
            detail = "registered until \(domain.expiration?.utcMinute ?? "?") (\(days ?? 0) days), "
                + "delegated to \(domain.nameservers.joined(separator: ", "))"
                + (domain.delegationSigned == true ? ", DS as the parent serves it" : "")
        }
    }
}

extension String {
    fileprivate var trimmingSuffixDot: String { hasSuffix(".") ? String(dropLast()) : self }
}
