import FlightdeckCore
import Foundation
import Synchronization

/// The shared launch state: an append-only, hash-chained journal of launch events, in
/// SQLite beside the plan or in PostgreSQL (`JournalStorage`), which every Flightdeck
/// process on the plan opens at once. The launch state is folded from it; nothing in it is
/// ever updated or deleted.
///
/// Each row keeps the entry's canonical text (JSON with sorted keys: sequence number, time,
/// actor, event and the previous entry's hash), the SHA-256 of that text, and the
/// approver's SSH signature over that text where they signed. A second table keeps every
/// (sequence number, hash) again, so cutting entries off the end shows. Every read checks
/// each new entry's link, hash and signature before folding it: a journal that does not
/// hold together is folded only up to the break and records nothing more.
public final class LaunchJournal: Sendable {
    public enum JournalError: Error, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case cannotWrite(path: String, reason: String)
        /// The directory holds the journal of another launch.
        case otherLaunch(path: String, launch: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): "cannot open the launch journal \(path): \(reason)"
            case .otherLaunch(let path, let launch):
                "\(path) is the journal of the launch \(launch), not this plan's; give this plan a state_dir of its own"
            case .cannotWrite(let path, let reason): "nothing was recorded in \(path): \(reason)"
            }
        }
    }

    public static let fileName = SQLiteJournalStorage.fileName
    static let genesis = String(repeating: "0", count: 64)

    /// Where the journal is: the SQLite file's path, or the database's URL without its password.
    public var path: String { storage.location }
    public let plan: LaunchPlan
    let storage: any JournalStorage
    private let folded: Mutex<Folded>
    let witness: Witness?
    private let witnessProblem = Mutex<String?>(nil)

    /// The state folded so far, and the hash of its last entry: the chain's head as this
    /// process has checked it.
    private struct Folded {
        var state: LaunchState
        var head: String
    }

    /// The journal in SQLite, in `directory`.
    /// - Parameter witness: the plan's witness file, resolved; each head this process writes
    ///   is appended to it.
    public convenience init(directory: String, plan: LaunchPlan, witness: String? = nil) throws {
        try self.init(storage: SQLiteJournalStorage(directory: directory), plan: plan, witness: witness)
    }

    /// The plan's journal: in the PostgreSQL database `FLIGHTDECK_STATE` names, else the one
    /// the plan's `state` names, else in SQLite in the state directory.
    public static func open(_ state: StateDirectory, plan: LaunchPlan,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LaunchJournal {
        if let url = database(of: plan, environment: environment) {
            return try LaunchJournal(postgresql: url, plan: plan, witness: state.witness)
        }
        return try LaunchJournal(directory: state.path, plan: plan, witness: state.witness)
    }

    /// The PostgreSQL database the plan's journal is in: `FLIGHTDECK_STATE`, else the plan's
    /// `state`; nil when it is in SQLite in the state directory.
    public static func database(of plan: LaunchPlan, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment["FLIGHTDECK_STATE"].flatMap { $0.isEmpty ? nil : $0 } ?? plan.database?.value
    }

    /// The journal in PostgreSQL at `url` (`postgresql://...`, libpq's form).
    public convenience init(postgresql url: String, plan: LaunchPlan, witness: String? = nil) throws {
        try self.init(storage: PostgresJournalStorage(url: url, launch: plan), plan: plan, witness: witness)
    }

    init(storage: any JournalStorage, plan: LaunchPlan, witness: String?) throws {
        self.storage = storage
        self.plan = plan
        self.witness = witness.map(Witness.init)
        folded = Mutex(Folded(state: LaunchState(plan: plan), head: Self.genesis))
        // A database is reached on the first read or write, so a session started while it is
        // down (or slow to answer) waits for it; a file is checked now.
        if !storage.reconnects { _ = try reached() }
    }

    private let claimed = Atomic<Bool>(false)

    /// The storage, once it is known to hold this launch's journal: one journal, one launch,
    /// so a second plan pointed at the same one is refused.
    func reached() throws -> any JournalStorage {
        if claimed.load(ordering: .acquiring) { return storage }
        let identity = "\(plan.name) (\(plan.zone))"
        let owner = try storage.claim(identity, name: plan.name, zone: plan.zone.description, created: LaunchRecord.timestamp(Date()))
        guard owner == identity else { throw JournalError.otherLaunch(path: storage.location, launch: owner) }
        claimed.store(true, ordering: .releasing)
        return storage
    }

    /// Storage of the journal's kind for something kept beside it (the vantages, the
    /// timeline), opened once the journal's storage is reached, on first use, and again on
    /// the next use after a failure to open it.
    final class Beside<Storage: Sendable>: Sendable {
        private let journal: LaunchJournal
        private let open: @Sendable (any JournalStorage) throws -> Storage
        private let opened = Mutex<Storage?>(nil)

        init(_ journal: LaunchJournal, open: @escaping @Sendable (any JournalStorage) throws -> Storage) {
            self.journal = journal
            self.open = open
        }

        var storage: Storage {
            get throws {
                try opened.withLock { opened in
                    if let opened { return opened }
                    let storage = try open(try journal.reached())
                    opened = storage
                    return storage
                }
            }
        }
    }

    // MARK: Reading

    /// The launch state with every entry written so far, by this process or any other, up
    /// to where the chain breaks if it does (`journalBreak`).
    public func state() throws -> LaunchState {
        try reached().read { journal in try catchUp(journal) }
    }

    /// The state, if entries were added since `seq` (or the journal was found broken); nil
    /// when nothing changed. Cheap enough to call several times a second.
    public func changes(since seq: Int) throws -> LaunchState? {
        let last = try reached().lastSeq()
        let known = folded.withLock { $0.state }
        if known.journalBreak != nil { return known.lastSeq == seq ? nil : known }
        return last == seq ? nil : try state()
    }

    /// Whether other processes' appends wake `waitForAppend` (PostgreSQL's NOTIFY), or must
    /// be looked for on a timer (SQLite).
    public var notifiesAppends: Bool { storage.notifiesAppends }

    /// Waits, on a thread of its own, until another process may have appended or `timeout`
    /// has passed; returns at once when the task is cancelled (the thread ends by itself).
    public func waitForAppend(timeout: Duration) async {
        let wakeUp = WakeUp()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                wakeUp.set(continuation)
                let storage = storage
                Thread {
                    storage.waitForAppend(timeout: timeout)
                    wakeUp.fire()
                }.start()
            }
        } onCancel: {
            wakeUp.fire()
        }
    }

    /// Resumes a continuation once, whichever comes first: the wait's end or a cancellation.
    private final class WakeUp: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, fired: Bool)>((nil, false))

        func set(_ continuation: CheckedContinuation<Void, Never>) {
            let resumeNow = state.withLock { state -> Bool in
                if state.fired { return true }
                state.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }

        func fire() {
            state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.fired = true
                defer { state.continuation = nil }
                return state.continuation
            }?.resume()
        }
    }

    /// Why the last head this process wrote did not reach the plan's witness, if it did not:
    /// the entry is recorded, but that anchor is missing.
    public var lastWitnessProblem: String? { witnessProblem.withLock { $0 } }

    /// The head as this process last checked it.
    public var head: JournalHead {
        folded.withLock { JournalHead(seq: $0.state.lastSeq, hash: $0.head) }
    }

    /// Folds the entries after the last one folded, checking each link of the chain as it
    /// goes: a process never acts on an entry that does not follow from the ones before.
    private func catchUp(_ journal: any JournalReading) throws -> LaunchState {
        let known = folded.withLock { $0 }
        guard known.state.journalBreak == nil else { return known.state }
        var state = known.state
        var previous = known.head
        var chainBreak: ChainBreak?
        let seq = state.lastSeq
        if seq > 0, try journal.hash(at: seq) != previous {
            chainBreak = ChainBreak(seq: seq, problem: "entry \(seq) is not the entry this process read there: edited, replaced or cut off")
        }
        let rows = try journal.entries(after: seq)
        let heads = try journal.heads(after: seq)
        for row in rows where chainBreak == nil {
            switch Self.link(row, expected: state.lastSeq + 1, previous: previous, heads: heads) {
            case .success(let (record, hash, stored)):
                if let forged = attest(record, stored: stored) {
                    chainBreak = forged
                    break
                }
                state.apply(record)
                previous = hash
            case .failure(let problem):
                chainBreak = problem
            }
        }
        if chainBreak == nil, let last = heads.keys.max(), last > state.lastSeq {
            chainBreak = ChainBreak(seq: state.lastSeq + 1, problem: "entries \(state.lastSeq + 1) to \(last) are missing: truncated")
        }
        if let chainBreak { state.markBroken(chainBreak) }
        return folded.withLock { current in
            // Another thread may have folded further meanwhile; the furthest fold wins.
            if state.lastSeq >= current.state.lastSeq {
                current = Folded(state: state, head: previous)
            }
            return current.state
        }
    }

    /// One stored row checked as the next link of the chain: its place, its hash over its
    /// own text, its link to the entry before, the hash kept apart in `heads`, and that it
    /// reads as an entry at all.
    /// The entry comes back with its hash and its text as stored: the bytes its signature,
    /// if it has one, was made over.
    static func link(_ row: StoredEntry, expected: Int, previous: String, heads: [Int: String]) -> Result<(LaunchRecord, String, String), ChainBreak> {
        guard let seq = row.seq else {
            return .failure(ChainBreak(seq: expected, problem: "entry \(expected) has no sequence number"))
        }
        if seq != expected { return .failure(ChainBreak(seq: expected, problem: "entry \(expected) is missing: deleted")) }
        guard let recordText = row.record.text, let hash = row.hash.text else {
            return .failure(ChainBreak(seq: seq, problem: "entry \(seq) is not text: its bytes were overwritten"))
        }
        if Crypto.sha256Hex(Array(recordText.utf8)) != hash {
            return .failure(ChainBreak(seq: seq, problem: "entry \(seq) does not match its hash: edited after it was written"))
        }
        guard let stored = try? decodeStored(recordText), let at = LaunchRecord.parseTimestamp(stored.at) else {
            return .failure(ChainBreak(seq: seq, problem: "entry \(seq) is not a journal entry"))
        }
        if stored.seq != seq { return .failure(ChainBreak(seq: seq, problem: "entry \(seq) holds entry \(stored.seq): reordered")) }
        if stored.prev != previous {
            return .failure(ChainBreak(seq: seq, problem: "entry \(seq) does not follow entry \(seq - 1): the chain is broken"))
        }
        guard let kept = heads[seq] else {
            return .failure(ChainBreak(seq: seq, problem: "entry \(seq) was never recorded as written: inserted"))
        }
        if kept != hash { return .failure(ChainBreak(seq: seq, problem: "entry \(seq) is not the entry first written there: replaced")) }
        var signature: KeySignature?
        if row.signature != .null {
            guard let signatureText = row.signature.text,
                  let decoded = try? decodeSignature(signatureText) else {
                return .failure(ChainBreak(seq: seq, problem: "entry \(seq)'s signature is not a signature: its bytes were overwritten"))
            }
            signature = decoded
        }
        return .success((LaunchRecord(seq: seq, at: at, actor: stored.actor, event: stored.event, signature: signature), hash, recordText))
    }

    // MARK: Appending

    /// Appends what `decide` makes of the current state, if the workflow allows all of it,
    /// in one write transaction: another process appending at the same moment is judged
    /// before or after, never alongside. An approver's entries are signed with `signer`'s
    /// key when one is given; the plan may require it. Returns the entries written, or why not.
    @discardableResult
    public func append(by actor: LaunchActor, at now: Date = Date(), checks: [String: CheckStatus], signer: (any EntrySigner)? = nil,
                       _ decide: (LaunchState) -> [LaunchEvent]) throws -> Result<[LaunchRecord], LaunchRefusal> {
        let outcome: Result<(records: [LaunchRecord], folded: Folded), LaunchRefusal> = try reached().append { journal in
            var state = try catchUp(journal)
            var previous = folded.withLock { $0.head }
            var written: [LaunchRecord] = []
            for event in decide(state) {
                if let refusal = state.refusal(for: event, by: actor, at: now, checks: checks) { return .failure(refusal) }
                let keySigner = actor.approver == nil ? nil : signer
                if keySigner == nil, plan.poll.requiresKeySignature(event) {
                    return .failure(LaunchRefusal("the plan requires \(event.name) to be signed with \(actor.approver ?? "the approver")'s SSH key; "
                                                  + "act from a session whose ssh-agent holds a key the plan lists for them (a PIN or a login is not enough)"))
                }
                var record = LaunchRecord(seq: state.lastSeq + 1, at: now, actor: actor, event: event)
                let text = try Self.encode(record, previous: previous)
                if let keySigner {
                    do {
                        record.signature = try keySigner.sign(Array(text.utf8))
                    } catch {
                        return .failure(LaunchRefusal("not signed, so not recorded: \(error)"))
                    }
                }
                let hash = Crypto.sha256Hex(Array(text.utf8))
                let signature = try record.signature.map { String(decoding: try Self.encoder.encode($0), as: UTF8.self) }
                try journal.insert(seq: record.seq, record: text, hash: hash, signature: signature)
                state.apply(record)
                written.append(record)
                previous = hash
            }
            return .success((written, Folded(state: state, head: previous)))
        }
        if case .success(let (records, written)) = outcome, let last = records.last {
            // The transaction committed: what it wrote is folded already (the next look at the
            // journal checks that the head is still this one, and reads only what came after),
            // and the new head goes to the witness, out of this file's reach.
            folded.withLock { current in
                if written.state.lastSeq > current.state.lastSeq { current = written }
            }
            if let witness {
                let problem = witness.record(seq: last.seq, hash: written.head, at: last.at)
                witnessProblem.withLock { $0 = problem }
            }
        }
        return outcome.map(\.records)
    }

    /// Appends one event; see `append(by:at:checks:signer:_:)`. A vote's evidence is made
    /// here: the blockers as they stand the moment it is written, with what each vantage saw
    /// of those seen from several (`vantages`, by check id).
    @discardableResult
    public func append(_ event: LaunchEvent, by actor: LaunchActor, at now: Date = Date(), checks: [String: CheckStatus],
                       vantages: [String: [EvidenceVantage]] = [:], signer: (any EntrySigner)? = nil) throws -> Result<LaunchRecord, LaunchRefusal> {
        try append(by: actor, at: now, checks: checks, signer: signer) { state in
            [event.withEvidence(Crypto.evidence(VoteEvidence.items(state.blockers(checks: checks), vantages: vantages)))]
        }.map { $0[0] }
    }

    /// The actor acting as `approver` once their PIN checks out. Each try is journalled
    /// before the PIN is even looked at, in one transaction with the lockout count, so five
    /// tries lock the approver out in every process however many arrive at once, and a try
    /// that cannot be recorded (a full disk) is not checked. A locked-out approver gets the
    /// same answer whatever the PIN.
    public func sign(as approver: Approver, pin: String, actor: LaunchActor, at now: Date = Date()) throws -> Result<LaunchActor, LaunchRefusal> {
        guard let hash = approver.pinHash else {
            return .failure(LaunchRefusal("\(approver.name) has no PIN in the plan; they sign by their login"))
        }
        let automatic = actor.acting(as: nil, pinUsed: false)
        var tries = 0
        let tried = try append(by: automatic, at: now, checks: [:]) { state in
            tries = (state.pinFailures[approver.name]?.count ?? 0) + 1
            return [.pinTried(approver: approver.name)]
        }
        switch tried {
        case .failure(let refusal): return .failure(refusal)
        case .success:
            guard Crypto.pinMatches(pin, hash) else {
                return .failure(LaunchRefusal("wrong PIN for \(approver.name) (\(tries) of \(LaunchState.pinAttempts) tries before a lockout)"))
            }
            return try append(.pinAccepted(approver: approver.name), by: automatic, at: now, checks: [:])
                .map { _ in actor.acting(as: approver.name, pinUsed: true) }
        }
    }

    /// Moves a broken journal's files aside (`launch.sqlite.broken-TIME`), so the next open
    /// starts a new one; returns where the old one went. Other processes that have the old
    /// one open see it broken and refuse to record until they are restarted.
    public func setAside(at now: Date = Date()) throws -> String {
        guard try state().journalBreak != nil else { throw JournalError.cannotWrite(path: path, reason: "the journal is not broken") }
        guard let file = storage as? SQLiteJournalStorage else {
            throw JournalError.cannotWrite(path: path, reason: "a broken journal in PostgreSQL is not set aside here: copy what holds "
                                           + "(`flightdeck audit verify` names the first bad entry) and point the plan at a new database")
        }
        return try file.setAside(at: now)
    }

    /// Appends whatever the clock and the checks have made due (stale votes, built-in holds).
    /// Several processes may see the same thing at once; only the first writes it.
    @discardableResult
    public func appendDue(by actor: LaunchActor, at now: Date = Date(), checks: [String: CheckStatus]) throws -> [LaunchRecord] {
        let automatic = actor.acting(as: nil, pinUsed: false)
        var written: [LaunchRecord] = []
        // One at a time: each can change what is due next (a stale vote's hold means the
        // built-in hold due at the same moment no longer starts one).
        for _ in 0..<16 {
            let result = try append(by: automatic, at: now, checks: checks) { state in Array(state.dueEvents(at: now, checks: checks).prefix(1)) }
            guard case .success(let records) = result, !records.isEmpty else { break }
            written += records
        }
        return written
    }

    // MARK: Canonical text

    struct StoredRecord: Codable {
        var seq: Int
        var at: String
        var actor: LaunchActor
        var event: LaunchEvent
        var prev: String
    }

    static let encoder = makeEncoder()
    static let decoder = makeDecoder()

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(LaunchRecord.timestamp(date))
        }
        return encoder
    }

    private static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = LaunchRecord.parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }

    static func encode(_ record: LaunchRecord, previous: String) throws -> String {
        let stored = StoredRecord(seq: record.seq, at: LaunchRecord.timestamp(record.at), actor: record.actor, event: record.event,
                                  prev: previous)
        return String(decoding: try encoder.encode(stored), as: UTF8.self)
    }

    static func decodeStored(_ text: String) throws -> StoredRecord {
        if let quick = StoredRecord(quick: text) { return quick }
        return try decoder.decode(StoredRecord.self, from: Data(text.utf8))
    }

    static func decodeSignature(_ text: String) throws -> KeySignature {
        if let quick = KeySignature(quick: text) { return quick }
        return try decoder.decode(KeySignature.self, from: Data(text.utf8))
    }
}
