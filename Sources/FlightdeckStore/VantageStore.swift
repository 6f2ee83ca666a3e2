import FlightdeckCore
import Foundation

/// What probe agents publish into a launch's shared state, and what every session reads of
/// it: each agent's heartbeat and its latest outcome of each check (the live view). The
/// changes of status are the timeline's (`TimelineStore`).
///
/// Beside the journal, not in it: outcomes are replaced as they come, and nothing here is a
/// decision. In PostgreSQL they are tables in the launch's schema, and each publication
/// wakes every session through the same NOTIFY as an append; in SQLite, a file of their own
/// in the state directory (agents on one host, in other network namespaces), looked at on
/// the sessions' timer.
public final class VantageStore: Sendable {
    /// The file in the state directory that holds them when the journal is in SQLite.
    public static let fileName = SQLiteVantageStorage.fileName

    private let beside: LaunchJournal.Beside<any VantageStorage>
    private let plan: LaunchPlan
    private let checkIDs: Set<String>
    /// Where it is, for messages: a URL without its password, or the SQLite file.
    public let location: String

    /// The vantage tables of the journal's storage: its PostgreSQL database, or beside its
    /// SQLite file. A database is reached on the first publication or read, as the journal is.
    public init(journal: LaunchJournal) {
        beside = LaunchJournal.Beside(journal) { try $0.vantageStorage() }
        plan = journal.plan
        checkIDs = Set(journal.plan.checks.map(\.id))
        location = (journal.storage as? SQLiteJournalStorage).map { "\($0.directory)/\(Self.fileName)" } ?? journal.path
    }

    /// The storage, opened on first use (and again after a failure to open it).
    var storage: any VantageStorage {
        get throws { try beside.storage }
    }

    /// Beats the agent's heartbeat and writes its outcomes, in one transaction. A vantage
    /// another instance holds (one that still beats) is not taken: that is said instead.
    public func publish(_ publication: VantagePublication) throws -> VantagePublication.Outcome {
        let rows = try publication.outcomes.map { outcome in
            VantageRow(check: outcome.check, status: outcome.status.rawValue,
                       outcome: String(decoding: try Self.encoder.encode(outcome), as: UTF8.self))
        }
        return try storage.publish(publication, rows: rows, staleAfter: plan.vantages.staleAfter)
    }

    /// Takes the agent's heartbeat and results away: it stopped, and nobody should wait for it.
    public func withdraw(vantage: String, instance: String) throws {
        try storage.withdraw(vantage: vantage, instance: instance)
    }

    /// Every agent's heartbeat, and the outcomes published after `version`. What came from
    /// other hosts is checked as remote text: a vantage or check the plan cannot have, or an
    /// outcome that does not decode, is left out.
    public func read(since version: Int, at now: Date = Date()) throws -> VantageReading {
        let found = try storage.readVantages(since: version)
        let heartbeats = found.agents.compactMap { agent -> VantageReading.Heartbeat? in
            guard LaunchPlan.isValidID(agent.vantage) else { return nil }
            return VantageReading.Heartbeat(vantage: agent.vantage, host: RemoteText.sanitize(agent.host, limit: 120),
                                            age: .seconds(max(0, agent.age)), every: .milliseconds(max(100, agent.everyMilliseconds)))
        }
        let results = found.results.compactMap { row -> VantageReading.Result? in
            guard LaunchPlan.isValidID(row.vantage), checkIDs.contains(row.check),
                  let outcome = try? Self.decoder.decode(PublishedOutcome.self, from: Data(row.outcome.utf8)),
                  outcome.check == row.check else { return nil }
            return VantageReading.Result(vantage: row.vantage, age: .seconds(max(0, row.age)), outcome: outcome.sanitized())
        }
        return VantageReading(heartbeats: heartbeats, results: results, version: max(version, found.version), readAt: now)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder = JSONDecoder()
}

/// One agent's heartbeat with the outcomes it publishes now.
public struct VantagePublication: Sendable {
    public var vantage: String
    /// This run of the agent (host, pid and a random part): a second agent started under the
    /// same name is told apart from the first.
    public var instance: String
    public var host: String
    /// How often it beats.
    public var every: Duration
    public var outcomes: [PublishedOutcome]

    public init(vantage: String, instance: String, host: String, every: Duration, outcomes: [PublishedOutcome] = []) {
        self.vantage = vantage
        self.instance = instance
        self.host = host
        self.every = every
        self.outcomes = outcomes
    }

    public enum Outcome: Sendable, Equatable {
        case published
        /// Another instance holds the vantage and still beats: nothing was written.
        case held(host: String, instance: String, age: Duration)
    }
}

/// Where agents' heartbeats and outcomes are kept: PostgreSQL (`PostgresJournalStorage`)
/// or an SQLite file beside the journal's (`SQLiteVantageStorage`).
protocol VantageStorage: Sendable {
    var location: String { get }
    func publish(_ publication: VantagePublication, rows: [VantageRow], staleAfter: Int) throws -> VantagePublication.Outcome
    func withdraw(vantage: String, instance: String) throws
    func readVantages(since version: Int) throws -> StoredVantages
}

/// One outcome as it is written: the encoded outcome, and its check and status beside it.
struct VantageRow: Encodable {
    var check: String
    var status: String
    var outcome: String

    enum CodingKeys: String, CodingKey {
        case check = "check_id", status, outcome
    }
}

/// What storage gave back: nothing in it is trusted yet.
struct StoredVantages {
    struct Agent {
        var vantage: String
        var host: String
        var everyMilliseconds: Int
        /// Seconds since its last beat, on the storage's clock.
        var age: Double
    }

    struct Result {
        var vantage: String
        var check: String
        var outcome: String
        var age: Double
    }

    var agents: [Agent]
    var results: [Result]
    /// The highest version read.
    var version: Int
}
