import Foundation

/// Where the files a plan names (CA files, client certificates) are, and whether one can be
/// read: given by whoever read the plan from disk, so that this module does no I/O.
public struct PlanFiles: Sendable {
    /// The directory relative paths in the plan are relative to.
    public var directory: String
    public var isReadable: @Sendable (String) -> Bool

    public init(directory: String, isReadable: @escaping @Sendable (String) -> Bool) {
        self.directory = directory
        self.isReadable = isReadable
    }
}

/// Reads a launch plan from YAML text, reporting every problem at once.
public struct PlanLoader: Sendable {
    /// Where `${NAME}` references are looked up.
    public var environment: [String: String]
    /// When given, files the plan names must be readable there.
    public var files: PlanFiles?

    public init(environment: [String: String], files: PlanFiles? = nil) {
        self.environment = environment
        self.files = files
    }

    /// Checking the plan rather than running it: a secret the environment lacks is a
    /// warning (see `warnings`), not an error.
    public var lintOnly = false

    /// Loads a plan from `text`, naming `file` in every diagnostic.
    public func load(text: String, file: String) -> Result<LaunchPlan, PlanLoadError> {
        loadWithWarnings(text: text, file: file).plan
    }

    /// The plan, and what is worth knowing about it that did not stop it loading.
    public func loadWithWarnings(text: String, file: String) -> (plan: Result<LaunchPlan, PlanLoadError>, warnings: [PlanDiagnostic]) {
        let document = YAMLDocument(file: file, text: text)
        document.secretsMayBeMissing = lintOnly
        return (load(document), document.warnings)
    }

    private func load(_ document: YAMLDocument) -> Result<LaunchPlan, PlanLoadError> {
        guard let root = document.root else { return .failure(PlanLoadError(document.diagnostics)) }
        var reading = PlanReading(environment: environment, files: files)
        let plan = reading.plan(root)
        reading.resolveReferences()
        if let plan, document.diagnostics.isEmpty { return .success(plan) }
        return .failure(PlanLoadError(document.diagnostics))
    }

    public static let maximumPlanBytes = 4 << 20
}

/// The state of one read of a plan: the ids declared so far and the references to check once
/// everything is declared.
struct PlanReading {
    let environment: [String: String]
    let files: PlanFiles?

    enum Namespace: String {
        case check, checklistItem = "checklist item", role, resolver, alarmSource = "alarm source", approver
        case notification = "notification target"
        case vantage
        case window = "expected-noise window"
    }

    /// The checks vantages are told to run, kept to check their kinds once the plan is read.
    var vantageChecks: [(id: String, node: YAMLNode)] = []
    /// `vantages.points`, to report a check no vantage runs.
    var vantagePoints: YAMLNode?
    /// The runbooks read so far.
    var runbooks: [RunbookSubject: Runbook] = [:]

    /// The first declaration of each id, per namespace.
    var declared: [Namespace: [String: SourceLocation]] = [:]
    /// References to ids, resolved after the whole plan is read.
    var references: [(namespace: Namespace, id: String, node: YAMLNode)] = []
    /// Roles some approver entry names, even one with other problems, so that a broken
    /// approver does not also make its role look unstaffed.
    var staffedRoles: Set<String> = []
    /// Unix users already claimed by an approver.
    var claimedUsers: [String: String] = [:]
    var zone: DNSName?

    init(environment: [String: String], files: PlanFiles?) {
        self.environment = environment
        self.files = files
    }

    // MARK: Ids and references

    /// Records a check id the plan implies without writing it (`rdap` for `dns.rdap`).
    mutating func declareImplied(_ id: String, at node: YAMLNode) -> String? {
        if let first = declared[.check]?[id] {
            node.report("duplicate check id `\(id)` (first declared at line \(first.line))", hint: "give this one an `id` of its own")
            return nil
        }
        declared[.check, default: [:]][id] = node.location
        return id
    }

