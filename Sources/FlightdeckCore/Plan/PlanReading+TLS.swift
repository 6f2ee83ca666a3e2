import Foundation

/// The `tls` section: each endpoint, the names its certificate must cover, and its limits.
extension PlanReading {
    mutating func tlsEndpoint(_ node: YAMLNode) -> TLSEndpoint? {
        guard let map = node.mapping(keys: [
            "id", "host", "port", "address", "covers", "warning_days", "critical_days", "ip_version",
            "ca_file", "ocsp_stapling", "revocation", "min_version", "severity", "runbook",
        ] + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
        let host = map.required("host")?.dnsName()
        let port = map["port"].map { $0.int(in: 1...65535) } ?? 443
        let address = map["address"]?.address()
        if let address, let addressPort = address.port, let portNode = map["port"] {
            portNode.report("port is given twice: `port` and the port in `address` (\(addressPort))",
                            hint: "give it once: `address: \(address.host)` with `port`, or the address with its port alone")
        }
        let covers = map["covers"].map { $0.list { $0.dnsName(allowWildcard: true) } } ?? host.map { [$0] }
        let warningDays = map["warning_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultWarningDays
        let criticalDays = map["critical_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultCriticalDays
        if let warningDays, let criticalDays, criticalDays > warningDays {
            (map["critical_days"] ?? node).report(
                "critical_days (\(criticalDays)) is more than warning_days (\(warningDays))",
                hint: "the warning comes first: warning_days must be the larger")
        }
        let ipVersion = map["ip_version"].map { $0.choice(HTTPCheck.IPVersion.self, named: "IP version") } ?? .any
        let caFile = map["ca_file"].flatMap(existingFile)
        let stapling = map["ocsp_stapling"].map { $0.bool() } ?? false
        let revocation = map["revocation"].map(revocationSources) ?? RevocationSource.defaults
        let minimumVersion = map["min_version"].map { $0.choice(TLSEndpoint.MinimumVersion.self, named: "TLS version") } ?? .tls1_2
        let severity = severityOrDefault(map)
        guard let id, let host, let port, let covers, let warningDays, let criticalDays, criticalDays <= warningDays,
              let ipVersion, let stapling, let revocation, let minimumVersion, let severity else { return nil }
        return TLSEndpoint(
            id: id, host: host, port: UInt16(address?.port ?? UInt16(port)), address: address, covers: covers, warningDays: warningDays,
            criticalDays: criticalDays, expiryDaysFromPlan: map["warning_days"] != nil || map["critical_days"] != nil, ipVersion: ipVersion, caFile: caFile, requireStapling: stapling,
            revocationSources: revocation, minimumVersion: minimumVersion, severity: severity, timing: timing(map))
    }

    /// `revocation: [crl, ocsp]`, one of them, or `none`: which sources are asked when the
    /// server staples nothing that settles the leaf's status.
    private func revocationSources(_ node: YAMLNode) -> [RevocationSource]? {
        if node.isWord("none") { return [] }
        guard let sources = node.list({ $0.choice(RevocationSource.self, named: "revocation source") }) else { return nil }
        var unique: [RevocationSource] = []
        for source in sources where !unique.contains(source) { unique.append(source) }
        return unique
    }
}
