import FlightdeckCore
import Foundation

/// Agents' heartbeats and outcomes in the launch's PostgreSQL schema, beside its journal.
///
/// Each publication is one transaction under an advisory lock of its own (not the journal's:
/// agents never wait for a vote), so versions are committed in the order they are taken and a
/// session that reads everything after the version it last saw misses nothing. Its NOTIFY, on
/// the journal's channel, wakes every session as an append does. Ages are the database's
/// clock, so hosts whose clocks disagree still agree on who is silent.
extension PostgresJournalStorage: VantageStorage {
    static func vantageSchemaSQL(_ schema: String) -> String {
        """
        CREATE TABLE IF NOT EXISTS \(schema).vantage_agents (vantage text PRIMARY KEY, instance text NOT NULL, host text NOT NULL,
            every_ms integer NOT NULL, beat_at timestamptz NOT NULL);
        CREATE SEQUENCE IF NOT EXISTS \(schema).vantage_version;
        CREATE TABLE IF NOT EXISTS \(schema).vantage_results (vantage text NOT NULL, check_id text NOT NULL, version bigint NOT NULL,
            status text NOT NULL, outcome text NOT NULL, published_at timestamptz NOT NULL, PRIMARY KEY (vantage, check_id));
        CREATE INDEX IF NOT EXISTS vantage_results_version ON \(schema).vantage_results (version);
        """
    }

    /// The advisory lock publications take: the journal's key with its lowest bit turned.
    private var vantageLockKey: Int64 { lockKey ^ 1 }

    func publish(_ publication: VantagePublication, rows: [VantageRow], staleAfter: Int) throws -> VantagePublication.Outcome {
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        return try using(JournalError.cannotWrite) { connection in
            try connection.transaction("BEGIN; SELECT pg_advisory_xact_lock(\(vantageLockKey))",
                                       commit: "SELECT pg_notify('\(schema)', 'vantages'); COMMIT") {
                // The heartbeat takes the vantage only from this instance or one that has gone
                // silent; then the outcomes, under one new version.
                let beat = try connection.query("""
                    WITH beat AS (
                        INSERT INTO \(schema).vantage_agents AS a (vantage, instance, host, every_ms, beat_at) VALUES ($1, $2, $3, $4, now())
                        ON CONFLICT (vantage) DO UPDATE SET instance = EXCLUDED.instance, host = EXCLUDED.host, every_ms = EXCLUDED.every_ms,
                            beat_at = now()
                        WHERE a.instance = EXCLUDED.instance OR a.beat_at < now() - make_interval(secs => a.every_ms * $5::int / 1000.0)
                        RETURNING 1
                    ), version AS MATERIALIZED (
                        SELECT nextval('\(schema).vantage_version') AS v FROM beat WHERE $6::json::text <> '[]'
                    ), rows AS (
                        SELECT * FROM json_to_recordset($6::json) AS t(check_id text, status text, outcome text)
                    ), results AS (
                        INSERT INTO \(schema).vantage_results (vantage, check_id, version, status, outcome, published_at)
                        SELECT $1, r.check_id, version.v, r.status, r.outcome, now() FROM rows r, version
                        ON CONFLICT (vantage, check_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
                            outcome = EXCLUDED.outcome, published_at = EXCLUDED.published_at
                    )
                    SELECT count(*) FROM beat
                    """, [publication.vantage, publication.instance, publication.host, String(Int(publication.every.timeInterval * 1000)),
                          String(staleAfter), json])
                if beat.first?.first?.text == "1" { return .published }
                let holder = try connection.query("SELECT host, instance, EXTRACT(EPOCH FROM now() - beat_at) FROM \(schema).vantage_agents WHERE vantage = $1",
                                                  [publication.vantage]).first
                return .held(host: holder?[0].text ?? "?", instance: holder?[1].text ?? "?",
                             age: .seconds(max(0, holder?[2].text.flatMap(Double.init) ?? 0)))
            }
        }
    }

    func withdraw(vantage: String, instance: String) throws {
        try using(JournalError.cannotWrite) { connection in
            try connection.transaction("BEGIN; SELECT pg_advisory_xact_lock(\(vantageLockKey))",
                                       commit: "SELECT pg_notify('\(schema)', 'vantages'); COMMIT") {
                try connection.execute("""
                    WITH gone AS (DELETE FROM \(schema).vantage_agents WHERE vantage = $1 AND instance = $2 RETURNING vantage)
                    DELETE FROM \(schema).vantage_results WHERE vantage IN (SELECT vantage FROM gone)
                    """, [vantage, instance])
            }
        }
    }

    func readVantages(since version: Int) throws -> StoredVantages {
        try using(JournalError.cannotOpen) { connection in
            try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                let agents = try connection.query("SELECT vantage, host, every_ms, EXTRACT(EPOCH FROM now() - beat_at) FROM \(schema).vantage_agents")
                    .compactMap { row -> StoredVantages.Agent? in
                        guard let vantage = row[0].text, let host = row[1].text, let every = row[2].text.flatMap({ Int($0) }),
                              let age = row[3].text.flatMap(Double.init) else { return nil }
                        return StoredVantages.Agent(vantage: vantage, host: host, everyMilliseconds: every, age: age)
                    }
                var newest = version
                let results = try connection.query("""
                    SELECT vantage, check_id, version, outcome, EXTRACT(EPOCH FROM now() - published_at) FROM \(schema).vantage_results
                    WHERE version > $1 ORDER BY version
                    """, [String(version)]).compactMap { row -> StoredVantages.Result? in
                    guard let vantage = row[0].text, let check = row[1].text, let rowVersion = row[2].text.flatMap({ Int($0) }),
                          let outcome = row[3].text, let age = row[4].text.flatMap(Double.init) else { return nil }
                    newest = max(newest, rowVersion)
                    return StoredVantages.Result(vantage: vantage, check: check, outcome: outcome, age: age)
                }
                return StoredVantages(agents: agents, results: results, version: newest)
            }
        }
    }
}
