import Foundation

/// The DNSSEC chain across the change of provider: the DS set the parent serves for the zone,
/// each provider's DNSKEY set, and the signatures the new nameservers put on the plan's
/// records. The classic outage it catches: a DS at the parent that matches no key at the new
/// provider, which makes every validating resolver answer SERVFAIL once the delegation moves.
public struct DNSSECReport: Sendable, Equatable {
    /// One DS record at the parent, and which provider's key it points at.
    public struct DSEntry: Sendable, Equatable {
        public var keyTag: UInt16
        public var algorithm: UInt8
        public var digestType: UInt8
        public var digest: [UInt8]
        /// The new provider's key whose digest this is, when there is one.
        public var newKey: DNSKey?
        public var oldKey: DNSKey?
        /// A new provider's key with this tag and algorithm, whose digest is another.
        public var digestMismatch: DNSKey?
        /// A digest type this build cannot compute: the DS can be neither matched nor refuted.
        public var unsupportedDigest: Bool

        public var text: String {
            "DS \(keyTag) \(DNSSECAlgorithm.name(algorithm)) \(DNSSECAlgorithm.digestName(digestType)) \(RecordValue.hex(digest))"
        }
    }

    /// One provider's DNSKEY set, as all of its servers that answered serve it.
    public struct KeySet: Sendable, Equatable {
        public var role: DNSServerRef.Role
        public var keys: [DNSKey]
        public var ttl: UInt32?
        /// Keys whose signature over this DNSKEY set verifies.
        public var signedBy: [UInt16]
        /// Servers that could not be asked, or that serve another DNSKEY set: one line each.
        public var problems: [String]

        public var isSigned: Bool { !keys.isEmpty }
        public var keySigningKeys: [DNSKey] { keys.filter(\.isSecureEntryPoint) }
    }

    /// The signatures one new nameserver puts on one record set of the plan.
    public struct SignatureCheck: Sendable, Equatable {
        public enum State: String, Sendable, Equatable {
            case valid, expiring = "expires soon", expired, notYetValid = "not yet valid", bad = "does not verify"
            case missing = "no signature", unknownKey = "signed by an unknown key", unsupported = "unsupported algorithm"
            case unanswered = "no answer"
        }

        public var server: DNSServerRef
        public var name: DNSName
        public var type: DNSRecordType
        public var state: State
        /// The signing key's tag, and the window of the signature judged (the best one).
        public var keyTag: UInt16?
        public var inception: Int64?
        public var expiration: Int64?
        /// Algorithms of the zone's DNSKEY set that sign no valid signature here (RFC 4035 section 2.2).
        public var algorithmsWithoutSignature: [UInt8] = []
        public var note: String?
    }

    public var zone: DNSName
    public var ds: [DSEntry]
    /// How long a resolver may keep the parent's DS set.
    public var dsTTL: UInt32?
    /// Parent servers that could not be asked, or that disagree on the DS set.
    public var parentProblems: [String]
    public var newKeys: KeySet
    public var oldKeys: KeySet?
    public var signatures: [SignatureCheck]
    public var status: CheckStatus
    /// One line: what is wrong and what to do.
    public var detail: String

    /// The record sets whose signatures are judged, and what each new nameserver answered.
    public struct SignedAnswers: Sendable, Equatable {
        public var name: DNSName
        public var type: DNSRecordType
        public var observations: [DNSObservation]

        public init(name: DNSName, type: DNSRecordType, observations: [DNSObservation]) {
            self.name = name
            self.type = type
            self.observations = observations
        }
    }

