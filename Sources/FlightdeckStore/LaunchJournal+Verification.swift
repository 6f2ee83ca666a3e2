import FlightdeckCore
import Foundation

/// Checking a journal whole: its chain, its signatures against the plan's keys, and the
/// anchors kept outside it (notifications, reports, the plan's witness file).
extension LaunchJournal {
    /// Whether an entry proves its author as the plan demands: a signature, where there is
    /// one, is a good one over the entry's stored text by a key the plan lists for that
    /// approver; an entry the plan lets only a key record carries one. The signature is kept
    /// beside the text, in its own column, so the bytes signed are the bytes stored.
    func attest(_ record: LaunchRecord, stored: String) -> ChainBreak? {
        let who = record.actor.approver ?? record.actor.login
        guard let signature = record.signature else {
            guard record.actor.approver != nil, plan.poll.requiresKeySignature(record.event) else { return nil }
            return ChainBreak(seq: record.seq, problem: "entry \(record.seq) (\(record.event.name) by \(who)) is not signed, "
                              + "though the plan lets only a key signature record it: written around Flightdeck")
        }
        let keys = plan.approvers.first { $0.name == record.actor.approver }?.keys ?? []
        guard SSHSignatures.verify(Array(stored.utf8), signature, allowed: keys) else {
            return ChainBreak(seq: record.seq, problem: "entry \(record.seq)'s signature is not a good signature by a key of \(who)'s: forged")
        }
        return nil
    }

    // MARK: Verifying

    public struct Verification: Sendable, Equatable {
        /// Entries that checked out, in order.
        public var entries: Int
        /// The hash of the last good entry: quote it to pin the journal down.
        public var head: String
        /// The first bad sequence number, and what is wrong with it.
        public var firstBad: Int?
        public var problem: String?
        /// How the good entries prove who made them.
        public var signedByKey = 0
        public var pinAttested = 0
        public var loginAttested = 0
        /// Anchors found in the journal where they were taken.
        public var anchorsHeld = 0

        public var passed: Bool { firstBad == nil }
    }

    /// A head of the journal noted somewhere else: a notification, the report, the witness.
    public struct Anchor: Sendable, Equatable {
        public var seq: Int?
        public var hash: String

        public init(seq: Int?, hash: String) {
            self.seq = seq
            self.hash = hash
        }

        /// `HASH`, `SEQ HASH` or `#SEQ HASH`, with anything after it (a witness line's time).
        public static func parse(_ line: String) -> Anchor? {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            func isHash(_ text: String) -> Bool { text.count == 64 && text.allSatisfy(\.isHexDigit) }
            if let first = fields.first, isHash(first) { return Anchor(seq: nil, hash: first.lowercased()) }
            guard fields.count >= 2, let seq = Int(fields[0].hasPrefix("#") ? String(fields[0].dropFirst()) : fields[0]), isHash(fields[1]) else {
                return nil
            }
            return Anchor(seq: seq, hash: fields[1].lowercased())
        }
    }

