import Foundation

/// The `resolvers` and `dns` sections: who is asked, and what each record must answer.
extension PlanReading {
    // MARK: Resolvers

    mutating func resolver(_ node: YAMLNode) -> Resolver? {
        guard let map = node.mapping(keys: ["name", "address", "transport", "url", "tls_name", "ca_file", "timeout"]) else { return nil }
        let name = declare(map.required("name"), in: .resolver)
        let transport = map["transport"].map { $0.choice(Resolver.Transport.self, named: "DNS transport") } ?? .udp
        let address = map["address"]?.address()
        let timeout = map["timeout"].flatMap(positiveDuration)
        var url: URL?
        if let urlNode = map["url"] {
            if transport == .https {
                url = webURL(urlNode, schemes: ["https"])
            } else {
                urlNode.report("`url` is only for resolvers with transport https")
            }
        } else if transport == .https {
            node.report("missing required key `url`", hint: "a DNS-over-HTTPS resolver needs its URL, like https://dns.example/dns-query")
        }
        if map["address"] == nil, transport != .https {
            node.report("missing required key `address`", hint: "the resolver's IP address, with an optional port: 192.0.2.53 or [2001:db8::53]:53")
        }
        var tlsName: DNSName?
        if let tlsNameNode = map["tls_name"] {
            if transport == .tls { tlsName = tlsNameNode.dnsName() } else { tlsNameNode.report("`tls_name` is only for resolvers with transport tls") }
        }
        var caFile: String?
        if let caNode = map["ca_file"] {
            if transport == .tls || transport == .https { caFile = existingFile(caNode) } else { caNode.report("`ca_file` is only for resolvers with transport tls or https") }
        }
        guard let name, let transport else { return nil }
        return Resolver(name: name, transport: transport, address: address, url: url, tlsName: tlsName, caFile: caFile, timeout: timeout)
    }

    // MARK: DNS

    mutating func dnsSection(_ node: YAMLNode) -> DNSExpectations? {
        guard let map = node.mapping(keys: Self.sectionKeys["dns"]!) else { return nil }
        // The zone's own checks (its delegation and DNSSEC) share the section's runbook.
        if let node = map["runbook"], let runbook = runbook(node) {
            runbooks[.check(DelegationCheck.id)] = runbook
            runbooks[.check(DNSSECCheck.id)] = runbook
        }
        var expectations = DNSExpectations.empty
        if let nameservers = map["nameservers"]?.mapping(keys: ["expected", "previous"]) {
            expectations.expectedNameservers = nameservers.required("expected")?.list(nameserver) ?? []
            expectations.previousNameservers = nameservers["previous"]?.list(nameserver) ?? []
        }
        expectations.parentServers = map["parent"]?.list(nameserver) ?? []
        expectations.records = map["records"]?.list { record($0) } ?? []
        if let warning = map["signature_warning"].flatMap(positiveDuration) { expectations.signatureWarning = warning }
        if let issuers = map["caa_issuers"] {
            guard let entries = issuers.entries() else {
                issuers.report("`caa_issuers` maps a word of a CA's issuer name to its CAA domains",
                               hint: "caa_issuers: { \"Example CA\": [ca.example.net] }")
                return expectations
            }
            expectations.caaIssuers = entries.compactMap { entry in
                let domains = entry.value.list { node in node.dnsName().map(\.text) } ?? []
                guard !entry.key.isEmpty, !domains.isEmpty else {
                    entry.value.report("`\(entry.key)` needs at least one CAA domain, as CAA records name the CA: [ca.example.net]")
                    return nil
                }
                return CAAIssuer(match: entry.key, domains: domains)
            }
        }
        if let rdapNode = map["rdap"] { expectations.rdap = rdapCheck(rdapNode) }
        if let quorumNode = map["converged_when"] {
            guard let quorum = Self.quorum(quorumNode.scalarText() ?? "") else {
                quorumNode.report("`\(quorumNode.scalarText() ?? "")` is not a convergence rule",
                                  hint: "`all answering` (the default: resolvers that fail are named, not waited for), `all resolvers`, or a share such as `90%`")
                return expectations
            }
            expectations.quorum = quorum
        }
        return expectations
    }

