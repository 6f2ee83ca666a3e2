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
        /// Nothing listens there: one line.
        case refused(String)
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
        /// A CNAME whose chain could not be followed to a record of the type asked.
        case alias = "CNAME"
        case servfail = "SERVFAIL", refused = "REFUSED", timeout, error
        /// SERVFAIL from a validating resolver that answers once asked with checking disabled:
        /// the data is there, its DNSSEC chain is broken.
        case bogus

        /// The server gave an answer about the record (right or wrong), rather than failing.
        public var answered: Bool {
            switch self {
            case .match, .previous, .other, .nxdomain, .nodata, .alias: true
            case .servfail, .refused, .timeout, .error, .bogus: false
            }
        }
    }

    public var server: DNSServerRef
    public var state: State
    /// The values seen, for people (sanitised); a CNAME chain shows as `CNAME target → value`.
    public var values: [String]
    /// The TTL the answer carried (for a resolver: what its cache has left); for NXDOMAIN and
    /// NODATA, the negative-caching TTL from the SOA (RFC 2308).
    public var ttl: UInt32?
    public var authoritative: Bool
    public var at: Duration
    /// For errors: why. For a TTL with its top bit set: that it was read as 0.
    public var note: String?
    /// What a resolver did with DNSSEC, when the zone is signed; nil for nameservers.
    public var validation: Validation?

    public enum Validation: String, Sendable, Equatable {
        /// It validated the answer (AD set).
        case validated = "AD"
        /// It passed the signatures on without validating them.
        case unvalidated = "not validated"
        /// It dropped the signatures the zone has (an old middlebox or a forwarder that strips DNSSEC).
        case stripped = "strips DNSSEC"
    }

    /// A cell as another vantage published it.
    init(published server: DNSServerRef, state: State, values: [String], ttl: UInt32?, note: String?, validation: Validation?) {
        self.server = server
        self.state = state
        self.values = values
        self.ttl = ttl
        self.note = note
        self.validation = validation
        authoritative = false
        at = .zero
    }

    /// The cell in one line, as `check --json` and the detail view give it:
    /// `resolver cloudflare (1.1.1.1): match 192.0.2.10 ttl 300 [AD]`.
    public var line: String {
        "\(server.role.rawValue) \(server): \(state.rawValue)"
            + (values.isEmpty ? "" : " \(values.joined(separator: ", "))")
            + (ttl.map { " ttl \($0)" } ?? "")
            + (validation.map { " [\($0.rawValue)]" } ?? "")
            + (note.map { " (\($0))" } ?? "")
    }

    /// Classifies `observation` for a record of `type` named `name`. `aliases` holds the
    /// records found (through a resolver) at the end of CNAME chains that left the answer;
    /// `uncheckedAnswer`, a SERVFAIL resolver's answer when asked again with checking disabled.
    public init(observation: DNSObservation, name: DNSName, type: DNSRecordType, expected: Set<String>, previous: Set<String>,
                aliases: [DNSName: [DNSRecord]] = [:], uncheckedAnswer: DNSMessage? = nil) {
        server = observation.server
        at = observation.at
        values = []
        ttl = nil
        authoritative = false
        note = nil
        switch observation.outcome {
        case .timeout:
            state = .timeout
        case .refused(let reason):
            state = .refused
            note = reason
        case .failure(let reason):
            state = .error
            note = reason
        case .response(let message):
            authoritative = message.flags.authoritative
            if message.answers.contains(where: \.ttlOutOfRange) || message.authority.contains(where: \.ttlOutOfRange) {
                note = "a TTL had its top bit set (\(message.answers.first(where: \.ttlOutOfRange)?.wireTTL ?? 0)): read as 0 (RFC 2181 section 8)"
            }
            switch message.responseCode {
            case .noError: break
            case .nameError:
                state = .nxdomain
                ttl = Self.negativeTTL(message)
                return
            case .serverFailure:
                state = .servfail
                if let uncheckedAnswer, uncheckedAnswer.responseCode == .noError {
                    let records = Self.answerRecords(uncheckedAnswer, name: name, type: type)
                    guard !records.isEmpty else { return }
                    state = .bogus
                    values = records.map(\.data.display)
                    note = "DNSSEC validation fails: SERVFAIL, but with checking disabled it answers \(values.joined(separator: ", "))"
                }
                return
            case .refused:
                state = .refused
                return
            default:
                state = .error
                note = "answered \(message.responseCode)"
                return
            }
            var records = Self.answerRecords(message, name: name, type: type)
            var chain: String?
            if records.isEmpty, let target = Self.danglingAlias(message, name: name, type: type) {
                chain = "CNAME \(target.text)."
                records = aliases[target] ?? []
                guard !records.isEmpty else {
                    state = .alias
                    values = [chain!]
                    ttl = message.answers.filter { $0.type == .cname }.map(\.ttl).min()
                    return
                }
            }
            guard !records.isEmpty else {
                // No answer and no authority: a referral or a lame server, not an empty record set.
                state = message.answers.isEmpty && !message.flags.authoritative && observation.server.role != .resolver
                    ? .error : .nodata
                if state == .error { note = "not authoritative for the zone (lame)" } else { ttl = Self.negativeTTL(message) }
                return
            }
            let prefix = chain.map { "\($0) → " } ?? ""
            values = records.map { prefix + $0.data.display }
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

    /// Where a CNAME chain in the answer leads when the answer stops before a record of
    /// `type` (an authoritative server hands out a CNAME to a name outside its zone and stops
    /// there): the name a resolver would go on to ask.
    public static func danglingAlias(_ message: DNSMessage, name: DNSName, type: DNSRecordType) -> DNSName? {
        guard type != .cname else { return nil }
        var owner = name
        var followed = false
        for _ in 0..<16 {
            if message.answers.contains(where: { $0.name == owner && $0.type == type }) { return nil }
            guard let alias = message.answers.first(where: { $0.name == owner && $0.type == .cname }),
                  case .cname(let target) = alias.data else { return followed ? owner : nil }
            owner = target
            followed = true
        }
        return nil
    }

    /// RFC 2308: a negative answer is cached for the lesser of the SOA's TTL and its minimum.
    private static func negativeTTL(_ message: DNSMessage) -> UInt32? {
        guard let soa = message.authority.first(where: { $0.type == .soa }), case .soa(let fields) = soa.data else { return nil }
        return min(soa.ttl, fields.minimum)
    }

    /// Whether a resolver showing this may still hand out a stale answer.
    var isFresh: Bool { state == .match }
}

/// When a record counts as propagated: the plan's `dns.converged_when`.
public enum ConvergenceQuorum: Sendable, Equatable, CustomStringConvertible {
    /// Every resolver that answers sees the new value, and more than half of them answer: a
    /// broken public resolver is named, not waited for.
    case allAnswering
    /// Every resolver sees the new value; one that fails holds the record yellow.
    case allResolvers
    /// At least this share (0 to 1) of all resolvers sees the new value.
    case atLeast(Double)

    public var description: String {
        switch self {
        case .allAnswering: "all answering"
        case .allResolvers: "all resolvers"
        case .atLeast(let share): "at least \(Int((share * 100).rounded()))%"
        }
    }
}

/// The grid for one record: every server's cell, what convergence means, and when the last
/// stale cached answer must have expired.
public struct RecordPropagation: Sendable, Equatable {
    public var record: DNSRecordExpectation
    public var cells: [PropagationCell]
    /// The previous record's TTL as the old provider serves it, if known.
    public var previousTTL: UInt32?

    /// - Parameter unchecked: the answers of resolvers that said SERVFAIL, asked again with checking disabled.
    public init(record: DNSRecordExpectation, observations: [DNSObservation], previousTTL: UInt32? = nil,
                aliases: [DNSName: [DNSRecord]] = [:], unchecked: [DNSServerRef: DNSMessage] = [:]) {
        self.record = record
        let expected = Set(record.expected.map { RecordValue.normalize($0, type: record.type) })
        let previous = Set(record.previous.map { RecordValue.normalize($0, type: record.type) })
        // The zone is signed when a nameserver of either provider puts signatures on the record.
        let signed = observations.contains { observation in
            guard observation.server.role != .resolver, case .response(let message) = observation.outcome else { return false }
            return message.answers.contains { if case .rrsig(let signature) = $0.data { signature.typeCovered == record.type } else { false } }
        }
        cells = observations.map { observation in
            var cell = PropagationCell(observation: observation, name: record.name, type: record.type, expected: expected, previous: previous,
                                       aliases: aliases, uncheckedAnswer: unchecked[observation.server])
            if signed, observation.server.role == .resolver, cell.state.answered, case .response(let message) = observation.outcome {
                let signatures = message.answers.contains { if case .rrsig = $0.data { true } else { false } }
                cell.validation = message.flags.authenticData ? .validated : (signatures ? .unvalidated : .stripped)
            }
            return cell
        }
        // The old provider's own answer tells how long caches may keep the old value.
        self.previousTTL = previousTTL ?? cells.filter { $0.server.role == .previousAuthority && $0.state != .match }
            .compactMap(\.ttl).max()
    }

    public var resolverCells: [PropagationCell] { cells.filter { $0.server.role == .resolver } }
    public var newAuthorityCells: [PropagationCell] { cells.filter { $0.server.role == .expectedAuthority } }
    /// Resolvers that answered about the record, rightly or wrongly.
    public var answeringResolvers: [PropagationCell] { resolverCells.filter(\.state.answered) }
    /// Resolvers that failed: SERVFAIL, REFUSED, silence, errors. Named, never counted as stale.
    public var failingResolvers: [PropagationCell] { resolverCells.filter { !$0.state.answered } }
    /// Validating resolvers that refuse the answer because its DNSSEC chain is broken.
    public var bogusResolvers: [PropagationCell] { resolverCells.filter { $0.state == .bogus } }

    /// The share of public resolvers that see exactly the expected values, 0 to 1.
    public var converged: Double {
        let resolvers = resolverCells
        guard !resolvers.isEmpty else { return newAuthorityCells.allSatisfy(\.isFresh) ? 1 : 0 }
        return Double(resolvers.filter(\.isFresh).count) / Double(resolvers.count)
    }

    /// Whether the resolvers have converged by `quorum`.
    public func isConverged(_ quorum: ConvergenceQuorum) -> Bool {
        let resolvers = resolverCells
        let fresh = resolvers.filter(\.isFresh).count
        switch quorum {
        case .allAnswering:
            let answering = answeringResolvers.count
            return answering * 2 > resolvers.count && fresh == answering
        case .allResolvers:
            return fresh == resolvers.count
        case .atLeast(let share):
            return Double(fresh) >= (share * Double(resolvers.count)).rounded(.up) - 1e-9
        }
    }

    /// The latest moment an answering resolver may still answer with something other than
    /// the expected values: each stale answer lasts the TTL it was given (negative answers
    /// their negative TTL), a moment that stays put from poll to poll. Until the old
    /// delegation has expired from every cache (`delegation`), a resolver may fetch the old
    /// record again from the old servers, so nothing is certain before that moment plus the
    /// previous record's TTL. Failing resolvers have no cache to wait for and do not count.
    /// Nil when converged, or when it cannot be known (the parent still delegates to the old
    /// servers, or a stale answer came without a TTL).
    public func eta(delegation: DelegationTiming? = nil) -> Duration? {
        var latest: Duration?
        for cell in answeringResolvers where !cell.isFresh {
            guard var until = cell.ttl.map({ cell.at + .seconds(Int($0)) }) else { return nil }
            if let delegation {
                guard delegation.parentDelegatesToNew else { return nil }
                if let oldDelegationExpires = delegation.oldDelegationExpires {
                    let refetched = previousTTL.map { oldDelegationExpires + .seconds(Int($0)) } ?? oldDelegationExpires
                    until = max(until, refetched)
                }
                if let settles = delegation.chainSettles { until = max(until, settles) }
            }
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
/// plan, or when nothing of the plan vouches for the value; yellow while public resolvers
/// converge on a value the new nameservers serve; green when they have converged.
public struct DNSRecordVerdict: Sendable, Equatable {
    public var status: CheckStatus
    public var detail: String

    /// - Parameters:
    ///   - failingSince: when each failing resolver started failing, on the poller's clock.
    ///   - describeTime: turns the poller's clock into a time people read, for the ETA.
    public init(_ propagation: RecordPropagation, delegation: DelegationTiming? = nil, quorum: ConvergenceQuorum = .allAnswering,
                failingSince: [DNSServerRef: Duration] = [:], now: Duration, describeTime: (Duration) -> String) {
        guard !propagation.cells.isEmpty else {
            status = .unknown
            detail = "nobody to ask: the plan names no resolvers and no nameserver addresses"
            return
        }
        let expected = propagation.record.expected.joined(separator: ", ")
        if let first = propagation.disagreeingAuthorities.first {
            status = .fail
            switch first.state {
            case .timeout:
                detail = "new nameserver \(first.server) did not answer in time"
            case .error:
                detail = "new nameserver \(first.server): \(first.note ?? "no usable answer")"
            case .refused where first.note != nil:
                detail = "new nameserver \(first.server): \(first.note ?? "no usable answer")"
            case .alias:
                detail = "new nameserver \(first.server) answers \(first.values.joined(separator: ", ")), which does not resolve to "
                    + "\(propagation.record.type): the plan expects an \(propagation.record.type) of \(expected) where the zone has a CNAME"
            default:
                let seen = first.values.isEmpty ? first.state.rawValue : first.values.joined(separator: ", ")
                detail = "new nameserver \(first.server) answers \(seen), expected \(expected)"
            }
            let more = propagation.disagreeingAuthorities.count - 1
            if more > 0 { detail += " (and \(more) more)" }
            return
        }
        let resolvers = propagation.resolverCells
        // A broken chain is not a resolver's fault that can be waited out: everyone behind a
        // validating resolver is locked out.
        if let first = propagation.bogusResolvers.first {
            status = .fail
            detail = "DNSSEC validation fails at \(propagation.bogusResolvers.count) of \(resolvers.count) resolvers (bogus): "
                + "\(first.server.name) answers SERVFAIL, and \(first.values.joined(separator: ", ")) with checking disabled; "
                + "see \(DNSSECCheck.id)"
            return
        }
        let fresh = resolvers.filter(\.isFresh).count
        let failing = propagation.failingResolvers
        let failingText = failing.prefix(3).map { cell in
            let word = cell.state == .timeout ? "silent" : cell.state.rawValue
            return "\(cell.server.name) \(word)" + (failingSince[cell.server].map { " since \(describeTime($0))" } ?? "")
        }.joined(separator: ", ") + (failing.count > 3 ? " and \(failing.count - 3) more" : "")
        let failingNote = failing.isEmpty ? "" : "; failing: \(failingText)"
        // Only a new nameserver of the plan vouches for the value: without one, resolvers that
        // disagree are not "catching up", they may be right.
        let confirmed = !propagation.newAuthorityCells.isEmpty
        if resolvers.isEmpty {
            status = confirmed ? .pass : .unknown
            detail = confirmed ? "the new nameservers serve the expected values" : "nobody to ask about \(propagation.record.name)"
            return
        }
        let answering = propagation.answeringResolvers.count
        // Without a nameserver of the plan, agreement is the only evidence: every resolver
        // that answers must see the value, and most of them must answer.
        let converged = confirmed ? propagation.isConverged(quorum)
            : answering * 2 > resolvers.count && fresh == answering
        if converged {
            status = .pass
            detail = fresh == resolvers.count
                ? "converged: all \(resolvers.count) resolvers see the new value"
                : "converged (\(quorum)): \(fresh) of \(resolvers.count) resolvers see the new value\(failingNote)"
            return
        }
        guard confirmed else {
            let seen = propagation.answeringResolvers.first { !$0.isFresh }.map { " (\($0.server.name): \($0.values.isEmpty ? $0.state.rawValue : $0.values.joined(separator: ", ")))" } ?? ""
            status = fresh == 0 ? .fail : .unknown
            detail = "no nameserver of the plan confirms \(expected): \(fresh) of \(resolvers.count) resolvers see it\(seen)\(failingNote)"
            return
        }
        if answering == 0 || (quorum == .allAnswering && answering * 2 <= resolvers.count) {
            status = .unknown
            detail = "only \(answering) of \(resolvers.count) resolvers answer, too few to judge\(failingNote)"
            return
        }
        status = .warn
        let stale = resolvers.filter { $0.state == .previous }.count
        var text = "converging: \(fresh) of \(quorum == .allAnswering && !failing.isEmpty ? answering : resolvers.count)"
            + "\(quorum == .allAnswering && !failing.isEmpty ? " answering" : "") resolvers see the new value"
        if stale > 0 { text += ", \(stale) still old" }
        if let eta = propagation.eta(delegation: delegation) {
            text += "; stale caches expire by \(describeTime(eta))"
            if eta > now { text += " (in \(formatSpan(eta - now)))" }
        } else if let delegation, !delegation.read {
            text += "; ETA unknown until the delegation has been read"
        } else if let delegation, !delegation.parentDelegatesToNew {
            text += "; ETA unknown until the parent delegates to the new nameservers"
        } else {
            text += "; ETA unknown (a stale answer came without a TTL)"
        }
        detail = text + failingNote
    }
}

/// What the delegation tells record ETAs: whether the parent points at the new servers,
/// and when the last cached copy of the old delegation expires, when that is known.
public struct DelegationTiming: Sendable, Equatable {
    public var parentDelegatesToNew: Bool
    /// Nil when nothing observed says an old delegation is still cached.
    public var oldDelegationExpires: Duration?
    /// False until the delegation check has run once: nothing is known of it yet.
    public var read = true
    /// After the parent's DS set changed: when the last cached copy of the old DS (and of
    /// the DNSKEY set it pointed at) expires from validating resolvers.
    public var chainSettles: Duration?

    public init(parentDelegatesToNew: Bool, oldDelegationExpires: Duration?) {
        self.parentDelegatesToNew = parentDelegatesToNew
        self.oldDelegationExpires = oldDelegationExpires
    }

    /// Before the delegation check's first result: no ETA can be given yet.
    public static let unread: DelegationTiming = {
        var timing = DelegationTiming(parentDelegatesToNew: false, oldDelegationExpires: nil)
        timing.read = false
        return timing
    }()
}

/// A measured span for people, to the nearest second: `4m 10s`, `2h 5m`, `45s` (never
/// `1m29s505ms`; plan settings print exactly, with `PlanDuration.format`).
public func formatSpan(_ duration: Duration) -> String {
    let seconds = max(0, Int((Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18).rounded()))
    if seconds >= 3600 { return "\(seconds / 3600)h" + (seconds % 3600 / 60 == 0 ? "" : " \(seconds % 3600 / 60)m") }
    if seconds >= 60 { return "\(seconds / 60)m" + (seconds % 60 == 0 ? "" : " \(seconds % 60)s") }
    return "\(seconds)s"
}
