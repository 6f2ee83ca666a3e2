import FlightdeckCore

/// Finds the CAA set that applies to a host (RFC 8659 section 3): the host's own, else its
/// parent's, and so on up to the top-level domain. Names in the launch zone are asked of the
/// new nameservers (what will be served after the move); names above it, and the target of
/// a CNAME that leaves the zone, of the plan's first UDP or TCP resolver.
extension DNSServers {
    public enum CAAResult: Sendable, Equatable {
        /// The set and where it was found; an empty set found nowhere, up to `searchedUpTo`.
        case found(at: DNSName?, records: [DNSRecord], searchedUpTo: String)
        case unreadable(String)
    }

    public func relevantCAA(for host: DNSName) async -> CAAResult {
        let zone = plan.zone
        let newServers = await authorities().filter { $0.server.role == .expectedAuthority }
        let resolver = resolvers().first { entry in
            switch entry.target { case .udp, .tcp: true; default: false }
        }
        var name = host
        while true {
            let inZone = name.isWithin(zone) && !newServers.isEmpty
            let askedOf = inZone ? newServers : (resolver.map { [$0] } ?? [])
            guard !askedOf.isEmpty else {
                // Above the zone only a registry could publish CAA; without a resolver it is not asked.
                guard name != host else { return .unreadable("no nameserver or resolver to ask for \(name) CAA") }
                return .found(at: nil, records: [], searchedUpTo: "\(zone) (no resolver to ask above it)")
            }
            var answer: DNSMessage?
            var failure = "no answer"
            for entry in askedOf {
                switch await DNSClient.query(name, .caa, target: entry.target, recursive: entry.recursive, timeout: entry.timeout) {
                case .response(let message, _) where message.responseCode == .noError || message.responseCode == .nameError:
                    answer = message
                case .response(let message, _): failure = "\(entry.server) answered \(message.responseCode) for \(name) CAA"
                case .timeout: failure = "\(entry.server) did not answer for \(name) CAA"
                case .refused(let reason), .failure(let reason): failure = reason
                }
                if answer != nil { break }
            }
            guard let answer else { return .unreadable(failure) }
            var records = PropagationCell.answerRecords(answer, name: name, type: .caa)
            if records.isEmpty, let target = PropagationCell.danglingAlias(answer, name: name, type: .caa) {
                records = await follow(target, .caa)
            }
            if !records.isEmpty { return .found(at: name, records: records, searchedUpTo: name.text) }
            let labels = name.labels
            guard labels.count > 1, case .success(let parent) = DNSName.parse(labels.dropFirst().joined(separator: ".")) else {
                return .found(at: nil, records: [], searchedUpTo: name.text)
            }
            name = parent
        }
    }
}