    /// - Parameters:
    ///   - dsAnswers: each parent server's answer to `zone DS`, asked with DO.
    ///   - keyAnswers: each authoritative server's answer to `zone DNSKEY`, asked with DO.
    ///   - records: each new nameserver's answers for the plan's records, asked with DO.
    ///   - now: seconds since 1970.
    ///   - warning: how long before a signature expires it turns yellow.
    ///   - delegatedToNew: whether the parent already delegates to the new nameservers.
    public init(zone: DNSName, dsAnswers: [DNSObservation], keyAnswers: [DNSObservation], records: [SignedAnswers],
                crypto: any DNSSECCrypto, now: Int64, warning: Duration, delegatedToNew: Bool) {
        self.zone = zone
        newKeys = Self.keySet(.expectedAuthority, keyAnswers, zone: zone, crypto: crypto)
        let old = keyAnswers.contains { $0.server.role == .previousAuthority }
        oldKeys = old ? Self.keySet(.previousAuthority, keyAnswers, zone: zone, crypto: crypto) : nil
        var problems: [String] = []
        var sets: [[DNSRecord]] = []
        for answer in dsAnswers {
            guard case .response(let message) = answer.outcome else {
                problems.append("\(answer.server): \(Self.describe(answer.outcome))")
                continue
            }
            guard message.responseCode == .noError else {
                problems.append("\(answer.server): answered \(message.responseCode) for \(zone) DS")
                continue
            }
            sets.append(message.answers.filter { $0.name == zone && $0.type == .ds })
        }
        let distinct = Set(sets.map { Set($0.map(\.data.comparable)) })
        if distinct.count > 1 { problems.append("the parent's servers disagree on the DS set (the registry's change is spreading)") }
        parentProblems = problems
        let dsRecords = sets.flatMap { $0 }
        dsTTL = dsRecords.map(\.ttl).max()
        var seen = Set<String>()
        let newKeys = newKeys
        let oldKeys = oldKeys
        ds = dsRecords.compactMap { record -> DSEntry? in
            guard case .ds(let keyTag, let algorithm, let digestType, let digest) = record.data,
                  seen.insert(record.data.comparable).inserted else { return nil }
            var entry = DSEntry(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: digest, unsupportedDigest: false)
            func matching(_ keys: [DNSKey]) -> DNSKey? {
                keys.first { key in
                    key.keyTag == keyTag && key.algorithm == algorithm
                        && crypto.dsDigest(of: key, zone: zone, type: digestType) == digest
                }
            }
            entry.unsupportedDigest = crypto.digest(type: digestType, of: []) == nil
            entry.newKey = matching(newKeys.keys)
            entry.oldKey = oldKeys.flatMap { matching($0.keys) }
            if entry.newKey == nil, !entry.unsupportedDigest {
                entry.digestMismatch = newKeys.keys.first { $0.keyTag == keyTag && $0.algorithm == algorithm }
            }
            return entry
        }
        signatures = newKeys.isSigned || !ds.isEmpty
            ? records.flatMap { Self.signatureChecks($0, keys: newKeys.keys, crypto: crypto, now: now, warning: warning) } : []
        (status, detail) = Self.judge(zone: zone, ds: ds, dsTTL: dsTTL, parentProblems: problems, newKeys: newKeys,
                                      signatures: signatures, parentsAnswered: !sets.isEmpty, now: now, delegatedToNew: delegatedToNew)
    }

    // MARK: Reading the answers

    private static func keySet(_ role: DNSServerRef.Role, _ answers: [DNSObservation], zone: DNSName,
                               crypto: any DNSSECCrypto) -> KeySet {
        var problems: [String] = []
        var sets: [(server: DNSServerRef, keys: [DNSKey], ttl: UInt32?, signedBy: [UInt16])] = []
        for answer in answers where answer.server.role == role {
            guard case .response(let message) = answer.outcome, message.responseCode == .noError else {
                problems.append("\(answer.server): \(Self.describe(answer.outcome))")
                continue
            }
            let records = message.answers.filter { $0.name == zone && $0.type == .dnskey }
            let keys = records.compactMap { record -> DNSKey? in
                if case .dnskey(let key) = record.data { return key }
                return nil
            }
            let signatures = message.answers.compactMap { record -> DNSSignature? in
                if record.name == zone, case .rrsig(let signature) = record.data, signature.typeCovered == .dnskey { return signature }
                return nil
            }
            let signedBy = signatures.compactMap { signature -> UInt16? in
                guard let key = keys.first(where: { $0.keyTag == signature.keyTag && $0.algorithm == signature.algorithm }),
                      let data = signature.signedData(over: records),
                      crypto.verify(signature.signature, over: data, key: key) == true else { return nil }
                return signature.keyTag
            }
            sets.append((answer.server, keys, records.map(\.ttl).max(), signedBy))
        }
        if let first = sets.first {
            for other in sets.dropFirst() where Set(other.keys) != Set(first.keys) {
                problems.append("\(other.server) serves another DNSKEY set than \(first.server)")
            }
        }
        // What every server agrees on is what a resolver is sure to get.
        let keys = sets.first.map { first in first.keys.filter { key in sets.allSatisfy { $0.keys.contains(key) } } } ?? []
        let signedBy = sets.first.map { first in first.signedBy.filter { tag in sets.allSatisfy { $0.signedBy.contains(tag) } } } ?? []
        return KeySet(role: role, keys: keys, ttl: sets.compactMap(\.ttl).max(), signedBy: signedBy, problems: problems)
    }

