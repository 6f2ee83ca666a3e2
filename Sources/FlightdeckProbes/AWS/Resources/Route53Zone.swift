import FlightdeckCore
import Foundation

/// A Route 53 hosted zone (GetHostedZone, ListResourceRecordSets): it exists, its
/// delegation set is the plan's nameservers (the names the registrar must be given), and it
/// already holds the plan's records with the expected values: the source of truth before
/// propagation.
enum Route53Zone {
    static let version = "/2013-04-01"

    static func read(_ client: AWSClient, zoneID: String, nameservers: [DNSName], records: [DNSRecordExpectation]) async -> Result<(findings: AWSFindings, summary: String), AWSProblem> {
        // Route 53 is global: signed for us-east-1 whatever the check's region.
        var global = client
        global.region = "us-east-1"
        var findings = AWSFindings()
        let zone: XMLElement
        switch await global.rest(service: "route53", host: "route53.amazonaws.com", path: "\(version)/hostedzone/\(zoneID)") {
        case .success(let root): zone = root
        case .failure(let problem) where problem.code == "NoSuchHostedZone":
            findings.expect(false, "no hosted zone \(zoneID)")
            return .success((findings, ""))
        case .failure(let problem): return .failure(problem)
        }
        let delegation = (zone.element(at: "DelegationSet/NameServers")?.children("NameServer") ?? []).map { $0.trimmedText }
        var found: [String: (values: [String], alias: String?)] = [:]
        for record in records {
            let query = "name=\(record.name.description.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_*"))) ?? "")&type=\(record.type)&maxitems=1"
            switch await global.rest(service: "route53", host: "route53.amazonaws.com", path: "\(version)/hostedzone/\(zoneID)/rrset", query: query) {
            case .success(let root):
                guard let set = root.element(at: "ResourceRecordSets")?.children("ResourceRecordSet").first,
                      Self.sameName(set.value("Name") ?? "", record.name.description), set.value("Type") == "\(record.type)" else { continue }
                found[record.id] = ((set.element(at: "ResourceRecords")?.children("ResourceRecord") ?? []).compactMap { $0.value("Value") },
                                    set.value("AliasTarget/DNSName"))
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(judge(zoneName: zone.value("HostedZone/Name") ?? zoneID, delegation: delegation, expected: nameservers,
                              records: records, found: found))
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        func plain(_ name: String) -> String { (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased().replacingOccurrences(of: "\\052", with: "*") }
        return plain(a) == plain(b)
    }

    static func judge(zoneName: String, delegation: [String], expected: [DNSName], records: [DNSRecordExpectation],
                      found: [String: (values: [String], alias: String?)]) -> (findings: AWSFindings, summary: String) {
        var findings = AWSFindings()
        findings.observed["delegation_set"] = .list(delegation)
        let have = Set(delegation.map { sameNameKey($0) }), want = Set(expected.map { sameNameKey($0.description) })
        findings.expect(have == want, "the zone's nameservers are \(delegation.joined(separator: ", ")), not the plan's "
                        + "\(expected.map(\.description).joined(separator: ", ")): the registrar must be given the zone's")
        var lines: [String] = []
        for record in records {
            guard let set = found[record.id] else {
                findings.expect(false, "the zone has no \(record.name) \(record.type) record")
                lines.append("\(record.id): missing")
                continue
            }
            if let alias = set.alias, set.values.isEmpty {
                lines.append("\(record.id): alias to \(alias)")
                continue
            }
            let normalize = { (value: String) in RecordValue.normalize(value, type: record.type) }
            let served = Set(set.values.map(normalize)), expected = Set(record.expected.map(normalize))
            findings.expect(served == expected, "\(record.name) \(record.type) in the zone is \(set.values.joined(separator: ", ")), not \(record.expected.joined(separator: ", "))")
            lines.append("\(record.id): \(set.values.joined(separator: ", "))")
        }
        findings.observed["records"] = .list(lines)
        return (findings, "\(zoneName) delegated to the plan's \(expected.count) nameservers" + (records.isEmpty ? "" : ", all \(records.count) records as planned"))
    }

    private static func sameNameKey(_ name: String) -> String {
        (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
    }
}
