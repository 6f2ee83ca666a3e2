/// Who was asked: a public resolver (recursively), or an authoritative server of the new or
/// the previous provider (non-recursively).
public struct DNSServerRef: Sendable, Hashable, CustomStringConvertible {
    public enum Role: String, Sendable, Hashable {
        case resolver, expectedAuthority = "new", previousAuthority = "old"
    }

    /// The resolver's name, or the nameserver's name.
    public var name: String
    public var address: String
    public var role: Role

    public init(name: String, address: String, role: Role) {
        self.name = name
        self.address = address
        self.role = role
    }

    public var description: String { name == address ? address : "\(name) (\(address))" }
}

/// What one server said to one query, reduced to what propagation needs.
public struct DNSObservation: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case response(DNSMessage)
        case timeout
        /// Could not ask, or the answer was not a DNS message: one line why.
        case failure(String)
    }

    public var server: DNSServerRef
    public var outcome: Outcome
    /// When the answer (or the timeout) came, on the poller's clock.
    public var at: Duration
    public var roundTrip: Duration?

    public init(server: DNSServerRef, outcome: Outcome, at: Duration, roundTrip: Duration? = nil) {
        self.server = server
        self.outcome = outcome
        self.at = at
        self.roundTrip = roundTrip
    }
}

/// One cell of the propagation grid: one record as one server sees it.
public struct PropagationCell: Sendable, Equatable {
    public enum State: String, Sendable, Equatable, CaseIterable {
        case match, previous = "still old", other, nxdomain = "NXDOMAIN", nodata = "NODATA"
        case servfail = "SERVFAIL", refused = "REFUSED", timeout, error
    }

    public var server: DNSServerRef
    public var state: State
    /// The values seen, for people (sanitised).
    public var values: [String]
    /// The TTL the answer carried (for a resolver: what its cache has left).
    public var ttl: UInt32?
    public var authoritative: Bool
    public var at: Duration
    /// For errors: why.
    public var note: String?

    /// Classifies `observation` for a record of `type` named `name`.
    public init(observation: DNSObservation, name: DNSName, type: DNSRecordType, expected: Set<String>, previous: Set<String>) {
        server = observation.server
        at = observation.at
        values = []
        ttl = nil
        authoritative = false
        note = nil
        switch observation.outcome {
        case .timeout:
            state = .timeout
        case .failure(let reason):
            state = .error
            note = reason
        case .response(let message):
            authoritative = message.flags.authoritative
            switch message.responseCode {
            case .noError: break
            case .nameError:
                state = .nxdomain
                return
            case .serverFailure:
                state = .servfail
                return
            case .refused:
                state = .refused
                return
            default:
                state = .error
                note = "answered \(message.responseCode)"
                return
            }
            let records = Self.answerRecords(message, name: name, type: type)
            guard !records.isEmpty else {
                // No answer and no authority: a referral or a lame server, not an empty record set.
                state = message.answers.isEmpty && !message.flags.authoritative && observation.server.role != .resolver
                    ? .error : .nodata
                if state == .error { note = "not authoritative for the zone (lame)" }
                return
            }
            values = records.map(\.data.display)
            ttl = records.map(\.ttl).min()
            let seen = Set(records.map(\.data.comparable))
            if seen == expected {
                state = .match
            } else if !previous.isEmpty && seen == previous {
                state = .previous
            } else {
                state = .other
            }
        }
    }

    /// The records of `type` at `name`, following a CNAME chain within the answer (for a CNAME
    /// query, the CNAME itself).
    public static func answerRecords(_ message: DNSMessage, name: DNSName, type: DNSRecordType) -> [DNSRecord] {
        var owner = name
        for _ in 0..<16 {
            let matching = message.answers.filter { $0.name == owner && $0.type == type }
            if !matching.isEmpty || type == .cname { return matching }
            guard let alias = message.answers.first(where: { $0.name == owner && $0.type == .cname }),
                  case .cname(let target) = alias.data else { return [] }
            owner = target
        }
        return []
    }

    /// Whether a resolver showing this may still hand out a stale answer.
    var isFresh: Bool { state == .match }
}

/// The grid for one record: every server's cell, what convergence means, and when the last
/// stale cached answer must have expired.
public struct RecordPropagation: Sendable, Equatable {
    public var record: DNSRecordExpectation
    public var cells: [PropagationCell]
    /// The previous record's TTL as the old provider serves it, if known.
    public var previousTTL: UInt32?

    public init(record: DNSRecordExpectation, observations: [DNSObservation], previousTTL: UInt32? = nil) {
        self.record = record
        let expected = Set(record.expected.map { RecordValue.normalize($0, type: record.type) })
        let previous = Set(record.previous.map { RecordValue.normalize($0, type: record.type) })
        cells = observations.map {
            PropagationCell(observation: $0, name: record.name, type: record.type, expected: expected, previous: previous)
        }
        // The old provider's own answer tells how long caches may keep the old value.
        self.previousTTL = previousTTL ?? cells.filter { $0.server.role == .previousAuthority && $0.state != .match }
            .compactMap(\.ttl).max()
    }