    /// Reads an id and records it, reporting a duplicate in the same namespace.
    /// Approvers are declared by name, which is free text; every other id is a short word.
    mutating func declare(_ node: YAMLNode?, in namespace: Namespace) -> String? {
        guard let node, let id = node.word() else { return nil }
        if namespace != .approver, !Self.isValidID(id) {
            node.report("`\(id)` is not a valid id",
                        hint: "ids are up to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit")
            return nil
        }
        if namespace == .check, id == DelegationCheck.id || id == DNSSECCheck.id {
            node.report("`\(id)` is the id of a check Flightdeck adds itself", hint: "choose another id")
            return nil
        }
        if let first = declared[namespace]?[id] {
            node.report("duplicate \(namespace.rawValue) id `\(id)` (first declared at line \(first.line))",
                        hint: "every \(namespace.rawValue) needs its own id")
            return nil
        }
        declared[namespace, default: [:]][id] = node.location
        return id
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.first, id.count <= 64, first.isASCII, first.isLetter || first.isNumber else { return false }
        return id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    mutating func reference(_ node: YAMLNode?, to namespace: Namespace) -> String? {
        guard let node, let id = node.word() else { return nil }
        references.append((namespace, id, node))
        return id
    }

    func resolveReferences() {
        var known: [Namespace: (sorted: [String], search: ClosestMatch)] = [:]
        var searched = 0
        for (namespace, id, node) in references where declared[namespace]?[id] == nil {
            if known[namespace] == nil {
                let ids = Array(declared[namespace, default: [:]].keys).sorted()
                known[namespace] = (ids, ClosestMatch(ids))
            }
            let (ids, search) = known[namespace]!
            // A plan wrong everywhere gets its first suggestions, not a search per mistake.
            searched += 1
            let guess = searched <= Self.suggestionLimit ? search.match(id) : nil
            let hint = guess.map { "did you mean `\($0)`?" }
                ?? (ids.isEmpty ? "the plan declares no \(namespace.rawValue)s"
                    : "declared: \(ids.prefix(12).joined(separator: ", "))\(ids.count > 12 ? " and \(ids.count - 12) more" : "")")
            node.report("no \(namespace.rawValue) has the id `\(id)`", hint: hint)
        }
    }

    static let suggestionLimit = 20

    /// The keys of the plan's sections that are mappings, by section.
    static let sectionKeys: [String: [String]] = [
        "launch": ["name", "zone", "t0", "timezone", "state_dir", "witness", "state"],
        "polling": ["interval", "timeout", "concurrency", "failure_threshold", "success_threshold"],
        "dns": ["nameservers", "parent", "records", "converged_when", "signature_warning", "caa_issuers", "rdap", "runbook"],
        "alarms": ["sources", "rules"],
        "aws": ["region", "endpoint", "placeholder_credentials", "checks"],
        "poll": ["order", "director", "allow_self_approval", "require_signatures"],
        "vantages": ["quorum", "stale_after", "points"],
    ]

    // MARK: The plan

    mutating func plan(_ root: YAMLNode) -> LaunchPlan? {
        guard let map = root.mapping(keys: [
            "version", "launch", "polling", "aws", "resolvers", "dns", "http", "tls", "commands", "metrics", "alarms", "notifications",
            "checklist", "roles", "approvers", "poll", "holds", "vantages", "windows",
        ], misplaced: { key in
            // A key of a section at the top: most often a line that lost its indentation.
            Self.sectionKeys.sorted { $0.key < $1.key }.first { $0.value.contains(key) }.map { "`\(key)` is a key of `\($0.key)`: indent it under `\($0.key):`" }
        }) else { return nil }
        if let version = map["version"], let number = version.int(in: 1...Int.max), number != 1 {
            version.report("this Flightdeck reads plan format version 1, not \(number)")
        }
        // A plan of checks only (no checklist, holds, roles or poll) has no go/no-go workflow;
        // once it has any of them, it needs them all.
        let workflow = ["checklist", "holds", "roles", "approvers", "poll"].contains { map[$0] != nil }
        // Roles first, so references to them can be checked wherever they appear.
        let roles = workflow ? map.required("roles")?.list { role($0) } : []
        let launch = map.required("launch").flatMap { launchSection($0) }
        // A section that fails to read falls back to its default here; its problems are
        // already reported, so no plan comes out of this read anyway.
        let polling = map["polling"].flatMap { pollingSettings($0) } ?? PollingSettings.defaults
        let resolvers = map["resolvers"]?.list { resolver($0) } ?? []
        let dns = map["dns"].flatMap { dnsSection($0) } ?? .empty
        if !dns.expectedNameservers.isEmpty, let dnsNode = map["dns"] {
            declared[.check, default: [:]][DelegationCheck.id] = dnsNode.location
            declared[.check, default: [:]][DNSSECCheck.id] = dnsNode.location
        }
        let http = map["http"]?.list { httpCheck($0) } ?? []
        let tls = map["tls"]?.list { tlsEndpoint($0) } ?? []
        let commands = map["commands"]?.list { commandCheck($0) } ?? []
        let awsMap = map["aws"]?.mapping(keys: Self.sectionKeys["aws"]!)
        let aws = awsMap.map(awsDefaults) ?? .none
        let metrics = map["metrics"]?.list { metricCheck($0, aws: aws) } ?? []
        let awsChecks = awsMap?["checks"]?.list { awsCheck($0, aws: aws, dns: dns, tls: tls) } ?? []
        let alarmsMap = map["alarms"]?.mapping(keys: Self.sectionKeys["alarms"]!)
        let alarms = alarmsMap?["sources"]?.list { alarmSource($0) } ?? []
        let rules = alarmsMap?["rules"].flatMap { alarmRules($0) } ?? AlarmRules.standard
        let notifications = map["notifications"]?.list { notificationTarget($0) } ?? []
        let checklist = map["checklist"]?.list { checklistItem($0) } ?? []
        let approvers = workflow ? map.required("approvers")?.list { approver($0) } : []
        let poll = workflow ? map.required("poll").flatMap { pollRules($0) } : PollRules.none
        let holds = map["holds"]?.list { hold($0) } ?? []
        if let poll, let approvers, let pollNode = map["poll"] {
            for decision in poll.requireSignatures.sorted(by: { $0.rawValue < $1.rawValue }) {
                let roles = decision == .finalGo ? [poll.director] : poll.order + [poll.director]
                let unsigned = roles.filter { role in !approvers.contains { $0.role == role && !$0.keys.isEmpty } }
                if let role = unsigned.first, decision == .finalGo || decision == .all || decision == .votes {
                    pollNode.report("the plan requires signatures for \(decision.rawValue), but no approver of `\(role)` lists `ssh_keys`",
                                    hint: "add each approver's public key (the line from ~/.ssh/id_ed25519.pub) under ssh_keys")
                    break
                }
            }
        }

        let vantages = map["vantages"].flatMap { vantageSettings($0) } ?? .defaults
        let windows = map["windows"]?.list { noiseWindow($0, timeZone: launch?.timeZone ?? .gmt) } ?? []

        guard let launch, let roles, let approvers, let poll else { return nil }
        var plan = LaunchPlan(
            name: launch.name, zone: launch.zone, t0: launch.t0, timeZone: launch.timeZone,
            stateDirectory: launch.stateDirectory, witness: launch.witness, database: launch.database, polling: polling, resolvers: resolvers, dns: dns,
            httpChecks: http, tlsEndpoints: tls, commandChecks: commands, metricChecks: metrics, awsChecks: awsChecks, aws: aws, alarmSources: alarms, alarmRules: rules, notifications: notifications, checklist: checklist,
            roles: roles, approvers: approvers, poll: poll, holds: holds)
        plan.vantages = vantages
        plan.runbooks = runbooks
        plan.windows = windows
        for (id, node) in vantageChecks {
            if let check = plan.checks.first(where: { $0.id == id }), !check.kind.isSeenFromVantages {
                node.report("`\(id)` is a \(check.kind.rawValue) check: it runs where the sessions run, not from vantages",
                            hint: "only dns, http and tls checks depend on the network that asks")
            }
        }
        if let points = vantagePoints, !vantages.points.isEmpty {
            let unrun = plan.checks.filter { check in check.kind.isSeenFromVantages && !vantages.points.contains { vantages.runs(check, from: $0.name) } }
            if !unrun.isEmpty {
                points.report("no vantage runs \(unrun.prefix(5).map { "`\($0.id)`" }.joined(separator: ", "))\(unrun.count > 5 ? " and \(unrun.count - 5) more" : "")",
                              hint: "list them under a vantage's `checks`, or give a vantage (`local` is every session's own host) no `checks` to run them all")
            }
        }
        return plan
    }

    /// `vantages:`: the quorum, how many heartbeats an agent may miss, and the points with
    /// the checks each runs.
    mutating func vantageSettings(_ node: YAMLNode) -> VantageSettings? {
        guard let map = node.mapping(keys: Self.sectionKeys["vantages"]!) else { return nil }
        let quorum = map["quorum"].map { $0.int(in: 1...64) } ?? 1
        let staleAfter = map["stale_after"].map { $0.int(in: 1...100) } ?? 3
        vantagePoints = map["points"]
        let points = map["points"]?.list { point -> VantagePoint? in
            guard let pointMap = point.mapping(keys: ["name", "checks"]) else { return nil }
            let name = declare(pointMap.required("name"), in: .vantage)
            var checks: [String]?
            if let checksNode = pointMap["checks"] {
                checks = (checksNode.list() ?? []).compactMap { element in
                    let id = reference(element, to: .check)
                    if let id { vantageChecks.append((id, element)) }
                    return id
                }
            }
            return name.map { VantagePoint(name: $0, checks: checks) }
        } ?? []
        guard let quorum, let staleAfter else { return nil }
        if let pointsNode = map["points"], points.isEmpty { pointsNode.report("declare at least one vantage, or leave `points` out") }
        return VantageSettings(points: points, quorum: quorum, staleAfter: staleAfter)
    }

    struct LaunchSection {
        var name: String, zone: DNSName, t0: Date, timeZone: TimeZone, stateDirectory: String?, witness: String?, database: SecretText?
    }

    mutating func launchSection(_ node: YAMLNode) -> LaunchSection? {
        guard let map = node.mapping(keys: Self.sectionKeys["launch"]!) else { return nil }
        let name = map.required("name")?.word()
        zone = map.required("zone")?.dnsName()
        let timeZone = map.required("timezone").flatMap(timeZone)
        let t0 = map.required("t0").flatMap { t0Node in timeZone.flatMap { launchTime(t0Node, in: $0) } }
        let stateDirectory = map["state_dir"]?.word()
        let witness = map["witness"]?.word()
        // libpq's URLs may leave the host out: the server's socket directory, by default or `?host=/run/postgresql`.
        let database = map["state"].flatMap { secretURL($0, schemes: ["postgresql", "postgres"], requiresHost: false) }
        guard let name, let zone, let timeZone, let t0 else { return nil }
        return LaunchSection(name: name, zone: zone, t0: t0, timeZone: timeZone, stateDirectory: stateDirectory, witness: witness,
                             database: database)
    }

    func timeZone(_ node: YAMLNode) -> TimeZone? {
        guard let text = node.word() else { return nil }
        if let zone = TimeZone(identifier: text), text.contains("/") || ["UTC", "GMT"].contains(text) {
            return zone
        }
        let known = TimeZone.knownTimeZoneIdentifiers
        let guess = closestMatch(to: text, among: known).map { "did you mean `\($0)`? " } ?? ""
        node.report("`\(text)` is not a time zone",
                    hint: "\(guess)use an IANA name such as Europe/London, America/New_York or UTC")
        return nil
    }

    /// T-0 as `2026-12-01T16:00`, `2026-12-01 16:00:00` or with an offset (`Z`, `+01:00`);
    /// without an offset it is a wall-clock time in the plan's time zone.
    func launchTime(_ node: YAMLNode, in zone: TimeZone) -> Date? {
        guard let text = node.string() else { return nil }
        let pattern = #/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/#
        guard let match = text.wholeMatch(of: pattern) else {
            node.report("`\(text)` is not a date and time",
                        hint: "write T-0 as 2026-12-01T16:00 (in the plan's timezone) or 2026-12-01T16:00Z")
            return nil
        }
        var components = DateComponents()
        components.year = Int(match.1)
        components.month = Int(match.2)
        components.day = Int(match.3)
        components.hour = Int(match.4)
        components.minute = Int(match.5)
        components.second = match.6.flatMap { Int($0) } ?? 0
        var calendar = Calendar(identifier: .gregorian)
        if let offset = match.7 {
            let seconds = offset == "Z" ? 0 : {
                let sign = offset.hasPrefix("-") ? -1 : 1
                let parts = offset.dropFirst().split(separator: ":").compactMap { Int($0) }
                return sign * (parts[0] * 3600 + parts[1] * 60)
            }()
            calendar.timeZone = TimeZone(secondsFromGMT: seconds) ?? zone
        } else {
            calendar.timeZone = zone
        }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0)!
        guard components.isValidDate(in: utc), let date = calendar.date(from: components) else {
            node.report("`\(text)` is not a real date or time")
            return nil
        }
        // A wall-clock time inside a daylight-saving gap silently moves; say so instead.
        let roundTrip = calendar.dateComponents([.hour, .minute], from: date)
        guard roundTrip.hour == components.hour, roundTrip.minute == components.minute else {
            node.report("`\(text)` does not exist in \(zone.identifier): the clocks skip it (daylight saving)")
            return nil
        }
        // A wall-clock time the clocks pass twice (a fall-back) is refused as the gap is:
        // which of the two is T-0 is the plan's to say, not the calendar's first guess.
        if match.7 == nil {
            let offsets = Set([zone.secondsFromGMT(for: date.addingTimeInterval(-43_200)), zone.secondsFromGMT(for: date.addingTimeInterval(43_200))])
            let wall = date.addingTimeInterval(TimeInterval(zone.secondsFromGMT(for: date)))
            let readings = offsets.map { wall.addingTimeInterval(-TimeInterval($0)) }
                .filter { zone.secondsFromGMT(for: $0) == Int(wall.timeIntervalSince($0)) }
            if Set(readings).count > 1 {
                let choices = readings.sorted().map { reading -> String in
                    let offset = zone.secondsFromGMT(for: reading)
                    return "\(text)\(offset < 0 ? "-" : "+")\(String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60))"
                }
                node.report("`\(text)` happens twice in \(zone.identifier): the clocks go back (daylight saving ends)",
                            hint: "add the offset: \(choices.joined(separator: " (the first) or ")) (the second)")
                return nil
            }
        }
        return date
    }

