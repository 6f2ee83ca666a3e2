import Foundation

/// A launch plan: everything Flightdeck watches and everyone who signs off on one launch.
///
/// Plans are read from YAML by ``PlanLoader``; see `docs/plan-format.md` for the format.
public struct LaunchPlan: Sendable, Equatable {
    public var name: String
    /// The DNS zone that is launching (`directfanz.io`).
    public var zone: DNSName
    /// The moment of launch.
    public var t0: Date
    /// The time zone the team plans in; T-0 is shown in it beside UTC.
    public var timeZone: TimeZone
    /// Where the shared launch state lives; relative paths are relative to the plan file.
    public var stateDirectory: String?
    /// An append-only file, on another path or host, that every process appends each new
    /// journal head to: an anchor outside the state directory. Relative to the plan file.
    public var witness: String?
    /// The journal in PostgreSQL (`postgresql://...`) for sessions on several hosts; nil keeps
    /// it in SQLite in the state directory. Its password only ever comes from `${ENV}`.
    public var database: SecretText? = nil
    public var polling: PollingSettings
    /// Where the checks are seen from: this host and the probe agents.
    public var vantages: VantageSettings = .defaults
    /// What to do when something goes red, for the checks, items, alarm sources and rules that give one.
    public var runbooks: [RunbookSubject: Runbook] = [:]
    /// When some checks and alarm sources are expected to be red.
    public var windows: [NoiseWindow] = []
    public var resolvers: [Resolver]
    public var dns: DNSExpectations
    public var httpChecks: [HTTPCheck]
    public var tlsEndpoints: [TLSEndpoint]
    public var commandChecks: [CommandCheck] = []
    public var metricChecks: [MetricCheck] = []
    public var awsChecks: [AWSCheck] = []
    /// The region and endpoint AWS calls default to.
    public var aws: AWSDefaults = .none
    public var alarmSources: [AlarmSource]
    public var alarmRules: AlarmRules
    public var notifications: [NotificationTarget]
    public var checklist: [ChecklistItem]
    public var roles: [Role]
    public var approvers: [Approver]
    public var poll: PollRules
    public var holds: [Hold]

    /// Whether the plan runs a go/no-go poll; a plan of checks only does not.
    public var hasPoll: Bool { !poll.order.isEmpty }

    /// Every automated check the plan declares, in plan order: the delegation and its DNSSEC
    /// chain (when the plan names the new nameservers), the registry's view, DNS records, HTTP checks, TLS endpoints, commands,
    /// metrics, then AWS resources.
    public var checks: [CheckDescriptor] {
        (dns.expectedNameservers.isEmpty ? [] : [CheckDescriptor(delegationOf: self), CheckDescriptor(dnssecOf: self)])
            + (dns.rdap.map { [CheckDescriptor($0)] } ?? [])
            + dns.records.map(CheckDescriptor.init)
            + httpChecks.map(CheckDescriptor.init)
            + tlsEndpoints.map(CheckDescriptor.init)
            + commandChecks.map(CheckDescriptor.init)
            + metricChecks.map(CheckDescriptor.init)
            + awsChecks.map(CheckDescriptor.init)
    }
}

extension LaunchPlan {
    /// Whether `id` could be a plan's id (of a check, a role, a vantage): up to 64 letters,
    /// digits, `-`, `_` and `.`, starting with a letter or digit.
    public static func isValidID(_ id: String) -> Bool { PlanReading.isValidID(id) }
}

/// How a check's failure weighs on the launch; shared by checks and checklist items.
public enum Severity: String, Sendable, Equatable, CaseIterable {
    /// A red blocker means NO-GO.
    case blocker
    case major
    case minor
}

/// Defaults for every probe, each overridable per check.
public struct PollingSettings: Sendable, Equatable {
    public var interval: Duration
    public var timeout: Duration
    /// How many probes may run at once.
    public var concurrency: Int
    /// Consecutive failures before a check turns red.
    public var failureThreshold: Int
    /// Consecutive successes before a red check turns green again.
    public var successThreshold: Int

    public static let defaults = PollingSettings(
        interval: .seconds(15), timeout: .seconds(5), concurrency: 32,
        failureThreshold: 2, successThreshold: 1)
}

/// Per-check overrides of ``PollingSettings``; nil means "the plan default".
public struct ProbeTiming: Sendable, Equatable {
    public var interval: Duration?
    public var timeout: Duration?

