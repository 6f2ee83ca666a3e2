import FlightdeckCore

/// The zone data of the cutover: the parent zone before and after the registrar change, and
/// the launch zone as the old and the new provider serve it.
struct DemoZones: Sendable {
    let origin: DNSName
    /// Before the registrar change, while the parent still holds the old provider's DS.
    let parentBeforeSigned: DemoZone
    let parentBefore: DemoZone
    let parentAfter: DemoZone
    let oldProvider: DemoZone
    let newProvider: DemoZone
    /// What the plan asks about, so the resolvers can hold it before the demo starts.
    let questions: [DNSQuestion]

    static let newNameservers = ["ns1.newdns.test", "ns2.newdns.test"]
    static let oldNameserver = "ns1.olddns.test"
    static let parentServer = "a.nic.test"

    init(zone: String) throws {
        func name(_ text: String) throws -> DNSName { try DNSName.parse(text).get() }
        func ipv4(_ text: String) -> RecordData { .a(text.split(separator: ".").compactMap { UInt8($0) }) }
        origin = try name(zone)
        let apex = origin
        let tld = try name("test")

        func soa(_ owner: DNSName, primary: String, serial: UInt32) throws -> DNSRecord {
            DNSRecord(name: owner, ttl: 3600, data: .soa(.init(primary: try name(primary), mailbox: try name("hostmaster.\(owner.text)"),
                                                               serial: serial, refresh: 7200, retry: 900, expire: 1_209_600, minimum: 300)))
        }
        func delegation(to servers: [String]) throws -> [DNSName: [DNSRecord]] {
            [apex: try servers.map { DNSRecord(name: apex, ttl: DemoScript.delegationTTL, data: .ns(try name($0))) }]
        }
        let glue = try zip(Self.newNameservers + [Self.oldNameserver], DemoWorld.Address.newProvider + [DemoWorld.Address.oldProvider])
            .map { DNSRecord(name: try name($0), ttl: DemoScript.delegationTTL, data: ipv4($1)) }
        let parentRecords = [try soa(tld, primary: Self.parentServer, serial: 2026112800),
                             DNSRecord(name: tld, ttl: 86400, data: .ns(try name(Self.parentServer)))]
        parentBefore = DemoZone(origin: tld, records: parentRecords, delegations: try delegation(to: [Self.oldNameserver]), glue: glue)
        let signer = try DemoSigner(zone: apex)
        var signedParent = parentBefore
        signedParent.delegationSigners = [apex: signer.ds(ttl: DemoScript.dsTTL).map { [$0] } ?? []]
        parentBeforeSigned = signedParent
        parentAfter = DemoZone(origin: tld, records: parentRecords, delegations: try delegation(to: Self.newNameservers), glue: glue)

        func records(ttl: UInt32, web: String, www: String, mail: String, nameservers: [String], serial: UInt32) throws -> [DNSRecord] {
            try [
                soa(apex, primary: nameservers[0], serial: serial),
                DNSRecord(name: apex, ttl: ttl, data: ipv4(web)),
                DNSRecord(name: try name("www.\(zone)"), ttl: ttl, data: .cname(try name(www))),
                DNSRecord(name: try name("api.\(zone)"), ttl: ttl, data: ipv4(web)),
                DNSRecord(name: try name("ws.\(zone)"), ttl: ttl, data: ipv4(web)),
                DNSRecord(name: try name("stream.\(zone)"), ttl: ttl, data: ipv4(web)),
                DNSRecord(name: apex, ttl: ttl, data: .mx(preference: 10, exchange: try name(mail))),
                DNSRecord(name: apex, ttl: ttl, data: .txt([Array("v=spf1 include:_spf.\(zone) ~all".utf8)])),
                DNSRecord(name: apex, ttl: ttl, data: .caa(flags: 0, tag: "issue", value: Array("ca.\(zone)".utf8))),
            ] + nameservers.map { DNSRecord(name: apex, ttl: ttl, data: .ns(try name($0))) }
        }
        newProvider = DemoZone(origin: apex, records: try records(ttl: DemoScript.newRecordTTL, web: DemoWorld.Address.web, www: zone,
                                                                  mail: "mx.\(zone)", nameservers: Self.newNameservers, serial: 2026112801))
        // The old provider signs the zone; the new one does not (yet).
        oldProvider = DemoZone(origin: apex, records: try records(ttl: DemoScript.oldRecordTTL, web: DemoWorld.Address.oldWeb,
                                                                  www: "parking.olddns.test", mail: "mx.olddns.test",
                                                                  nameservers: [Self.oldNameserver], serial: 2025061501)
                                   + [DNSRecord(name: apex, ttl: DemoScript.dsTTL, data: signer.dnskey)],
                               signer: signer)
        questions = try DemoPlan.records.map { record in
            DNSQuestion(name: record.name == "@" ? apex : try name("\(record.name).\(zone)"), type: record.type)
        }
    }
}
