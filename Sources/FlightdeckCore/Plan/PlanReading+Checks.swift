import Foundation

/// The checks a plan declares: its resolvers, DNS records, HTTP checks and TLS endpoints.
extension PlanReading {
    // MARK: Resolvers

    mutating func resolver(_ node: YAMLNode) -> Resolver? {
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

    mutating func dnsSection(_ node: YAMLNode) -> DNSExpectations? {
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

    static func quorum(_ text: String) -> ConvergenceQuorum? {
        switch text.lowercased() {
        case "all answering": return .allAnswering
        case "all resolvers", "all": return .allResolvers
        default:
            guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else { return nil }
            return .atLeast(percent / 100)
        }
    }

    /// A nameserver as a bare name, or `{name, addresses}`.
    func nameserver(_ node: YAMLNode) -> Nameserver? {
        if case .scalar = node.node {
            return node.dnsName().map { Nameserver(name: $0) }
        }
        guard let map = node.mapping(keys: ["name", "addresses"]) else { return nil }
        let name = map.required("name")?.dnsName()
        let addresses = map["addresses"]?.list { $0.address() } ?? []
        return name.map { Nameserver(name: $0, addresses: addresses) }
    }

    mutating func record(_ node: YAMLNode) -> DNSRecordExpectation? {
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
    func recordName(_ node: YAMLNode) -> DNSName? {
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
    static let commonTopLevelDomains: Set<String> = [
        "com", "net", "org", "io", "dev", "app", "co", "uk", "de", "fr", "eu", "us", "info", "biz", "cloud", "test", "example",
    ]

    func recordValues(_ node: YAMLNode, type: DNSRecordType?) -> [String]? {
        node.list { valueNode in
            guard let value = valueNode.string() else { return nil }
            if let error = type?.validate(value: value) {
                valueNode.report(error)
                return nil
            }
            return value
        }
    }

    func severityOrDefault(_ map: YAMLMapping) -> Severity? {
        guard let node = map["severity"] else { return .blocker }
        return node.choice(Severity.self, named: "severity")
    }

    // MARK: HTTP

    mutating func httpCheck(_ node: YAMLNode) -> HTTPCheck? {
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

    func httpMethod(_ node: YAMLNode) -> String? {
        guard let method = node.word() else { return nil }
        guard method.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            node.report("`\(method)` is not an HTTP method", hint: "methods are upper case: GET, HEAD, POST")
            return nil
        }
        return method
    }

    func webURL(_ node: YAMLNode, schemes: [String]) -> URL? {
        guard let text = node.word() else { return nil }
        return validatedURL(text, shownAs: text, at: node, schemes: schemes)
    }

    /// A URL that may hold secrets: checked with them resolved, reported without them.
    func secretURL(_ node: YAMLNode, schemes: [String]) -> SecretText? {
        guard let text = node.secretText(environment: environment) else { return nil }
        guard validatedURL(text.value, shownAs: text.template, at: node, schemes: schemes) != nil else { return nil }
        if let password = URLComponents(string: text.template)?.password, SecretText.references(in: password).isEmpty {
            node.report("this URL holds a literal password", hint: "write the password as ${ENV_NAME}")
            return nil
        }
        return text
    }

    func validatedURL(_ text: String, shownAs shown: String, at node: YAMLNode, schemes: [String]) -> URL? {
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
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie"]
    static let credentialWords = ["token", "secret", "password", "api-key", "apikey", "api_key", "auth"]

    func requestHeaders(_ node: YAMLNode) -> [HTTPHeader] {
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

    func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
    }

    func expectations(_ node: YAMLNode, defaultStatuses: [ClosedRange<Int>]) -> HTTPExpectations? {
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
    func oneOrMany(_ node: YAMLNode) -> [String] {
        if case .sequence = node.node { return node.list { $0.string() } ?? [] }
        return node.string().map { [$0] } ?? []
    }

    /// Status codes as `200`, `"200-299"`, `2xx` or a list of them.
    func statusRanges(_ node: YAMLNode) -> [ClosedRange<Int>]? {
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

    func headerExpectations(_ node: YAMLNode) -> [HeaderExpectation] {
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

    // MARK: TLS

    mutating func tlsEndpoint(_ node: YAMLNode) -> TLSEndpoint? {
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
}