    func pollingSettings(_ node: YAMLNode) -> PollingSettings? {
        guard let map = node.mapping(keys: Self.sectionKeys["polling"]!) else {
            return nil
        }
        var settings = PollingSettings.defaults
        var valid = true
        func read<T>(_ key: String, _ reader: (YAMLNode) -> T?, into field: WritableKeyPath<PollingSettings, T>) {
            guard let node = map[key] else { return }
            if let value = reader(node) { settings[keyPath: field] = value } else { valid = false }
        }
        read("interval", positiveDuration, into: \.interval)
        read("timeout", positiveDuration, into: \.timeout)
        read("concurrency", { $0.int(in: 1...4096) }, into: \.concurrency)
        read("failure_threshold", { $0.int(in: 1...100) }, into: \.failureThreshold)
        read("success_threshold", { $0.int(in: 1...100) }, into: \.successThreshold)
        return valid ? settings : nil
    }

    func positiveDuration(_ node: YAMLNode) -> Duration? {
        guard let duration = node.duration() else { return nil }
        guard duration > .zero else {
            node.report("this must be longer than zero")
            return nil
        }
        return duration
    }

    /// The per-check `interval` and `timeout` keys.
    func timing(_ map: YAMLMapping) -> ProbeTiming {
        ProbeTiming(interval: map["interval"].flatMap(positiveDuration), timeout: map["timeout"].flatMap(positiveDuration))
    }