    /// `dns.rdap`: where the registry answers, and what its answer must show.
    mutating func rdapCheck(_ node: YAMLNode) -> RDAPCheck? {
        guard let map = node.mapping(keys: ["id", "domain", "server", "bootstrap", "warning_days", "critical_days",
                                            "expect_status", "ca_file", "severity", "runbook"] + Self.timingKeys) else { return nil }
        let id = map["id"].map { declare($0, in: .check) } ?? declareImplied(RDAPCheck.defaultID, at: node)
        keepRunbook(map, for: id.map { .check($0) })
        let domain = map["domain"].map { $0.dnsName() } ?? zone
        let source: RDAPCheck.Source?
        switch (map["server"], map["bootstrap"]) {
        case (let server?, nil): source = webURL(server, schemes: ["https", "http"]).map { .server($0) }
        case (nil, let bootstrap?): source = existingFile(bootstrap).map { .bootstrap(path: $0) }
        case (_?, _?):
            (map["bootstrap"] ?? node).report("give `server` or `bootstrap`, not both",
                                              hint: "`server` is the registry's RDAP base URL; `bootstrap` IANA's dns.json, as a file")
            source = nil
        case (nil, nil):
            node.report("`rdap` needs `server` (the registry's RDAP base URL) or `bootstrap` (IANA's dns.json, as a file)",
                        hint: "rdap: { server: \"https://rdap.nic.example/\" }")
            source = nil
        }
        let warningDays = map["warning_days"].map { $0.int(in: 0...3650) } ?? RDAPCheck.defaultWarningDays
        let criticalDays = map["critical_days"].map { $0.int(in: 0...3650) } ?? RDAPCheck.defaultCriticalDays
        if let warningDays, let criticalDays, criticalDays > warningDays {
            (map["critical_days"] ?? node).report("critical_days (\(criticalDays)) is more than warning_days (\(warningDays))",
                                                  hint: "the warning comes first: warning_days must be the larger")
        }
        let statuses = map["expect_status"].map { $0.list { $0.string() } } ?? RDAPCheck.defaultExpectedStatuses
        let caFile = map["ca_file"].flatMap(existingFile)
        let severity = severityOrDefault(map)
        guard let id, let domain, let source, let warningDays, let criticalDays, criticalDays <= warningDays,
              let statuses, let severity else { return nil }
        var timing = timing(map)
        timing.interval = timing.interval ?? RDAPCheck.defaultInterval
        return RDAPCheck(id: id, domain: domain, source: source, warningDays: warningDays, criticalDays: criticalDays,
                         expectedStatuses: statuses, caFile: caFile, severity: severity, timing: timing)
    }

    static func quorum(_ text: String) -> ConvergenceQuorum? {
        switch text.lowercased() {
        case "all answering": return .allAnswering
        case "all resolvers", "all": return .allResolvers
        default:
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else { return nil }
            return .atLeast(percent / 100)
        }
    }

    /// A nameserver as a bare name, or `{name, addresses}`.
    func nameserver(_ node: YAMLNode) -> Nameserver? {
        if case .scalar = node.node {
            return node.dnsName().map { Nameserver(name: $0) }
        }
        guard let map = node.mapping(keys: ["name", "addresses"]) else { return nil }
        let name = map.required("name")?.dnsName()
        let addresses = map["addresses"]?.list { $0.address() } ?? []
        return name.map { Nameserver(name: $0, addresses: addresses) }
    }

    mutating func record(_ node: YAMLNode) -> DNSRecordExpectation? {
        guard let map = node.mapping(keys: ["id", "name", "type", "expected", "previous", "severity", "runbook"] + Self.timingKeys) else {
            return nil
        }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
        let name = map.required("name").flatMap(recordName)
        let type = map.required("type")?.parse(DNSRecordType.parse)
        let expected = map.required("expected").flatMap { expectedNode -> [String]? in
            if case .sequence(let values) = expectedNode.node, values.isEmpty {
                expectedNode.report("a record needs at least one expected value")
                return nil
            }
            return recordValues(expectedNode, type: type)
        }
        let previous = map["previous"].flatMap { recordValues($0, type: type) } ?? []
        let severity = severityOrDefault(map)
        guard let id, let name, let type, let expected, let severity else { return nil }
        return DNSRecordExpectation(id: id, name: name, type: type, expected: expected, previous: previous,
                                    severity: severity, timing: timing(map))
    }

    /// `@` is the zone apex, a name ending in the zone is absolute, anything else is relative
    /// to the zone (`www`).
    func recordName(_ node: YAMLNode) -> DNSName? {
        guard let text = node.string(), let zone else { return nil }
        let absolute: String
        if text == "@" {
            absolute = zone.text
        } else if text.hasSuffix(".") || text.lowercased() == zone.text || text.lowercased().hasSuffix("." + zone.text) {
            absolute = text
        } else {
            // `www.other.test` would silently become `www.other.test.<zone>`.
            if let last = text.split(separator: ".").last.map({ $0.lowercased() }), text.contains("."),
               last == zone.labels.last?.lowercased() || Self.commonTopLevelDomains.contains(last) {
                node.report("`\(text)` looks like a full name, but names without a final dot are relative to the zone: it would mean \(text).\(zone.text)",
                            hint: "end it with a dot (`\(text).`) if that is the name, or write it as a name inside \(zone.text)")
                return nil
            }
            absolute = "\(text).\(zone.text)"
        }
        switch DNSName.parse(absolute, allowWildcard: true) {
        case .success(let name):
            guard name.isWithin(zone) else {
                node.report("`\(text)` is outside the zone \(zone)")
                return nil
            }
            return name
        case .failure(let error):
            node.report(error)
            return nil
        }
    }

    /// Last labels that mark a relative record name as probably meant to be a full one.
    static let commonTopLevelDomains: Set<String> = [
        "com", "net", "org", "io", "dev", "app", "co", "uk", "de", "fr", "eu", "us", "info", "biz", "cloud", "test", "example",
    ]

    func recordValues(_ node: YAMLNode, type: DNSRecordType?) -> [String]? {
        node.list { valueNode in
            guard let value = valueNode.string() else { return nil }
            if let error = type?.validate(value: value) {
                valueNode.report(error)
                return nil
            }
            return value
        }
    }
}
