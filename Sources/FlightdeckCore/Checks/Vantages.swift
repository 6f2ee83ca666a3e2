import Foundation

/// Where the plan's checks are seen from: the host a session runs on (`local` unless named)
/// and the probe agents that publish into the shared state, and how their results combine.
public struct VantageSettings: Sendable, Equatable {
    /// The vantage of a session that is not given a name: every cockpit, `watch` and `check`
    /// probes from its own host under it, and never reads it from the shared state.
    public static let local = "local"

    /// The vantages the plan declares; empty: every session's host and every agent that publishes.
    public var points: [VantagePoint]
    /// How many vantages must fail a check for it to be red; fewer is a warning that names them.
    public var quorum: Int
    /// Heartbeats an agent may miss before its results count as unknown.
    public var staleAfter: Int

    public static let defaults = VantageSettings(points: [], quorum: 1, staleAfter: 3)

    public init(points: [VantagePoint], quorum: Int, staleAfter: Int) {
        self.points = points
        self.quorum = max(1, quorum)
        self.staleAfter = max(1, staleAfter)
    }

    /// Whether `vantage` runs `check`: only DNS, HTTP and TLS checks are run from vantages; a
    /// declared vantage runs the checks it lists (every one when it lists none); when the plan
    /// declares none, every vantage runs every one.
    public func runs(_ check: CheckDescriptor, from vantage: String) -> Bool {
        guard check.kind.isSeenFromVantages else { return false }
        guard !points.isEmpty else { return true }
        guard let point = points.first(where: { $0.name == vantage }) else { return false }
        return point.checks.map { $0.contains(check.id) } ?? true
    }

    /// Whether a session on a host seen as `vantage` probes `check` itself: every check that
    /// is not a vantage check (commands, metrics, AWS give every host the same answer), and
    /// the vantage checks its vantage runs.
    public func hostRuns(_ check: CheckDescriptor, as vantage: String) -> Bool {
        !check.kind.isSeenFromVantages || runs(check, from: vantage)
    }

    public func isDeclared(_ vantage: String) -> Bool { points.contains { $0.name == vantage } }

    /// How often an agent beats: its polling interval, but at least every 5 s, so a silent
    /// agent shows within seconds whatever the interval.
    public static func heartbeat(polling: PollingSettings) -> Duration {
        min(max(polling.interval, .seconds(1)), .seconds(5))
    }
}

/// One vantage the plan declares, and the checks it runs (nil: every vantage check).
public struct VantagePoint: Sendable, Equatable {
    public var name: String
    public var checks: [String]?

    public init(name: String, checks: [String]? = nil) {
        self.name = name
        self.checks = checks
    }
}

extension CheckKind {
    /// Checks whose answer depends on the network asking: DNS, HTTP and TLS. Commands,
    /// metrics and AWS calls give every host the same answer and run where sessions run.
    public var isSeenFromVantages: Bool { self == .dns || self == .http || self == .tls }
}

// MARK: - What an agent publishes

/// One check's state as an agent publishes it: compact (status after the agent's
/// thresholds, reason, the observed values, the latency and, for DNS, the grid's cells),
/// never the raw evidence.
public struct PublishedOutcome: Sendable, Equatable, Codable {
    public var check: String
    public var status: CheckStatus
    public var reason: String
    public var latencyMicroseconds: Int?
    public var observed: [String: ObservedValue]
    public var cells: [PublishedCell]?

    public init(check: String, status: CheckStatus, reason: String, latencyMicroseconds: Int? = nil,
                observed: [String: ObservedValue] = [:], cells: [PublishedCell]? = nil) {
        self.check = check
        self.status = status
        self.reason = reason
        self.latencyMicroseconds = latencyMicroseconds
        self.observed = observed
        self.cells = cells
    }

    /// What `health` shows now, with the grid of its newest outcome (whose cells are then not
    /// repeated as the `cells` lines of the observed values).
    public init(check: String, health: CheckHealth) {
        let latest = health.latest
        var cells: [PublishedCell]?
        var observed = latest?.observed ?? [:]
        if case .dnsRecord(let grid)? = latest?.evidence {
            cells = grid.cells.map(PublishedCell.init)
            observed["cells"] = nil
        }
        let latency = latest?.latency.map { Int(($0.timeInterval * 1e6).rounded()) }
        self.init(check: check, status: health.status, reason: health.reason, latencyMicroseconds: latency,
                  observed: observed, cells: cells)
    }

    public static let limits = (reason: 300, observed: 32, cells: 256)

