import Foundation

/// Reads a launch plan from YAML text, reporting every problem at once.
public struct PlanLoader: Sendable {
    /// Where `${NAME}` references are looked up.
    public var environment: [String: String]
    /// The directory relative paths in the plan are relative to; when set, files the plan
    /// names (CA files, client certificates) must exist there.
    public var planDirectory: String?

    public init(environment: [String: String], planDirectory: String? = nil) {
        self.environment = environment
        self.planDirectory = planDirectory
    }

    /// Loads a plan from `text`, naming `file` in every diagnostic.
    public func load(text: String, file: String) -> Result<LaunchPlan, PlanLoadError> {
        let document = YAMLDocument(file: file, text: text)
        guard let root = document.root else { return .failure(PlanLoadError(document.diagnostics)) }
        var reading = PlanReading(environment: environment, planDirectory: planDirectory)
        let plan = reading.plan(root)
        reading.resolveReferences()
        if let plan, document.diagnostics.isEmpty { return .success(plan) }
        return .failure(PlanLoadError(document.diagnostics))
    }

    /// Loads the plan at `path`, resolving relative paths in it against its directory.
    public static func load(path: String, environment: [String: String]) -> Result<LaunchPlan, PlanLoadError> {
        let start = SourceLocation(line: 1, column: 1)
        func failure(_ message: String, hint: String? = nil) -> Result<LaunchPlan, PlanLoadError> {
            .failure(PlanLoadError([PlanDiagnostic(file: path, location: start, path: "", message: message, hint: hint)]))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return failure("no such file")
        }
        guard !isDirectory.boolValue else { return failure("this is a directory, not a plan file") }
        guard let data = FileManager.default.contents(atPath: path) else { return failure("cannot read the file (permissions?)") }
        guard data.count <= maximumPlanBytes else {
            return failure("the file is \(data.count) bytes; a plan is at most \(maximumPlanBytes)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return failure("the file is not UTF-8 text", hint: "save the plan as UTF-8")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return PlanLoader(environment: environment, planDirectory: directory).load(text: text, file: path)
    }

    public static let maximumPlanBytes = 4 << 20
}

/// The state of one read of a plan: the ids declared so far and the references to check once
/// everything is declared.
private struct PlanReading {
    let environment: [String: String]
    let planDirectory: String?

    enum Namespace: String {
        case check, checklistItem = "checklist item", role, resolver, alarmSource = "alarm source", approver
        case notification = "notification target"
    }

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

    init(environment: [String: String], planDirectory: String?) {
        self.environment = environment
        self.planDirectory = planDirectory
    }

    // MARK: Ids and references

    /// Reads an id and records it, reporting a duplicate in the same namespace.
    /// Approvers are declared by name, which is free text; every other id is a short word.
    mutating func declare(_ node: YAMLNode?, in namespace: Namespace) -> String? {
        guard let node, let id = node.word() else { return nil }
        if namespace != .approver, !Self.isValidID(id) {
            node.report("`\(id)` is not a valid id",
                        hint: "ids are up to 64 letters, digits, `-`, `_` and `.`, starting with a letter or digit")
            return nil
        }
        if namespace == .check, id == DelegationCheck.id {
            node.report("`\(id)` is the id of the delegation check Flightdeck adds itself", hint: "choose another id")
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
        for (namespace, id, node) in references where declared[namespace]?[id] == nil {
            let known = Array(declared[namespace, default: [:]].keys).sorted()
            let hint = closestMatch(to: id, among: known).map { "did you mean `\($0)`?" }
                ?? (known.isEmpty ? "the plan declares no \(namespace.rawValue)s"
                    : "declared: \(known.prefix(12).joined(separator: ", "))")
            node.report("no \(namespace.rawValue) has the id `\(id)`", hint: hint)
        }
    }

    // MARK: The plan

    mutating func plan(_ root: YAMLNode) -> LaunchPlan? {
        guard let map = root.mapping(keys: [
            "version", "launch", "polling", "resolvers", "dns", "http", "tls", "alarms", "notifications",
            "checklist", "roles", "approvers", "poll", "holds",
        ]) else { return nil }
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
        }
        let http = map["http"]?.list { httpCheck($0) } ?? []
        let tls = map["tls"]?.list { tlsEndpoint($0) } ?? []
        let alarmsMap = map["alarms"]?.mapping(keys: ["sources", "rules"])
        let alarms = alarmsMap?["sources"]?.list { alarmSource($0) } ?? []
        let rules = alarmsMap?["rules"].flatMap { alarmRules($0) } ?? AlarmRules.standard
        let notifications = map["notifications"]?.list { notificationTarget($0) } ?? []
        let checklist = map["checklist"]?.list { checklistItem($0) } ?? []
        let approvers = workflow ? map.required("approvers")?.list { approver($0) } : []
        let poll = workflow ? map.required("poll").flatMap { pollRules($0) } : PollRules.none
        let holds = map["holds"]?.list { hold($0) } ?? []

        guard let launch, let roles, let approvers, let poll else { return nil }
        return LaunchPlan(
            name: launch.name, zone: launch.zone, t0: launch.t0, timeZone: launch.timeZone,
            stateDirectory: launch.stateDirectory, polling: polling, resolvers: resolvers, dns: dns,
            httpChecks: http, tlsEndpoints: tls, alarmSources: alarms, alarmRules: rules, notifications: notifications, checklist: checklist,
            roles: roles, approvers: approvers, poll: poll, holds: holds)
    }

    private struct LaunchSection {
        var name: String, zone: DNSName, t0: Date, timeZone: TimeZone, stateDirectory: String?
    }

    private mutating func launchSection(_ node: YAMLNode) -> LaunchSection? {
        guard let map = node.mapping(keys: ["name", "zone", "t0", "timezone", "state_dir"]) else { return nil }
        let name = map.required("name")?.word()
        zone = map.required("zone")?.dnsName()
        let timeZone = map.required("timezone").flatMap(timeZone)
        let t0 = map.required("t0").flatMap { t0Node in timeZone.flatMap { launchTime(t0Node, in: $0) } }
        let stateDirectory = map["state_dir"]?.word()
        guard let name, let zone, let timeZone, let t0 else { return nil }
        return LaunchSection(name: name, zone: zone, t0: t0, timeZone: timeZone, stateDirectory: stateDirectory)
    }

    private func timeZone(_ node: YAMLNode) -> TimeZone? {
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
    private func launchTime(_ node: YAMLNode, in zone: TimeZone) -> Date? {
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
        return date
    }

    private func pollingSettings(_ node: YAMLNode) -> PollingSettings? {
        guard let map = node.mapping(keys: ["interval", "timeout", "concurrency", "failure_threshold", "success_threshold"]) else {
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

    private func positiveDuration(_ node: YAMLNode) -> Duration? {
        guard let duration = node.duration() else { return nil }
        guard duration > .zero else {
            node.report("this must be longer than zero")
            return nil
        }
        return duration
    }

    /// The per-check `interval` and `timeout` keys.
    private func timing(_ map: YAMLMapping) -> ProbeTiming {
        ProbeTiming(interval: map["interval"].flatMap(positiveDuration), timeout: map["timeout"].flatMap(positiveDuration))
    }

    private static let timingKeys = ["interval", "timeout"]

    // MARK: Resolvers

    private mutating func resolver(_ node: YAMLNode) -> Resolver? {
        guard let map = node.mapping(keys: ["name", "address", "transport", "url", "tls_name", "ca_file", "timeout"]) else { return nil }
        let name = declare(map.required("name"), in: .resolver)
        let transport = map["transport"].map { $0.choice(Resolver.Transport.self, named: "DNS transport") } ?? .udp
        let address = map["address"]?.address()
        let timeout = map["timeout"].flatMap(positiveDuration)
        var url: URL?
        if let urlNode = map["url"] {
            if transport == .https {
                url = webURL(urlNode, schemes: ["https"])
            } else {
                urlNode.report("`url` is only for resolvers with transport https")
            }
        } else if transport == .https {
            node.report("missing required key `url`", hint: "a DNS-over-HTTPS resolver needs its URL, like https://dns.example/dns-query")
        }
        if map["address"] == nil, transport != .https {
            node.report("missing required key `address`", hint: "the resolver's IP address, with an optional port: 192.0.2.53 or [2001:db8::53]:53")
        }
        var tlsName: DNSName?
        if let tlsNameNode = map["tls_name"] {
            if transport == .tls { tlsName = tlsNameNode.dnsName() } else { tlsNameNode.report("`tls_name` is only for resolvers with transport tls") }
        }
        var caFile: String?
        if let caNode = map["ca_file"] {
            if transport == .tls || transport == .https { caFile = existingFile(caNode) } else { caNode.report("`ca_file` is only for resolvers with transport tls or https") }
        }
        guard let name, let transport else { return nil }
        return Resolver(name: name, transport: transport, address: address, url: url, tlsName: tlsName, caFile: caFile, timeout: timeout)
    }

    // MARK: DNS

    private mutating func dnsSection(_ node: YAMLNode) -> DNSExpectations? {
        guard let map = node.mapping(keys: ["nameservers", "parent", "records", "converged_when"]) else { return nil }
        var expectations = DNSExpectations.empty
        if let nameservers = map["nameservers"]?.mapping(keys: ["expected", "previous"]) {
            expectations.expectedNameservers = nameservers.required("expected")?.list(nameserver) ?? []
            expectations.previousNameservers = nameservers["previous"]?.list(nameserver) ?? []
        }
        expectations.parentServers = map["parent"]?.list(nameserver) ?? []
        expectations.records = map["records"]?.list { record($0) } ?? []
        if let quorumNode = map["converged_when"] {
            guard let quorum = Self.quorum(quorumNode.scalarText() ?? "") else {
                quorumNode.report("`\(quorumNode.scalarText() ?? "")` is not a convergence rule",
                                  hint: "`all answering` (the default: resolvers that fail are named, not waited for), `all resolvers`, or a share such as `90%`")
                return expectations
            }
            expectations.quorum = quorum
        }
        return expectations
    }

    private static func quorum(_ text: String) -> ConvergenceQuorum? {
        switch text.lowercased() {
        case "all answering": return .allAnswering
        case "all resolvers", "all": return .allResolvers
        default:
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else { return nil }
            return .atLeast(percent / 100)
        }
    }

    /// A nameserver as a bare name, or `{name, addresses}`.
    private func nameserver(_ node: YAMLNode) -> Nameserver? {
        if case .scalar = node.node {
            return node.dnsName().map { Nameserver(name: $0) }
        }
        guard let map = node.mapping(keys: ["name", "addresses"]) else { return nil }
        let name = map.required("name")?.dnsName()
        let addresses = map["addresses"]?.list { $0.address() } ?? []
        return name.map { Nameserver(name: $0, addresses: addresses) }
    }

    private mutating func record(_ node: YAMLNode) -> DNSRecordExpectation? {
        guard let map = node.mapping(keys: ["id", "name", "type", "expected", "previous", "severity"] + Self.timingKeys) else {
            return nil
        }
        let id = declare(map.required("id"), in: .check)
        let name = map.required("name").flatMap(recordName)
        let type = map.required("type")?.parse(DNSRecordType.parse)
        let expected = map.required("expected").flatMap { expectedNode -> [String]? in
            if case .sequence(let values) = expectedNode.node, values.isEmpty {
                expectedNode.report("a record needs at least one expected value")
                return nil
            }
            return recordValues(expectedNode, type: type)
        }
        let previous = map["previous"].flatMap { recordValues($0, type: type) } ?? []
        let severity = severityOrDefault(map)
        guard let id, let name, let type, let expected, let severity else { return nil }
        return DNSRecordExpectation(id: id, name: name, type: type, expected: expected, previous: previous,
                                    severity: severity, timing: timing(map))
    }

    /// `@` is the zone apex, a name ending in the zone is absolute, anything else is relative
    /// to the zone (`www`).
    private func recordName(_ node: YAMLNode) -> DNSName? {
        guard let text = node.string(), let zone else { return nil }
        let absolute: String
        if text == "@" {
            absolute = zone.text
        } else if text.hasSuffix(".") || text.lowercased() == zone.text || text.lowercased().hasSuffix("." + zone.text) {
            absolute = text
        } else {
            // `www.other.test` would silently become `www.other.test.<zone>`.
            if let last = text.split(separator: ".").last.map({ $0.lowercased() }), text.contains("."),
               last == zone.labels.last?.lowercased() || Self.commonTopLevelDomains.contains(last) {
                node.report("`\(text)` looks like a full name, but names without a final dot are relative to the zone: it would mean \(text).\(zone.text)",
                            hint: "end it with a dot (`\(text).`) if that is the name, or write it as a name inside \(zone.text)")
                return nil
            }
            absolute = "\(text).\(zone.text)"
        }
        switch DNSName.parse(absolute, allowWildcard: true) {
        case .success(let name):
            guard name.isWithin(zone) else {
                node.report("`\(text)` is outside the zone \(zone)")
                return nil
            }
            return name
        case .failure(let error):
            node.report(error)
            return nil
        }
    }

    /// Last labels that mark a relative record name as probably meant to be a full one.
    private static let commonTopLevelDomains: Set<String> = [
        "com", "net", "org", "io", "dev", "app", "co", "uk", "de", "fr", "eu", "us", "info", "biz", "cloud", "test", "example",
    ]

    private func recordValues(_ node: YAMLNode, type: DNSRecordType?) -> [String]? {
        node.list { valueNode in
            guard let value = valueNode.string() else { return nil }
            if let error = type?.validate(value: value) {
                valueNode.report(error)
                return nil
            }
            return value
        }
    }

    private func severityOrDefault(_ map: YAMLMapping) -> Severity? {
        guard let node = map["severity"] else { return .blocker }
        return node.choice(Severity.self, named: "severity")
    }

    // MARK: HTTP

    private mutating func httpCheck(_ node: YAMLNode) -> HTTPCheck? {
        guard let map = node.mapping(keys: [
            "id", "name", "mode", "severity", "method", "url", "headers", "body", "expect",
            "follow_redirects", "connect_to", "ip_version", "http_version", "ca_file",
            "client_cert", "client_key", "proxy", "live",
        ] + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        let name = map["name"]?.word()
        let mode = map["mode"].map { $0.choice(HTTPCheck.Mode.self, named: "check mode") } ?? .request
        let severity = severityOrDefault(map)
        let method = map["method"].map(httpMethod) ?? "GET"
        let schemes = mode == .websocket ? ["ws", "wss"] : ["http", "https"]
        if mode == .websocket, let urlNode = map["url"], let text = urlNode.scalarText()?.lowercased(),
           text.hasPrefix("http://") || text.hasPrefix("https://") {
            urlNode.report("a WebSocket check's URL is ws:// or wss://, not \(text.hasPrefix("https") ? "https" : "http")://",
                           hint: "write wss:// for a WebSocket over TLS (what https:// would be), ws:// for one without")
            return nil
        }
        let url = map.required("url").flatMap { secretURL($0, schemes: schemes) }
        let headers = map["headers"].map(requestHeaders) ?? []
        let body = map["body"]?.secretText(environment: environment)
        let defaultStatuses = mode == .websocket ? [101...101] : HTTPExpectations.defaultStatuses
        let expect = map["expect"].map { expectations($0, defaultStatuses: defaultStatuses) }
            ?? HTTPExpectations(statuses: defaultStatuses, bodyContains: [], bodyMatches: nil, json: [], headers: [],
                                redirectTo: nil, latencyBudget: nil)
        let followRedirects = map["follow_redirects"].map { $0.bool() } ?? false
        if followRedirects == true, expect?.redirectTo != nil {
            map["follow_redirects"]?.report("`follow_redirects` and `expect.redirect_to` contradict each other",
                                            hint: "to assert a redirect, do not follow it")
        }
        let connectTo = map["connect_to"]?.address()
        let ipVersion = map["ip_version"].map { $0.choice(HTTPCheck.IPVersion.self, named: "IP version") } ?? .any
        let httpVersion = map["http_version"]?.choice(HTTPCheck.HTTPVersion.self, named: "HTTP version")
        let caFile = map["ca_file"].flatMap(existingFile)
        let clientCertificate = map["client_cert"].flatMap(existingFile)
        let clientKey = map["client_key"].flatMap(existingFile)
        if map["client_key"] != nil, map["client_cert"] == nil {
            map["client_key"]?.report("`client_key` needs `client_cert` beside it")
        }
        let proxy = map["proxy"]?.secretText(environment: environment)
        let live = map["live"].map { $0.bool() } ?? false
        if map["live"] != nil, mode != .hls {
            map["live"]?.report("`live` is only for checks with mode hls")
        }
        guard let id, let mode, let severity, let method, let url, let expect, let followRedirects,
              let ipVersion, let live else { return nil }
        return HTTPCheck(
            id: id, name: name, mode: mode, severity: severity, method: method, url: url, headers: headers,
            body: body, expect: expect, followRedirects: followRedirects, connectTo: connectTo, ipVersion: ipVersion,
            httpVersion: httpVersion, caFile: caFile, clientCertificate: clientCertificate, clientKey: clientKey,
            proxy: proxy, liveStream: live, timing: timing(map))
    }

    private func httpMethod(_ node: YAMLNode) -> String? {
        guard let method = node.word() else { return nil }
        guard method.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            node.report("`\(method)` is not an HTTP method", hint: "methods are upper case: GET, HEAD, POST")
            return nil
        }
        return method
    }

    private func webURL(_ node: YAMLNode, schemes: [String]) -> URL? {
        guard let text = node.word() else { return nil }
        return validatedURL(text, shownAs: text, at: node, schemes: schemes)
    }

    /// A URL that may hold secrets: checked with them resolved, reported without them.
    private func secretURL(_ node: YAMLNode, schemes: [String]) -> SecretText? {
        guard let text = node.secretText(environment: environment) else { return nil }
        guard validatedURL(text.value, shownAs: text.template, at: node, schemes: schemes) != nil else { return nil }
        if let password = URLComponents(string: text.template)?.password, SecretText.references(in: password).isEmpty {
            node.report("this URL holds a literal password", hint: "write the password as ${ENV_NAME}")
            return nil
        }
        return text
    }

    private func validatedURL(_ text: String, shownAs shown: String, at node: YAMLNode, schemes: [String]) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
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
    private static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie"]
    private static let credentialWords = ["token", "secret", "password", "api-key", "apikey", "api_key", "auth"]

    private func requestHeaders(_ node: YAMLNode) -> [HTTPHeader] {
        (node.entries() ?? []).compactMap { name, keyNode, valueNode in
            guard isHeaderName(name) else {
                keyNode.report("`\(name)` is not an HTTP header name", hint: "header names are letters, digits and `-`")
                return nil
            }
            guard let value = valueNode.secretText(environment: environment) else { return nil }
            let lowered = name.lowercased()
            if !value.referencesSecrets,
               Self.credentialHeaders.contains(lowered) || Self.credentialWords.contains(where: lowered.contains) {
                valueNode.report("the header `\(name)` carries a credential written literally in the plan",
                                 hint: "write it as ${ENV_NAME} and export the variable, so the plan holds no secret")
                return nil
            }
            return HTTPHeader(name: name, value: value)
        }
    }

    private func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
    }

    private func expectations(_ node: YAMLNode, defaultStatuses: [ClosedRange<Int>]) -> HTTPExpectations? {
        guard let map = node.mapping(keys: [
            "status", "body_contains", "body_matches", "json", "headers", "redirect_to", "latency_budget",
        ]) else { return nil }
        let statuses = map["status"].map(statusRanges) ?? defaultStatuses
        let bodyContains = map["body_contains"].map(oneOrMany) ?? []
        var bodyMatches: String?
        if let regexNode = map["body_matches"], let pattern = regexNode.string() {
            do {
                _ = try NSRegularExpression(pattern: pattern)
                bodyMatches = pattern
            } catch {
                regexNode.report("`\(pattern)` is not a valid regular expression")
            }
        }
        let json = map["json"].map { jsonNode in
            (jsonNode.entries() ?? []).compactMap { path, _, value -> JSONExpectation? in
                value.scalarText().map { JSONExpectation(path: path, equals: $0) }
            }
        } ?? []
        let headers = map["headers"].map(headerExpectations) ?? []
        let redirectTo = map["redirect_to"].flatMap { webURL($0, schemes: ["http", "https"]) }?.absoluteString
        let latencyBudget = map["latency_budget"].flatMap(positiveDuration)
        guard let statuses else { return nil }
        return HTTPExpectations(statuses: statuses, bodyContains: bodyContains, bodyMatches: bodyMatches, json: json,
                                headers: headers, redirectTo: redirectTo, latencyBudget: latencyBudget)
    }

    /// One value or a list of them.
    private func oneOrMany(_ node: YAMLNode) -> [String] {
        if case .sequence = node.node { return node.list { $0.string() } ?? [] }
        return node.string().map { [$0] } ?? []
    }

    /// Status codes as `200`, `"200-299"`, `2xx` or a list of them.
    private func statusRanges(_ node: YAMLNode) -> [ClosedRange<Int>]? {
        let elements: [YAMLNode]
        if case .sequence = node.node { elements = node.list() ?? [] } else { elements = [node] }
        var ranges: [ClosedRange<Int>] = []
        for element in elements {
            guard let text = element.scalarText() else { return nil }
            let range: ClosedRange<Int>?
            if let code = Int(text) {
                range = code...code
            } else if text.count == 3, text.hasSuffix("xx"), let hundred = Int(text.prefix(1)) {
                range = (hundred * 100)...(hundred * 100 + 99)
            } else {
                let bounds = text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                range = bounds.count == 2 && bounds[0] <= bounds[1] ? bounds[0]...bounds[1] : nil
            }
            guard let range, range.lowerBound >= 100, range.upperBound <= 599 else {
                element.report("`\(text)` is not an HTTP status", hint: "write 200, 2xx or 200-299; statuses run from 100 to 599")
                return nil
            }
            ranges.append(range)
        }
        guard !ranges.isEmpty else {
            node.report("at least one status is needed")
            return nil
        }
        return ranges
    }

    private func headerExpectations(_ node: YAMLNode) -> [HeaderExpectation] {
        (node.entries() ?? []).compactMap { name, keyNode, value in
            guard isHeaderName(name) else {
                keyNode.report("`\(name)` is not an HTTP header name")
                return nil
            }
            guard let map = value.mapping(keys: ["present", "absent", "equals", "contains"]) else { return nil }
            let conditions: [HeaderExpectation.Condition] = [
                map["present"].flatMap { $0.bool() == true ? .present : nil },
                map["absent"].flatMap { $0.bool() == true ? .absent : nil },
                map["equals"].flatMap { $0.string() }.map { .equals($0) },
                map["contains"].flatMap { $0.string() }.map { .contains($0) },
            ].compactMap { $0 }
            guard conditions.count == 1 else {
                value.report("give exactly one of present: true, absent: true, equals or contains")
                return nil
            }
            return HeaderExpectation(name: name, condition: conditions[0])
        }
    }

    private func existingFile(_ node: YAMLNode) -> String? {
        guard let path = node.word() else { return nil }
        guard let planDirectory else { return path }
        let absolute = path.hasPrefix("/") ? path : "\(planDirectory)/\(path)"
        guard FileManager.default.isReadableFile(atPath: absolute) else {
            node.report("cannot read `\(path)`", hint: "paths are relative to the plan's directory")
            return nil
        }
        return path
    }

    // MARK: TLS

    private mutating func tlsEndpoint(_ node: YAMLNode) -> TLSEndpoint? {
        guard let map = node.mapping(keys: [
            "id", "host", "port", "address", "covers", "warning_days", "critical_days", "ip_version",
            "ca_file", "ocsp_stapling", "min_version", "severity",
        ] + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        let host = map.required("host")?.dnsName()
        let port = map["port"].map { $0.int(in: 1...65535) } ?? 443
        let address = map["address"]?.address()
        if let address, let addressPort = address.port, let portNode = map["port"] {
            portNode.report("port is given twice: `port` and the port in `address` (\(addressPort))",
                            hint: "give it once: `address: \(address.host)` with `port`, or the address with its port alone")
        }
        let covers = map["covers"].map { $0.list { $0.dnsName(allowWildcard: true) } } ?? host.map { [$0] }
        let warningDays = map["warning_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultWarningDays
        let criticalDays = map["critical_days"].map { $0.int(in: 0...3650) } ?? TLSEndpoint.defaultCriticalDays
        if let warningDays, let criticalDays, criticalDays > warningDays {
            (map["critical_days"] ?? node).report(
                "critical_days (\(criticalDays)) is more than warning_days (\(warningDays))",
                hint: "the warning comes first: warning_days must be the larger")
        }
        let ipVersion = map["ip_version"].map { $0.choice(HTTPCheck.IPVersion.self, named: "IP version") } ?? .any
        let caFile = map["ca_file"].flatMap(existingFile)
        let stapling = map["ocsp_stapling"].map { $0.bool() } ?? false
        let minimumVersion = map["min_version"].map { $0.choice(TLSEndpoint.MinimumVersion.self, named: "TLS version") } ?? .tls1_2
        let severity = severityOrDefault(map)
        guard let id, let host, let port, let covers, let warningDays, let criticalDays, criticalDays <= warningDays,
              let ipVersion, let stapling, let minimumVersion, let severity else { return nil }
        return TLSEndpoint(
            id: id, host: host, port: UInt16(address?.port ?? UInt16(port)), address: address, covers: covers, warningDays: warningDays,
            criticalDays: criticalDays, expiryDaysFromPlan: map["warning_days"] != nil || map["critical_days"] != nil, ipVersion: ipVersion, caFile: caFile, requireStapling: stapling,
            minimumVersion: minimumVersion, severity: severity, timing: timing(map))
    }

    // MARK: Alarms

    private static let alarmKeys: [String: [String]] = [
        "cloudwatch": ["region", "name_prefix", "endpoint"],
        "alertmanager": ["url", "matchers"],
        "json": ["url", "headers", "fields"],
    ]

    private static let notificationKeys: [String: [String]] = [
        "webhook": ["url"],
        "sns": ["topic_arn", "region", "endpoint"],
        "email": ["url", "from", "to"],
    ]

    private static func allKeys(_ keysByKind: [String: [String]]) -> [String] {
        Set(keysByKind.values.flatMap { $0 }).sorted()
    }

    /// The `kind` of a section whose kind decides which keys it takes: an unknown kind, or
    /// a key that belongs to another kind, is reported here.
    private func kind(of map: YAMLMapping, keysByKind: [String: [String]], noun: String, plural: String) -> String? {
        guard let kindName = map.required("kind")?.scalarText() else { return nil }
        guard let allowed = keysByKind[kindName] else {
            let guess = closestMatch(to: kindName, among: Array(keysByKind.keys)).map { " (did you mean `\($0)`?)" } ?? ""
            let article = noun.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            map["kind"]?.report("`\(kindName)` is not \(article) \(noun) kind\(guess)",
                                hint: "expected one of \(keysByKind.keys.sorted().joined(separator: ", "))")
            return nil
        }
        for key in Self.allKeys(keysByKind) where !allowed.contains(key) {
            map[key]?.report("`\(key)` is not used by \(kindName) \(plural)", hint: "\(kindName) \(plural) take \(allowed.joined(separator: ", "))")
        }
        return kindName
    }

    private mutating func notificationTarget(_ node: YAMLNode) -> NotificationTarget? {
        guard let map = node.mapping(keys: ["id", "kind", "on"] + Self.allKeys(Self.notificationKeys)) else { return nil }
        let id = declare(map.required("id"), in: .notification)
        guard let kindName = kind(of: map, keysByKind: Self.notificationKeys, noun: "notification", plural: "notifications") else { return nil }
        let kind: NotificationTarget.Kind?
        switch kindName {
        case "webhook":
            kind = map.required("url").flatMap { secretURL($0, schemes: ["http", "https"]) }.map { .webhook(url: $0) }
        case "sns":
            let arn = map.required("topic_arn")?.word().flatMap { arn -> String? in
                guard arn.wholeMatch(of: #/arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}/#) != nil else {
                    map["topic_arn"]?.report("`\(arn)` is not an SNS topic ARN", hint: "arn:aws:sns:REGION:ACCOUNT:TOPIC")
                    return nil
                }
                return arn
            }
            let region = map.required("region").flatMap(awsRegion)
            let endpoint = map["endpoint"].flatMap { webURL($0, schemes: ["http", "https"]) }
            kind = arn.flatMap { arn in region.map { .sns(topicArn: arn, region: $0, endpoint: endpoint) } }
        default:
            let url = map.required("url").flatMap { secretURL($0, schemes: ["smtp", "smtps"]) }
            let from = map.required("from").flatMap(mailbox)
            let recipients = map.required("to")?.list()
            if recipients?.isEmpty == true { map["to"]?.report("an email needs at least one recipient") }
            let to = recipients?.compactMap(mailbox)
            kind = url.flatMap { url in from.flatMap { from in to.flatMap { $0.isEmpty ? nil : .email(url: url, from: from, to: $0) } } }
        }
        var events = Set(NotificationTarget.Event.allCases)
        if let onNode = map["on"] {
            events = Set(onNode.list { node -> NotificationTarget.Event? in
                guard let word = node.word(), let event = NotificationTarget.Event(rawValue: word) else {
                    node.report("`\(node.scalarText() ?? "")` is not something to notify on",
                                hint: NotificationTarget.Event.allCases.map(\.rawValue).joined(separator: ", "))
                    return nil
                }
                return event
            } ?? [])
        }
        guard let id, let kind else { return nil }
        return NotificationTarget(id: id, kind: kind, events: events)
    }

    private func mailbox(_ node: YAMLNode) -> String? {
        guard let text = node.scalarText() else { return nil }
        guard text.wholeMatch(of: #/[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+/#) != nil else {
            node.report("`\(text)` is not an email address")
            return nil
        }
        return text
    }

    private static let ruleKeys = ["red_polls", "latency_window", "stall_window", "flap_changes", "flap_window", "severity", "enabled"]

    /// `alarms.rules`: the rules' settings for every check, then per check under `checks`.
    private mutating func alarmRules(_ node: YAMLNode) -> AlarmRules? {
        guard let map = node.mapping(keys: Self.ruleKeys + ["checks"]) else { return nil }
        guard let defaults = ruleSettings(map, over: .defaults) else { return nil }
        var rules = AlarmRules(defaults: defaults, checks: [:])
        for (_, keyNode, value) in map["checks"]?.entries() ?? [] {
            guard let id = reference(keyNode, to: .check), let checkMap = value.mapping(keys: Self.ruleKeys),
                  let settings = ruleSettings(checkMap, over: defaults) else { continue }
            rules.checks[id] = settings
        }
        return rules
    }

    private func ruleSettings(_ map: YAMLMapping, over base: AlarmRuleSettings) -> AlarmRuleSettings? {
        var settings = base
        var valid = true
        func read<T>(_ key: String, _ reader: (YAMLNode) -> T?, into field: WritableKeyPath<AlarmRuleSettings, T>) {
            guard let node = map[key] else { return }
            if let value = reader(node) { settings[keyPath: field] = value } else { valid = false }
        }
        read("red_polls", { $0.int(in: 1...1000) }, into: \.redPolls)
        read("latency_window", positiveDuration, into: \.latencyWindow)
        read("stall_window", positiveDuration, into: \.stallWindow)
        read("flap_changes", { $0.int(in: 2...1000) }, into: \.flapChanges)
        read("flap_window", positiveDuration, into: \.flapWindow)
        read("enabled", { $0.bool() }, into: \.enabled)
        if let node = map["severity"] {
            if let word = node.word(), let severity = AlarmSeverity(rawValue: word) {
                settings.severity = severity
            } else {
                node.report("`\(node.scalarText() ?? "")` is not an alarm severity", hint: "critical, warning or info")
                valid = false
            }
        }
        return valid ? settings : nil
    }

    private mutating func alarmSource(_ node: YAMLNode) -> AlarmSource? {
        guard let map = node.mapping(keys: ["id", "kind"] + Self.allKeys(Self.alarmKeys) + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .alarmSource)
        guard let kindName = kind(of: map, keysByKind: Self.alarmKeys, noun: "alarm source", plural: "sources") else { return nil }
        let kind: AlarmSource.Kind?
        switch kindName {
        case "cloudwatch":
            let region = map.required("region").flatMap(awsRegion)
            let prefix = map["name_prefix"]?.word()
            let endpoint = map["endpoint"].flatMap { webURL($0, schemes: ["http", "https"]) }
            kind = region.map { .cloudwatch(region: $0, namePrefix: prefix, endpoint: endpoint) }
        case "alertmanager":
            let url = map.required("url").flatMap { secretURL($0, schemes: ["http", "https"]) }
            let matchers = map["matchers"]?.list { $0.string() } ?? []
            kind = url.map { .alertmanager(url: $0, matchers: matchers) }
        default:
            let url = map.required("url").flatMap { secretURL($0, schemes: ["http", "https"]) }
            let headers = map["headers"].map(requestHeaders) ?? []
            let mapping = map.required("fields").flatMap(jsonAlarmMapping)
            kind = url.flatMap { url in mapping.map { .json(url: url, headers: headers, mapping: $0) } }
        }
        guard let id, let kind else { return nil }
        return AlarmSource(id: id, kind: kind, timing: timing(map))
    }

    private func awsRegion(_ node: YAMLNode) -> String? {
        guard let region = node.word() else { return nil }
        guard region.wholeMatch(of: #/[a-z]{2}(-gov)?-[a-z]+-\d/#) != nil else {
            node.report("`\(region)` is not an AWS region", hint: "regions look like us-east-1 or eu-west-2")
            return nil
        }
        return region
    }

    private func jsonAlarmMapping(_ node: YAMLNode) -> JSONAlarmMapping? {
        guard let map = node.mapping(keys: ["items", "name", "state", "severity", "since"]) else { return nil }
        let name = map.required("name")?.word()
        let state = map.required("state")?.word()
        guard let name, let state else { return nil }
        return JSONAlarmMapping(items: map["items"]?.string() ?? "", name: name, state: state,
                                severity: map["severity"]?.word(), since: map["since"]?.word())
    }

    // MARK: Checklist, roles, approvers, poll, holds

    private mutating func checklistItem(_ node: YAMLNode) -> ChecklistItem? {
        guard let map = node.mapping(keys: ["id", "phase", "title", "owner", "severity", "mode", "checks"]) else { return nil }
        let id = declare(map.required("id"), in: .checklistItem)
        let phase = map.required("phase")?.word()
        let title = map.required("title")?.word()
        let owner = reference(map.required("owner"), to: .role)
        let severity = severityOrDefault(map)
        let mode = map["mode"].map { $0.choice(ChecklistItem.Mode.self, named: "checklist mode") } ?? .doConfirm
        var checks: [String] = []
        if let checksNode = map["checks"] {
            for element in checksNode.list() ?? [] {
                if let check = reference(element, to: .check) { checks.append(check) }
            }
        }
        guard let id, let phase, let title, let owner, let severity, let mode else { return nil }
        return ChecklistItem(id: id, phase: phase, title: title, owner: owner, severity: severity, mode: mode, checks: checks)
    }

    private mutating func role(_ node: YAMLNode) -> Role? {
        guard let map = node.mapping(keys: ["id", "title"]) else { return nil }
        let id = declare(map.required("id"), in: .role)
        let title = map["title"]?.word()
        return id.map { Role(id: $0, title: title ?? $0) }
    }

    private mutating func approver(_ node: YAMLNode) -> Approver? {
        guard let map = node.mapping(keys: ["name", "role", "users", "pin_hash"]) else { return nil }
        let name = declare(map.required("name"), in: .approver)
        let role = reference(map.required("role"), to: .role)
        if let role { staffedRoles.insert(role) }
        var users: [String] = []
        for userNode in map["users"]?.list() ?? [] {
            guard let user = userNode.word() else { continue }
            guard user.wholeMatch(of: #/[a-z_][a-z0-9_.-]{0,31}\$?/#) != nil else {
                userNode.report("`\(user)` is not a login name", hint: "login names are lower case: ada, ops_1")
                continue
            }
            if let owner = claimedUsers[user], owner != name {
                userNode.report("the login `\(user)` already belongs to approver `\(owner)`", hint: "one person, one vote: a login names one approver")
                continue
            }
            if let name { claimedUsers[user] = name }
            users.append(user)
        }
        let pinHash = map["pin_hash"].flatMap { pinNode in
            pinNode.secretText(environment: environment).flatMap { secret -> PINHash? in
                switch PINHash.parse(secret.value) {
                case .success(let hash): return hash
                case .failure(let error):
                    pinNode.report(error)
                    return nil
                }
            }
        }
        if map["users"] == nil, map["pin_hash"] == nil {
            node.report("approver has neither `users` nor `pin_hash`", hint: "without one of them nobody can vote as this approver")
        }
        guard let name, let role else { return nil }
        return Approver(name: name, role: role, users: users, pinHash: pinHash)
    }

    private mutating func pollRules(_ node: YAMLNode) -> PollRules? {
        guard let map = node.mapping(keys: ["order", "director", "allow_self_approval"]) else { return nil }
        var order: [String] = []
        if let orderNode = map.required("order") {
            for element in orderNode.list() ?? [] {
                guard let role = reference(element, to: .role) else { continue }
                if order.contains(role) {
                    element.report("the role `\(role)` is polled twice")
                    continue
                }
                order.append(role)
                reportRoleWithoutApprover(role, at: element)
            }
            if order.isEmpty, orderNode.list() != nil { orderNode.report("the poll needs at least one role") }
        }
        let director = reference(map.required("director"), to: .role)
        if let director, let directorNode = map["director"] {
            reportRoleWithoutApprover(director, at: directorNode)
        }
        let allowSelfApproval = map["allow_self_approval"].map { $0.bool() } ?? false
        guard let director, let allowSelfApproval, !order.isEmpty else { return nil }
        return PollRules(order: order, director: director, allowSelfApproval: allowSelfApproval)
    }

    private func reportRoleWithoutApprover(_ role: String, at node: YAMLNode) {
        guard declared[.role]?[role] != nil, !staffedRoles.contains(role) else { return }
        node.report("no approver holds the role `\(role)`", hint: "add an approver with role: \(role), or nobody can vote for it")
    }

    private func hold(_ node: YAMLNode) -> Hold? {
        guard let map = node.mapping(keys: ["name", "at", "duration"]) else { return nil }
        let name = map.required("name")?.word()
        let beforeT0 = map.required("at").flatMap { atNode -> Duration? in
            guard let text = atNode.string() else { return nil }
            guard text.hasPrefix("T-"), case .success(let duration) = PlanDuration.parse(String(text.dropFirst(2))) else {
                atNode.report("`\(text)` is not a time before T-0", hint: "write it as T-30m or T-2h")
                return nil
            }
            return duration
        }
        let duration = map.required("duration").flatMap(positiveDuration)
        guard let name, let beforeT0, let duration else { return nil }
        return Hold(name: name, beforeT0: beforeT0, duration: duration)
    }
}