    private static func signatureChecks(_ answers: SignedAnswers, keys: [DNSKey], crypto: any DNSSECCrypto, now: Int64,
                                        warning: Duration) -> [SignatureCheck] {
        answers.observations.compactMap { observation -> SignatureCheck? in
            var check = SignatureCheck(server: observation.server, name: answers.name, type: answers.type, state: .unanswered)
            guard case .response(let message) = observation.outcome, message.responseCode == .noError else {
                check.note = Self.describe(observation.outcome)
                return check
            }
            let owners = PropagationCell.answerRecords(message, name: answers.name, type: answers.type)
            // A record the server does not have is the record check's finding, not this one's.
            guard let owner = owners.first?.name else { return nil }
            let records = message.answers.filter { $0.name == owner && $0.type == answers.type }
            let signatures = message.answers.compactMap { record -> DNSSignature? in
                if record.name == owner, case .rrsig(let signature) = record.data, signature.typeCovered == answers.type { return signature }
                return nil
            }
            check.name = owner
            guard !signatures.isEmpty else {
                check.state = .missing
                return check
            }
            // Judge each signature and keep the best: one good path is what a validator needs.
            var best: SignatureCheck?
            var validAlgorithms = Set<UInt8>()
            for signature in signatures {
                var candidate = check
                candidate.keyTag = signature.keyTag
                let window = signature.window(near: now)
                candidate.inception = window.inception
                candidate.expiration = window.expiration
                if let key = keys.first(where: { $0.keyTag == signature.keyTag && $0.algorithm == signature.algorithm && $0.isZoneKey }) {
                    switch signature.signedData(over: records).flatMap({ crypto.verify(signature.signature, over: $0, key: key) }) {
                    case .some(true):
                        if window.expiration < now {
                            candidate.state = .expired
                        } else if window.inception > now {
                            candidate.state = .notYetValid
                        } else {
                            validAlgorithms.insert(signature.algorithm)
                            candidate.state = Double(window.expiration - now) < warning.timeInterval ? .expiring : .valid
                        }
                    case .some(false): candidate.state = .bad
                    case .none: candidate.state = .unsupported
                    }
                } else {
                    candidate.state = .unknownKey
                }
                if best.map({ Self.rank(candidate.state) < Self.rank($0.state) }) ?? true { best = candidate }
            }
            guard var result = best else { return check }
            if result.state == .valid || result.state == .expiring {
                let zoneAlgorithms = Set(keys.filter(\.isZoneKey).map(\.algorithm))
                result.algorithmsWithoutSignature = zoneAlgorithms.subtracting(validAlgorithms).sorted()
            }
            return result
        }
    }

    /// Lower is better.
    private static func rank(_ state: SignatureCheck.State) -> Int {
        switch state {
        case .valid: 0
        case .expiring: 1
        case .unsupported: 2
        case .notYetValid: 3
        case .expired: 4
        case .bad: 5
        case .unknownKey: 6
        case .missing, .unanswered: 7
        }
    }

    private static func describe(_ outcome: DNSObservation.Outcome) -> String {
        switch outcome {
        case .timeout: "timed out"
        case .failure(let reason), .refused(let reason): reason
        case .response(let message): "answered \(message.responseCode)"
        }
    }

    // MARK: Judging

