import Foundation

/// The `http` section: each check's request and what the answer must show.
extension PlanReading {
    mutating func httpCheck(_ node: YAMLNode) -> HTTPCheck? {
        guard let map = node.mapping(keys: [
            "id", "name", "mode", "severity", "method", "url", "headers", "body", "expect",
            "follow_redirects", "connect_to", "ip_version", "http_version", "ca_file",
            "client_cert", "client_key", "proxy", "live", "runbook",
        ] + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .check)
        keepRunbook(map, for: id.map { .check($0) })
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
}
