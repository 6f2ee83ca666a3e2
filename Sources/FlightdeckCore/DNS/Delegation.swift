/// The delegation of the launch zone, as the parent zone's servers and every authoritative
/// server of both providers tell it: who the parent points at, what each server publishes at
/// the apex, its SOA serial, and which servers are lame.
public struct DelegationReport: Sendable, Equatable {
    public enum Delegation: String, Sendable, Equatable {
        case expected = "new nameservers", previous = "old nameservers", mixed = "a mix", other = "other nameservers", unknown
    }

    /// A parent server's referral, or a resolver's cached NS set for the zone.
    public struct ParentView: Sendable, Equatable {
        public var server: DNSServerRef
        public var nameservers: [DNSName]
        public var ttl: UInt32?
        public var delegation: Delegation
        public var note: String?
        /// The parent zone's SOA serial on this server (the registry's side of the change).
        public var serial: UInt32?
        public var at: Duration = .zero
    }

    public struct AuthorityView: Sendable, Equatable {
        public var server: DNSServerRef
        public var apexNameservers: [DNSName]
        /// The TTL of that NS set.
        public var nsTTL: UInt32?
        public var serial: UInt32?
        /// It answered, but not authoritatively for the zone.
        public var lame: Bool
        public var note: String?
    }

    public var zone: DNSName
    public var parents: [ParentView]
    /// What each of the plan's resolvers has cached for the zone's NS set.
    public var resolverViews: [ParentView]
    public var authorities: [AuthorityView]
    public var expected: [DNSName]
    public var previous: [DNSName]

    /// - Parameters:
    ///   - referrals: each parent server's answer to `zone NS`, asked non-recursively.
    ///   - apex: each authoritative server's answer to `zone NS`.
    ///   - soa: each authoritative server's answer to `zone SOA`.
    ///   - parentSOA: each parent server's answer to the parent zone's SOA.
    ///   - cached: each resolver's answer to `zone NS`, asked recursively.
    public init(zone: DNSName, expected: [DNSName], previous: [DNSName], referrals: [DNSObservation],
                apex: [DNSObservation], soa: [DNSObservation], parentSOA: [DNSObservation] = [], cached: [DNSObservation] = []) {
        self.zone = zone
        self.expected = expected
        self.previous = previous
        var parents = Self.views(referrals, zone: zone, expected: expected, previous: previous)
        for index in parents.indices {
            let server = parents[index].server
            guard let answer = parentSOA.first(where: { $0.server == server }), case .response(let message) = answer.outcome,
                  let record = message.answers.first(where: { $0.type == .soa }), case .soa(let fields) = record.data else { continue }
            parents[index].serial = fields.serial
        }
        self.parents = parents
        resolverViews = Self.views(cached, zone: zone, expected: expected, previous: previous)
        authorities = apex.map { observation in
            var view = AuthorityView(server: observation.server, apexNameservers: [], nsTTL: nil, serial: nil, lame: false, note: nil)
            switch observation.outcome {
            case .response(let message):
                view.lame = !message.flags.authoritative
                let records = message.answers.filter { $0.name == zone && $0.type == .ns }
                view.apexNameservers = records.compactMap { record -> DNSName? in
                    if case .ns(let name) = record.data { return name }
                    return nil
                }.sorted()
                view.nsTTL = records.map(\.ttl).min()
                if view.lame { view.note = "not authoritative (lame)" }
            default:
                view.note = Self.describe(observation.outcome)
            }
            if let soaAnswer = soa.first(where: { $0.server == observation.server }),
               case .response(let message) = soaAnswer.outcome,
               let record = message.answers.first(where: { $0.name == zone && $0.type == .soa }),
               case .soa(let fields) = record.data {
                view.serial = fields.serial
            }
            return view
        }
    }