    public var resolverCells: [PropagationCell] { cells.filter { $0.server.role == .resolver } }
    public var newAuthorityCells: [PropagationCell] { cells.filter { $0.server.role == .expectedAuthority } }

    /// The share of public resolvers that see exactly the expected values, 0 to 1.
    public var converged: Double {
        let resolvers = resolverCells
        guard !resolvers.isEmpty else { return newAuthorityCells.allSatisfy(\.isFresh) ? 1 : 0 }
        return Double(resolvers.filter(\.isFresh).count) / Double(resolvers.count)
    }

    /// The latest moment a resolver may still answer with something other than the expected
    /// values. A stale answer lasts its remaining TTL; a resolver not yet seen fresh may hold
    /// the previous record for its full TTL. And until the old delegation has expired from
    /// every cache (`delegation`), a resolver may fetch the old record again from the old
    /// servers, so nothing is certain before that moment plus the previous record's TTL.
    /// Nil when converged, or when it cannot be known yet (the parent still delegates to the
    /// old servers, or no TTL is known for the old value).
    public func eta(delegation: DelegationTiming? = nil) -> Duration? {
        var latest: Duration?
        for cell in resolverCells where !cell.isFresh {
            var until: Duration?
            switch cell.state {
            case .previous, .other:
                until = cell.ttl.map { cell.at + .seconds(Int($0)) }
            default:
                until = previousTTL.map { cell.at + .seconds(Int($0)) }
            }
            if let delegation {
                guard let oldDelegationExpires = delegation.oldDelegationExpires else { return nil }
                let refetched = previousTTL.map { oldDelegationExpires + .seconds(Int($0)) } ?? oldDelegationExpires
                until = max(until ?? refetched, refetched)
            }
            guard let until else { return nil }
            latest = max(latest ?? until, until)
        }
        return latest
    }

    /// Authoritative servers of the new provider that do not serve what the plan expects.
    public var disagreeingAuthorities: [PropagationCell] {
        newAuthorityCells.filter { !$0.isFresh }
    }
}

/// How a DNS record check reads: red when a new authoritative server disagrees with the
/// plan, yellow while public resolvers converge, green when all see the expected values.
public struct DNSRecordVerdict: Sendable, Equatable {
    public var status: CheckStatus
    public var detail: String

    /// - Parameter wallClock: turns the poller's clock into a time people read, for the ETA.
    public init(_ propagation: RecordPropagation, delegation: DelegationTiming? = nil, now: Duration,
                describeTime: (Duration) -> String) {
        guard !propagation.cells.isEmpty else {
            status = .unknown
            detail = "nobody to ask: the plan names no resolvers and no nameserver addresses"
            return
        }
        if let first = propagation.disagreeingAuthorities.first {
            status = .fail
            let expected = propagation.record.expected.joined(separator: ", ")
            switch first.state {
            case .timeout:
                detail = "new nameserver \(first.server) did not answer in time"
            case .error:
                detail = "new nameserver \(first.server): \(first.note ?? "no usable answer")"
            default:
                let seen = first.values.isEmpty ? first.state.rawValue : first.values.joined(separator: ", ")
                detail = "new nameserver \(first.server) answers \(seen), expected \(expected)"
            }
            let more = propagation.disagreeingAuthorities.count - 1
            if more > 0 { detail += " (and \(more) more)" }
            return
        }
        let resolvers = propagation.resolverCells
        let fresh = resolvers.filter(\.isFresh).count
        guard fresh < resolvers.count else {
            status = .pass
            detail = resolvers.isEmpty ? "the new nameservers serve the expected values" : "converged: all \(resolvers.count) resolvers see the new value"
            return
        }
        status = .warn
        let stale = resolvers.filter { $0.state == .previous }.count
        var text = "converging: \(fresh) of \(resolvers.count) resolvers see the new value"
        if stale > 0 { text += ", \(stale) still old" }
        if let eta = propagation.eta(delegation: delegation) {
            text += "; stale caches expire by \(describeTime(eta))"
            if eta > now { text += " (in \(formatSpan(eta - now)))" }
        } else if delegation != nil, delegation?.oldDelegationExpires == nil {
            text += "; ETA unknown until the parent delegates to the new nameservers"
        } else {
            text += "; ETA unknown (no TTL for the old value yet)"
        }
        detail = text
    }
}

/// What the delegation tells record ETAs: when the last cached copy of the old delegation
/// expires (nil while the parent still delegates to the old servers).
public struct DelegationTiming: Sendable, Equatable {
    public var oldDelegationExpires: Duration?

    public init(oldDelegationExpires: Duration?) {
        self.oldDelegationExpires = oldDelegationExpires
    }
}

/// `4m 10s`, `2h 5m`, `45s`.
public func formatSpan(_ duration: Duration) -> String {
    let seconds = max(0, Int(duration.components.seconds))
    if seconds >= 3600 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
    if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
    return "\(seconds)s"
}