    /// Recomputes the chain from the first entry (each entry's hash over its own text, its
    /// place in the sequence, its link to the one before, the hashes kept apart in `heads`),
    /// checks every signature and every entry the plan lets only a key record, then that
    /// each anchor (and each line of the plan's witness) is still in the chain where it was
    /// taken. Names the first thing that does not hold.
    public func verify(anchors: [Anchor] = []) throws -> Verification {
        let witnessed = witness?.anchors()
        let anchors = anchors + (witnessed ?? [])
        return try reached().read { journal in
            let rows = try journal.entries(after: 0)
            let heads = try journal.heads(after: 0)
            var result = Verification(entries: 0, head: Self.genesis)
            var hashes: [Int: String] = [:]
            func bad(_ chainBreak: ChainBreak) -> Verification {
                var failed = result
                failed.firstBad = chainBreak.seq
                failed.problem = chainBreak.problem
                return failed
            }
            for row in rows {
                switch Self.link(row, expected: result.entries + 1, previous: result.head, heads: heads) {
                case .failure(let chainBreak):
                    return bad(chainBreak)
                case .success(let (record, hash, stored)):
                    if let forged = attest(record, stored: stored) { return bad(forged) }
                    if record.signature != nil {
                        result.signedByKey += 1
                    } else if record.actor.approver != nil {
                        if record.actor.pinUsed { result.pinAttested += 1 } else { result.loginAttested += 1 }
                    }
                    result.entries += 1
                    result.head = hash
                    hashes[record.seq] = hash
                }
            }
            if let last = heads.keys.max(), last > result.entries {
                return bad(ChainBreak(seq: result.entries + 1, problem: "entries \(result.entries + 1) to \(last) are missing: truncated"))
            }
            if let witness, witnessed == nil, result.entries > 0 {
                return bad(ChainBreak(seq: result.entries, problem: "the plan's witness \(witness.path) cannot be read: removed, or never written"))
            }
            let bySeq = Dictionary(hashes.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
            for anchor in anchors {
                let held = anchor.seq.map { hashes[$0] == anchor.hash } ?? (bySeq[anchor.hash] != nil)
                guard held else {
                    let place = anchor.seq.map { "entry \($0)'s" } ?? "a"
                    return bad(ChainBreak(seq: anchor.seq ?? result.entries + 1,
                                          problem: "\(place) anchored head \(anchor.hash.prefix(16))… is not in the journal: history was rewritten or cut off behind it"))
                }
                result.anchorsHeld += 1
            }
            return result
        }
    }
}

extension LaunchJournal {
    public enum CopyError: Error, CustomStringConvertible {
        case sourceDoesNotVerify(String)
        case destinationNotEmpty(String, entries: Int)
        case copyDoesNotVerify(String)

        public var description: String {
            switch self {
            case .sourceDoesNotVerify(let problem): "not copied: the journal does not verify: \(problem)"
            case .destinationNotEmpty(let location, let entries):
                "not copied: \(location) already holds \(entries) entries of this launch; copy into an empty journal"
            case .copyDoesNotVerify(let problem): "the copy does not verify: \(problem)"
            }
        }
    }

    /// Copies every entry, byte for byte (text, hash, signature), into `destination`, an
    /// empty journal of the same launch elsewhere (SQLite to PostgreSQL, or back), in one
    /// transaction. The chain is verified on both sides: the copy must end at the same head.
    /// Returns how many entries and the head.
    public func copy(to destination: LaunchJournal) throws -> (entries: Int, head: String) {
        let source = try verify()
        if let bad = source.firstBad { throw CopyError.sourceDoesNotVerify("entry \(bad): \(source.problem ?? "")") }
        let rows = try reached().read { journal in try journal.entries(after: 0) }
        var found = 0
        let copied = try destination.reached().append { journal -> Result<Int, LaunchRefusal> in
            found = try journal.entries(after: 0).count
            if found > 0 { return .failure(LaunchRefusal("not empty")) }
            for row in rows {
                // Verified above: every row is text, with its number and its hash.
                guard let seq = row.seq, let record = row.record.text, let hash = row.hash.text else { continue }
                try journal.insert(seq: seq, record: record, hash: hash, signature: row.signature.text)
            }
            return .success(rows.count)
        }
        guard case .success(let entries) = copied else { throw CopyError.destinationNotEmpty(destination.path, entries: found) }
        let copy = try destination.verify()
        if let bad = copy.firstBad { throw CopyError.copyDoesNotVerify("entry \(bad): \(copy.problem ?? "")") }
        guard copy.head == source.head, copy.entries == source.entries else {
            throw CopyError.copyDoesNotVerify("it ends at entry \(copy.entries), head \(copy.head), not \(source.entries), \(source.head)")
        }
        return (entries, copy.head)
    }
}

/// The plan's witness: an append-only file outside the state directory, one line per head
/// this process wrote (`SEQ HASH TIME`), read back by `audit verify` as anchors.
struct Witness: Sendable {
    let path: String

    /// Appends one head; says why not when it cannot.
    func record(seq: Int, hash: String, at: Date) -> String? {
        let line = Array("\(seq) \(hash) \(LaunchRecord.timestamp(at))\n".utf8)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o664)
        guard descriptor >= 0 else { return "the witness \(path) cannot be opened: \(String(cString: strerror(errno)))" }
        defer { close(descriptor) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            return "the witness \(path) cannot be written: \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// The anchors in the file; nil when it cannot be read.
    func anchors() -> [LaunchJournal.Anchor]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { LaunchJournal.Anchor.parse(String($0)) }
    }
}