    public init(interval: Duration? = nil, timeout: Duration? = nil) {
        self.interval = interval
        self.timeout = timeout
    }
}

// MARK: - Resolvers and DNS

/// A resolver the propagation grid asks.
public struct Resolver: Sendable, Equatable {
    public enum Transport: String, Sendable, Equatable, CaseIterable {
        case udp, tcp, tls, https
    }

    public var name: String
    public var transport: Transport
    /// Where to send queries. For `https` this is the address to connect to, if pinned.
    public var address: SocketAddress?
    /// The DNS-over-HTTPS endpoint (RFC 8484), for `https` only.
    public var url: URL?
    /// The name to authenticate for `tls` (DNS over TLS); nil means "do not check the name".
    public var tlsName: DNSName?
    /// For `tls` and `https`: trust this CA file instead of the system's.
    public var caFile: String?
    public var timeout: Duration?

    /// The default port of each transport.
    public static func defaultPort(for transport: Transport) -> UInt16 {
        switch transport {
        case .udp, .tcp: 53
        case .tls: 853
        case .https: 443
        }
    }
}

/// What DNS must look like once the launch has propagated.
public struct DNSExpectations: Sendable, Equatable {
    /// The new provider's nameservers the zone must be delegated to.
    public var expectedNameservers: [Nameserver]
    /// The old provider's nameservers, still asked to see what stale caches may hold.
    public var previousNameservers: [Nameserver]
    /// The parent zone's servers; empty means "find them from the root".
    public var parentServers: [Nameserver]
    public var records: [DNSRecordExpectation]
    /// When a record counts as propagated (`converged_when`).
    public var quorum: ConvergenceQuorum = .allAnswering
    /// How long before a DNSSEC signature expires it turns yellow (`signature_warning`).
    public var signatureWarning: Duration = .seconds(3 * 86400)
    /// CAs beyond the common ones, by a word of their certificates' issuer (`caa_issuers`).
    public var caaIssuers: [CAAIssuer] = []
    /// The registry's own view of the domain, over RDAP (`rdap`).
    public var rdap: RDAPCheck?

    public static let empty = DNSExpectations(
        expectedNameservers: [], previousNameservers: [], parentServers: [], records: [])
}

/// A nameserver by name, with its addresses when they cannot (or should not) be looked up.
public struct Nameserver: Sendable, Equatable {
    public var name: DNSName
    public var addresses: [SocketAddress]

    public init(name: DNSName, addresses: [SocketAddress] = []) {
        self.name = name
        self.addresses = addresses
    }
}

/// One record set the launch needs, with what it held before the cutover.
public struct DNSRecordExpectation: Sendable, Equatable {
    public var id: String
    public var name: DNSName
    public var type: DNSRecordType
    /// The values in presentation format (`10 mx.example.com.`, `"v=spf1 ..."`).
    public var expected: [String]
    public var previous: [String]
    public var severity: Severity
    public var timing: ProbeTiming
}

// MARK: - HTTP

/// An HTTP health check.
public struct HTTPCheck: Sendable, Equatable {
    /// What kind of exchange the check performs.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// A plain request judged by its response.
        case request
        /// A WebSocket upgrade that must answer 101 Switching Protocols.
        case websocket
        /// An HLS playlist that must parse and, when live, advance between polls.
        case hls
    }

    public enum IPVersion: String, Sendable, Equatable, CaseIterable {
        case any, v4, v6
    }

    public enum HTTPVersion: String, Sendable, Equatable, CaseIterable {
        case http1_1 = "1.1"
        case http2 = "2"
    }

    public var id: String
    public var name: String?
    public var mode: Mode
    public var severity: Severity
    public var method: String
    public var url: SecretText
    public var headers: [HTTPHeader]
    public var body: SecretText?
    public var expect: HTTPExpectations
    public var followRedirects: Bool
    /// Connect here instead of the address DNS gives for the URL's host (curl's --connect-to).
    public var connectTo: SocketAddress?
    public var ipVersion: IPVersion
    public var httpVersion: HTTPVersion?
    /// Paths, relative to the plan file unless absolute.
    public var caFile: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var proxy: SecretText?
    /// For `hls` checks: the playlist is live and its media sequence must advance.
    public var liveStream: Bool
    public var timing: ProbeTiming
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: SecretText
}