    /// Text that came from another host is read as anything from outside is: sanitised and cut.
    public func sanitized() -> PublishedOutcome {
        var copy = self
        copy.check = RemoteText.sanitize(check, limit: 64)
        copy.reason = RemoteText.sanitize(reason, limit: Self.limits.reason)
        copy.observed = Dictionary(observed.sorted { $0.key < $1.key }.prefix(Self.limits.observed).map { key, value in
            (RemoteText.sanitize(key, limit: 40), value.sanitized())
        }, uniquingKeysWith: { first, _ in first })
        copy.cells = cells.map { Array($0.prefix(Self.limits.cells)).map { $0.sanitized() } }
        return copy
    }

    /// The latency as a duration.
    public var latency: Duration? { latencyMicroseconds.map { .microseconds($0) } }
}

/// One cell of the propagation grid as an agent saw it.
public struct PublishedCell: Sendable, Equatable, Codable {
    public var server: String
    public var address: String
    public var role: String
    public var state: String
    public var values: [String]
    public var ttl: UInt32?
    public var note: String?
    public var validation: String?

    init(_ cell: PropagationCell) {
        server = cell.server.name
        address = cell.server.address
        role = cell.server.role.rawValue
        state = cell.state.rawValue
        values = Array(cell.values.prefix(16))
        ttl = cell.ttl
        note = cell.note
        validation = cell.validation?.rawValue
    }

    func sanitized() -> PublishedCell {
        var copy = self
        copy.server = RemoteText.sanitize(server, limit: 120)
        copy.address = RemoteText.sanitize(address, limit: 60)
        copy.role = RemoteText.sanitize(role, limit: 20)
        copy.state = RemoteText.sanitize(state, limit: 20)
        copy.values = values.prefix(16).map { RemoteText.sanitize($0, limit: 200) }
        copy.note = note.map { RemoteText.sanitize($0, limit: 200) }
        copy.validation = validation.map { RemoteText.sanitize($0, limit: 20) }
        return copy
    }

    /// The cell as the grid draws it; nil when its role or state is not one this build knows.
    public var cell: PropagationCell? {
        guard let role = DNSServerRef.Role(rawValue: role), let state = PropagationCell.State(rawValue: state) else { return nil }
        return PropagationCell(published: DNSServerRef(name: server, address: address, role: role), state: state, values: values,
                               ttl: ttl, note: note, validation: validation.flatMap(PropagationCell.Validation.init(rawValue:)))
    }
}

extension ObservedValue {
    func sanitized() -> ObservedValue {
        switch self {
        case .text(let text): .text(RemoteText.sanitize(text, limit: 300))
        case .list(let items): .list(items.prefix(32).map { RemoteText.sanitize($0, limit: 200) })
        case .number, .flag: self
        }
    }
}

// MARK: - What the shared state holds of the agents

/// What one read of the shared state found of the agents: each one's last heartbeat and
/// the results that changed since the previous read. Ages are the database's, so clocks
/// that disagree between hosts do not matter.
public struct VantageReading: Sendable, Equatable {
    public struct Heartbeat: Sendable, Equatable {
        public var vantage: String
        /// The host it runs on, for people.
        public var host: String
        public var age: Duration
        /// How often it promised to beat.
        public var every: Duration

        public init(vantage: String, host: String, age: Duration, every: Duration) {
            self.vantage = vantage
            self.host = host
            self.age = age
            self.every = every
        }
    }

    public struct Result: Sendable, Equatable {
        public var vantage: String
        public var age: Duration
        public var outcome: PublishedOutcome

        public init(vantage: String, age: Duration, outcome: PublishedOutcome) {
            self.vantage = vantage
            self.age = age
            self.outcome = outcome
        }
    }

    /// Every agent's heartbeat (all of them, on every read).
    public var heartbeats: [Heartbeat]
    /// Results that changed since the version read before (every result on a first read).
    public var results: [Result]
    /// The version to read from next time.
    public var version: Int
    /// When this process read it, on its own clock.
    public var readAt: Date

    public init(heartbeats: [Heartbeat], results: [Result], version: Int, readAt: Date) {
        self.heartbeats = heartbeats
        self.results = results
        self.version = version
        self.readAt = readAt
    }
}

extension LaunchPlan {
    /// The checks a session probes itself on a host seen as `vantage`.
    public func checksProbed(by vantage: String) -> Set<String> {
        Set(checks.filter { vantages.hostRuns($0, as: vantage) }.map(\.id))
    }

    /// The checks an agent at `vantage` runs: the DNS, HTTP and TLS checks it is given.
    public func checksRun(byAgent vantage: String) -> [CheckDescriptor] {
        checks.filter { vantages.runs($0, from: vantage) }
    }

    /// Whether any check may be seen from elsewhere than this host.
    public var hasVantageChecks: Bool { checks.contains { $0.kind.isSeenFromVantages } }
}