    private static func views(_ observations: [DNSObservation], zone: DNSName, expected: [DNSName], previous: [DNSName]) -> [ParentView] {
        observations.map { observation in
            guard case .response(let message) = observation.outcome else {
                return ParentView(server: observation.server, nameservers: [], ttl: nil, delegation: .unknown,
                                  note: Self.describe(observation.outcome), at: observation.at)
            }
            let records = (message.authority + message.answers).filter { $0.name == zone && $0.type == .ns }
            let names = records.compactMap { record -> DNSName? in
                if case .ns(let name) = record.data { return name }
                return nil
            }
            return ParentView(server: observation.server, nameservers: names.sorted(), ttl: records.map(\.ttl).min(),
                              delegation: Self.classify(names, expected: expected, previous: previous),
                              note: names.isEmpty ? "no referral (\(message.responseCode))" : nil, at: observation.at)
        }
    }

    /// Resolvers that still answer with an NS set other than the new one, and until when
    /// their cached copy lasts (when they said how long it has left).
    public var oldDelegationCached: [(server: DNSServerRef, until: Duration)] {
        resolverViews.compactMap { view in
            guard !view.nameservers.isEmpty, view.delegation != .expected, let ttl = view.ttl else { return nil }
            return (view.server, view.at + .seconds(Int(ttl)))
        }
    }

    private static func classify(_ names: [DNSName], expected: [DNSName], previous: [DNSName]) -> Delegation {
        let set = Set(names)
        guard !set.isEmpty else { return .unknown }
        if set == Set(expected) { return .expected }
        if !previous.isEmpty, set == Set(previous) { return .previous }
        if !set.isDisjoint(with: expected) { return .mixed }
        return .other
    }

    private static func describe(_ outcome: DNSObservation.Outcome) -> String {
        switch outcome {
        case .timeout: "timed out"
        case .failure(let reason), .refused(let reason): reason
        case .response(let message): "answered \(message.responseCode)"
        }
    }

    /// What the parent says, if every parent server says the same.
    public var delegation: Delegation {
        let kinds = Set(parents.map(\.delegation))
        return kinds.count == 1 ? kinds.first! : (kinds.isEmpty ? .unknown : .mixed)
    }

    /// The parent's NS TTL: how long resolvers may keep using a delegation they cached.
    public var parentTTL: UInt32? { parents.compactMap(\.ttl).max() }

    /// How long a cached old delegation may live: the parent's NS TTL, or the old servers'
    /// own apex NS TTL if longer (resolvers that prefer the child's NS set keep that one).
    public var oldDelegationTTL: UInt32? {
        let old = authorities.filter { $0.server.role == .previousAuthority }.compactMap(\.nsTTL)
        return (old + [parentTTL].compactMap { $0 }).max()
    }

    /// New-provider servers that are lame, unreachable, or publish another apex NS set.
    public var problems: [String] {
        var lines: [String] = []
        for view in authorities where view.server.role == .expectedAuthority {
            if let note = view.note {
                lines.append("\(view.server): \(note)")
            } else if Set(view.apexNameservers) != Set(expected) {
                lines.append("\(view.server) publishes NS \(view.apexNameservers.map(\.text).joined(separator: ", "))")
            }
        }
        let serials = Set(authorities.filter { $0.server.role == .expectedAuthority }.compactMap(\.serial))
        if serials.count > 1 {
            lines.append("new nameservers disagree on the SOA serial: \(serials.sorted().map(String.init).joined(separator: ", "))")
        }
        return lines
    }

    /// One line: where the parent points and what is wrong.
    public var summary: String {
        if delegation == .unknown {
            let why = parents.first.map { "\($0.server): \($0.note ?? "no referral")" } ?? "no parent server"
            return "cannot see the parent's delegation of \(zone) (\(why))"
        }
        var text = "parent delegates \(zone) to \(delegation.rawValue)"
        if let ttl = parentTTL { text += " (NS TTL \(ttl) s)" }
        if let first = problems.first { text += "; \(first)" }
        return text
    }
}