/// What an HTTP response must satisfy to pass.
public struct HTTPExpectations: Sendable, Equatable {
    public var statuses: [ClosedRange<Int>]
    public var bodyContains: [String]
    /// Regular expression the body must match, as written in the plan.
    public var bodyMatches: String?
    public var json: [JSONExpectation]
    public var headers: [HeaderExpectation]
    /// The response must redirect to this URL (for http to https).
    public var redirectTo: String?
    /// Slower than this is a warning, not a failure.
    public var latencyBudget: Duration?

    public static let defaultStatuses: [ClosedRange<Int>] = [200...299]
}

/// A value the JSON body must hold at a path such as `checks.database.status`.
public struct JSONExpectation: Sendable, Equatable {
    public var path: String
    /// The expected value, compared as its JSON text (`"ok"`, `true`, `3`).
    public var equals: String
}

public struct HeaderExpectation: Sendable, Equatable {
    public enum Condition: Sendable, Equatable {
        case present
        case absent
        case equals(String)
        case contains(String)
    }

    public var name: String
    public var condition: Condition
}

// MARK: - TLS

/// An endpoint whose served certificate is inspected.
public struct TLSEndpoint: Sendable, Equatable {
    public enum MinimumVersion: String, Sendable, Equatable, CaseIterable {
        case tls1_2 = "1.2"
        case tls1_3 = "1.3"
    }

    public var id: String
    /// The name sent as SNI and, unless `address` is set, looked up to connect.
    public var host: DNSName
    public var port: UInt16
    /// Connect here instead (the new load balancer before DNS moves).
    public var address: SocketAddress?
    /// Hostnames the served certificate must cover.
    public var covers: [DNSName]
    public var warningDays: Int
    public var criticalDays: Int
    /// Whether the plan set `warning_days` or `critical_days`: the detail line says so, so
    /// nobody has to guess why 5 days left is red.
    public var expiryDaysFromPlan: Bool
    public var ipVersion: HTTPCheck.IPVersion
    public var caFile: String?
    /// Require a stapled OCSP response.
    public var requireStapling: Bool
    /// Where to ask whether the leaf is revoked when no staple settles it.
    public var revocationSources: [RevocationSource] = RevocationSource.defaults
    public var minimumVersion: MinimumVersion
    public var severity: Severity
    public var timing: ProbeTiming

    public static let defaultWarningDays = 30
    public static let defaultCriticalDays = 14
}

// MARK: - Alarms

/// An external system whose alarms show in the alarms pane.
public struct AlarmSource: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// AWS CloudWatch DescribeAlarms, filtered by alarm name prefix.
        case cloudwatch(region: String, namePrefix: String?, endpoint: URL?)
        /// Prometheus Alertmanager API v2, optionally filtered by label matchers.
        case alertmanager(url: SecretText, matchers: [String])
        /// Any JSON feed, mapped onto alarms by field paths.
        case json(url: SecretText, headers: [HTTPHeader], mapping: JSONAlarmMapping)
    }

    public var id: String
    public var kind: Kind
    public var timing: ProbeTiming

    public var kindName: String {
        switch kind {
        case .cloudwatch: "cloudwatch"
        case .alertmanager: "alertmanager"
        case .json: "json"
        }
    }
}

/// Where a generic JSON feed keeps each alarm's fields.
public struct JSONAlarmMapping: Sendable, Equatable {
    /// Path to the array of alarms; empty when the document itself is the array.
    public var items: String
    public var name: String
    public var state: String
    public var severity: String?
    public var since: String?
}

// MARK: - Notifications

/// Where the room's news goes: new critical alarms and poll decisions.
public struct NotificationTarget: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A JSON POST with a Slack-compatible `text`.
        case webhook(url: SecretText)
        /// AWS SNS Publish, signed with SigV4.
        case sns(topicArn: String, region: String, endpoint: URL?)
        /// Email over SMTP (`smtp://` or `smtps://`).
        case email(url: SecretText, from: String, to: [String])
        /// A Slack incoming webhook: a Block Kit message.
        case slack(url: SecretText)
        /// PagerDuty's Events API v2: an incident per alarm occurrence, acknowledged and
        /// resolved as it is in Flightdeck.
        case pagerduty(routingKey: SecretText, url: URL)
    }

    /// What is worth telling.
    public enum Event: String, Sendable, Equatable, CaseIterable {
        case criticalAlarm = "critical-alarm", noGo = "no-go", hold, go, scrub
        /// A critical alarm told of was acknowledged in Flightdeck.
        case alarmAcknowledged = "alarm-acknowledged"
        /// A critical alarm told of has recovered.
        case alarmResolved = "alarm-resolved"

        /// What a target is told of unless the plan says: the alarms' whole life for
        /// PagerDuty, new critical alarms and decisions for the others.
        public static func defaults(for kind: Kind) -> Set<Event> {
            if case .pagerduty = kind { return alarmEvents }
            return [.criticalAlarm, .noGo, .hold, .go, .scrub]
        }

        public static let alarmEvents: Set<Event> = [.criticalAlarm, .alarmAcknowledged, .alarmResolved]
    }

    /// PagerDuty's endpoint for events.
    public static let pagerDutyEvents = URL(string: "https://events.pagerduty.com/v2/enqueue")!

    public var id: String
    public var kind: Kind
    public var events: Set<Event>
}