    private static func judge(zone: DNSName, ds: [DSEntry], dsTTL: UInt32?, parentProblems: [String], newKeys: KeySet,
                              signatures: [SignatureCheck], parentsAnswered: Bool, now: Int64,
                              delegatedToNew: Bool) -> (CheckStatus, String) {
        guard parentsAnswered else {
            return (.unknown, "cannot read the parent's DS set for \(zone)" + (parentProblems.first.map { " (\($0))" } ?? ""))
        }
        if let problem = newKeys.problems.first {
            return (.unknown, "cannot read the new provider's DNSKEY set: \(problem)")
        }
        let when = delegatedToNew ? "now" : "once the delegation moves"
        let ttl = dsTTL.map { " (\(formatSpan(.seconds(Int($0)))))" } ?? ""
        let usable = ds.filter { entry in entry.newKey.map { key in key.isZoneKey && newKeys.signedBy.contains(key.keyTag) } ?? false }
        if !ds.isEmpty, usable.isEmpty {
            if ds.allSatisfy(\.unsupportedDigest) {
                return (.unknown, "the parent's \(ds[0].text) uses a digest this build cannot compute")
            }
            if !newKeys.isSigned {
                return (.fail, "the parent holds \(ds[0].keyTag == 0 ? "a DS" : "DS \(ds[0].keyTag)") but the new nameservers serve no DNSKEY: "
                    + "validating resolvers answer SERVFAIL \(when); remove the DS at the registrar, wait its TTL\(ttl), then change NS")
            }
            if let entry = ds.first(where: { $0.digestMismatch != nil }), let key = entry.digestMismatch {
                return (.fail, "the parent's DS \(entry.keyTag) has the wrong digest for the new provider's \(key.label): "
                    + "validating resolvers answer SERVFAIL \(when); correct the DS at the registrar")
            }
            if let entry = ds.first(where: { $0.newKey != nil }), let key = entry.newKey {
                return (.fail, "the new provider's DNSKEY set is not signed by \(key.label), which the parent's DS names: "
                    + "validating resolvers answer SERVFAIL \(when); have the new provider sign its DNSKEY set with that key")
            }
            let theirs = newKeys.keySigningKeys.first ?? newKeys.keys[0]
            return (.fail, "the parent's DS \(ds.map { String($0.keyTag) }.joined(separator: ", ")) matches no key at the new provider "
                + "(its \(theirs.label)): validating resolvers answer SERVFAIL \(when); add the new provider's DS at the registrar, "
                + "or sign with both providers' keys (multi-signer, RFC 8901)")
        }
        if let broken = signatures.first(where: { [.missing, .bad, .expired, .notYetValid, .unknownKey].contains($0.state) }) {
            let record = "\(broken.name) \(broken.type) from \(broken.server)"
            let time = { (seconds: Int64?) in seconds.map { Self.utc($0) } ?? "?" }
            let text: String
            switch broken.state {
            case .missing: text = "\(record) has no signature although the zone is signed: validating resolvers will reject it"
            case .bad: text = "the signature on \(record) does not verify with key \(broken.keyTag.map(String.init) ?? "?"): validating resolvers will reject it"
            case .expired: text = "the signature on \(record) expired at \(time(broken.expiration)): the zone must be re-signed"
            case .notYetValid: text = "the signature on \(record) is not valid until \(time(broken.inception)): check the signer's clock"
            default: text = "\(record) is signed by key \(broken.keyTag.map(String.init) ?? "?"), which is not in the zone's DNSKEY set"
            }
            return (.fail, text)
        }
        if let problem = parentProblems.first {
            return (.warn, problem)
        }
        if ds.isEmpty {
            guard newKeys.isSigned else {
                return (.pass, "unsigned: the parent has no DS for \(zone), so there is no key to keep in step")
            }
            return (.pass, "the new provider signs \(zone), but the parent has no DS: validators treat the zone as unsigned")
        }
        let entry = usable[0]
        var text = "the parent's DS \(entry.keyTag) (\(DNSSECAlgorithm.name(entry.algorithm)), \(DNSSECAlgorithm.digestName(entry.digestType))) "
            + "matches the new provider's \(entry.newKey!.label)"
        let algorithms = Set(newKeys.keys.filter(\.isZoneKey).map(\.algorithm))
        if algorithms.count > 1 {
            text += "; algorithm roll in progress (\(algorithms.sorted().map(DNSSECAlgorithm.name).joined(separator: ", ")))"
        }
        if let partial = signatures.first(where: { !$0.algorithmsWithoutSignature.isEmpty }) {
            return (.warn, text + "; \(partial.name) \(partial.type) from \(partial.server) is not signed with "
                + partial.algorithmsWithoutSignature.map(DNSSECAlgorithm.name).joined(separator: ", ") + ", which the DNSKEY set holds")
        }
        if let soon = signatures.filter({ $0.state == .expiring }).min(by: { ($0.expiration ?? 0) < ($1.expiration ?? 0) }),
           let expiration = soon.expiration {
            return (.warn, text + "; the signature on \(soon.name) \(soon.type) expires at \(Self.utc(expiration)) "
                + "(in \(formatSpan(.seconds(expiration - now)))): the signer must refresh it")
        }
        return (.pass, text)
    }

    public static func utc(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).utcMinute
    }
}

extension Date {
    /// `2026-12-01 10:00 UTC`: a moment in evidence, the same for everyone in the room.
    public var utcMinute: String {
        formatted(Date.VerbatimFormatStyle(
            format: "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits) UTC",
            timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
    }
}