    static let timingKeys = ["interval", "timeout"]

}

/// What every section reader shares: the default severity, URLs, and the files a plan names.
extension PlanReading {
    func severityOrDefault(_ map: YAMLMapping) -> Severity? {
        guard let node = map["severity"] else { return .blocker }
        return node.choice(Severity.self, named: "severity")
    }

    func webURL(_ node: YAMLNode, schemes: [String]) -> URL? {
        guard let text = node.word() else { return nil }
        return validatedURL(text, shownAs: text, at: node, schemes: schemes)
    }

    /// A URL that may hold secrets: checked with them resolved, reported without them.
    func secretURL(_ node: YAMLNode, schemes: [String], requiresHost: Bool = true) -> SecretText? {
        guard let text = node.secretText(environment: environment) else { return nil }
        // Linting without the secrets (already a warning): what the URL will be is not known here.
        if !Set(SecretText.references(in: text.template)).subtracting(text.secretValues.keys).isEmpty { return text }
        guard validatedURL(text.value, shownAs: text.template, at: node, schemes: schemes, requiresHost: requiresHost) != nil else { return nil }
        if let password = URLComponents(string: text.template)?.password, SecretText.references(in: password).isEmpty {
            node.report("this URL holds a literal password", hint: "write the password as ${ENV_NAME}")
            return nil
        }
        return text
    }

    func validatedURL(_ text: String, shownAs shown: String, at node: YAMLNode, schemes: [String], requiresHost: Bool = true) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              !requiresHost || !(url.host ?? "").isEmpty else {
            node.report("`\(shown)` is not a URL", hint: "write a full URL such as https://api.example.com/health")
            return nil
        }
        guard schemes.contains(scheme) else {
            node.report("`\(scheme)` URLs are not supported here", hint: "use \(schemes.joined(separator: " or "))")
            return nil
        }
        if let port = url.port, !(1...65535).contains(port) {
            node.report("`\(port)` is not a port", hint: "a port is a number from 1 to 65535")
            return nil
        }
        return url
    }

    /// Header names that always carry a credential, and words that give one away.
    func existingFile(_ node: YAMLNode) -> String? {
        guard let path = node.word() else { return nil }
        guard let files else { return path }
        let absolute = path.hasPrefix("/") ? path : "\(files.directory)/\(path)"
        guard files.isReadable(absolute) else {
            node.report("cannot read `\(path)`", hint: "paths are relative to the plan's directory")
            return nil
        }
        return path
    }
}