// MARK: - Checklist, people and the poll

public struct ChecklistItem: Sendable, Equatable {
    /// READ-DO: read the step, then do it. DO-CONFIRM: do it from memory, then confirm.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        case readDo = "read-do"
        case doConfirm = "do-confirm"
    }

    public var id: String
    public var phase: String
    public var title: String
    /// The id of the role that owns the item.
    public var owner: String
    public var severity: Severity
    public var mode: Mode
    /// Ids of the automated checks that prove the item; it un-ticks when they regress.
    public var checks: [String]
}

public struct Role: Sendable, Equatable {
    public var id: String
    public var title: String
}

public struct Approver: Sendable, Equatable {
    public var name: String
    /// The id of the role this person votes for.
    public var role: String
    /// Login names that identify this person over SSH.
    public var users: [String]
    /// Salted PIN hash for the shared terminal; never shown.
    public var pinHash: PINHash?
    /// The SSH public keys this person signs with, as lines of an `allowed_signers` file
    /// list them.
    public var keys: [SSHPublicKey] = []
}

/// An SSH public key as the plan writes it: `ssh-ed25519 AAAAC3Nza... dana@laptop`.
public struct SSHPublicKey: Sendable, Equatable, Hashable {
    public static let types = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
                               "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]
    /// `ssh-ed25519`.
    public var type: String
    /// The base64 blob.
    public var blob: String

    /// The key without its comment, as signatures and agents name it.
    public var text: String { "\(type) \(blob)" }

    public static func parse(_ line: String) -> Result<SSHPublicKey, ValueError> {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count >= 2, types.contains(fields[0]) else {
            return .failure(ValueError("`\(line.prefix(40))` is not an SSH public key",
                                       hint: "paste the line from ~/.ssh/id_ed25519.pub: ssh-ed25519 AAAA... name"))
        }
        guard let data = Data(base64Encoded: fields[1]), data.count > 16 else {
            return .failure(ValueError("the key's base64 part does not decode", hint: "paste the whole line from the .pub file"))
        }
        // The blob begins with its own type name; a key pasted under the wrong type is refused.
        let length = data.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length == fields[0].utf8.count, data.count >= 4 + length,
              String(decoding: data.dropFirst(4).prefix(length), as: UTF8.self) == fields[0] else {
            return .failure(ValueError("the key's base64 part is not a \(fields[0]) key", hint: "paste the whole line from the .pub file"))
        }
        return .success(SSHPublicKey(type: fields[0], blob: fields[1]))
    }
}

/// How the go/no-go poll runs.
public struct PollRules: Sendable, Equatable {
    /// Role ids in the order they are polled.
    public var order: [String]
    /// The role that gives the final GO.
    public var director: String
    /// Whether an approver may be the second approver of their own override.
    public var allowSelfApproval: Bool
    /// Decisions that only an approver's SSH key signature may record; a PIN or a login is
    /// not enough for them.
    public var requireSignatures: Set<SignedDecision> = []

    /// A plan of checks only: no roles vote, nothing is signed off.
    public static let none = PollRules(order: [], director: "", allowSelfApproval: false)
}

/// The decisions a plan can require key signatures for (`poll.require_signatures`).
public enum SignedDecision: String, Sendable, Equatable, Hashable, CaseIterable {
    /// The director's final GO (and their NO-GO).
    case finalGo = "final_go"
    /// Every role's vote.
    case votes
    /// Override requests and approvals.
    case overrides
    /// Every action an approver takes.
    case all
}

/// A built-in hold: at `T-start` the clock stops until someone resumes or scrubs.
public struct Hold: Sendable, Equatable {
    public var name: String
    /// How long before T-0 the hold starts.
    public var beforeT0: Duration
    /// How long the hold may last before it demands a decision.
    public var duration: Duration
}
