import Foundation

/// Alarm sources, alarm rules and notification targets.
extension PlanReading {
    // MARK: Alarms

    static let alarmKeys: [String: [String]] = [
        "cloudwatch": ["region", "name_prefix", "endpoint"],
        "alertmanager": ["url", "matchers"],
        "json": ["url", "headers", "fields"],
    ]

    static let notificationKeys: [String: [String]] = [
        "webhook": ["url"],
        "sns": ["topic_arn", "region", "endpoint"],
        "email": ["url", "from", "to"],
        "slack": ["url"],
        "pagerduty": ["routing_key", "url"],
    ]

    static func allKeys(_ keysByKind: [String: [String]]) -> [String] {
        Set(keysByKind.values.flatMap { $0 }).sorted()
    }

    /// The `kind` of a section whose kind decides which keys it takes: an unknown kind, or
    /// a key that belongs to another kind, is reported here.
    func kind(of map: YAMLMapping, keysByKind: [String: [String]], noun: String, plural: String) -> String? {
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

    mutating func notificationTarget(_ node: YAMLNode) -> NotificationTarget? {
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
        case "slack":
            kind = map.required("url").flatMap { secretURL($0, schemes: ["https", "http"]) }.map { .slack(url: $0) }
        case "pagerduty":
            let key = map.required("routing_key").flatMap { node -> SecretText? in
                guard let key = node.secretText(environment: environment) else { return nil }
                guard !SecretText.references(in: key.template).isEmpty else {
                    node.report("a routing key is a secret: write it as ${ENV_NAME}", hint: "export PAGERDUTY_ROUTING_KEY=... and write `routing_key: ${PAGERDUTY_ROUTING_KEY}`")
                    return nil
                }
                return key
            }
            let url = map["url"].map { webURL($0, schemes: ["https", "http"]) } ?? NotificationTarget.pagerDutyEvents
            kind = key.flatMap { key in url.map { .pagerduty(routingKey: key, url: $0) } }
        default:
            let url = map.required("url").flatMap { secretURL($0, schemes: ["smtp", "smtps"]) }
            let from = map.required("from").flatMap(mailbox)
            let recipients = map.required("to")?.list()
            if recipients?.isEmpty == true { map["to"]?.report("an email needs at least one recipient") }
            let to = recipients?.compactMap(mailbox)
            kind = url.flatMap { url in from.flatMap { from in to.flatMap { $0.isEmpty ? nil : .email(url: url, from: from, to: $0) } } }
        }
        var events = kind.map(NotificationTarget.Event.defaults(for:)) ?? []
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
        if case .pagerduty? = kind, let onNode = map["on"], !events.isSubset(of: NotificationTarget.Event.alarmEvents) {
            onNode.report("PagerDuty is told of critical alarms: their incidents open, are acknowledged and resolve",
                          hint: "on: [critical-alarm, alarm-acknowledged, alarm-resolved]; send decisions to another target")
            return nil
        }
        guard let id, let kind else { return nil }
        return NotificationTarget(id: id, kind: kind, events: events)
    }

    func mailbox(_ node: YAMLNode) -> String? {
        guard let text = node.scalarText() else { return nil }
        guard text.wholeMatch(of: #/[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+/#) != nil else {
            node.report("`\(text)` is not an email address")
            return nil
        }
        return text
    }

    static let ruleKeys = ["red_polls", "latency_window", "stall_window", "flap_changes", "flap_window", "severity", "enabled", "runbook"]

    /// `alarms.rules`: the rules' settings for every check, then per check under `checks`.
    mutating func alarmRules(_ node: YAMLNode) -> AlarmRules? {
        guard let map = node.mapping(keys: Self.ruleKeys + ["checks"]) else { return nil }
        guard let defaults = ruleSettings(map, over: .defaults) else { return nil }
        keepRunbook(map, for: .alarmRules)
        var rules = AlarmRules(defaults: defaults, checks: [:])
        for (_, keyNode, value) in map["checks"]?.entries() ?? [] {
            guard let id = reference(keyNode, to: .check), let checkMap = value.mapping(keys: Self.ruleKeys),
                  let settings = ruleSettings(checkMap, over: defaults) else { continue }
            keepRunbook(checkMap, for: .alarmRule(check: id))
            rules.checks[id] = settings
        }
        return rules
    }

    func ruleSettings(_ map: YAMLMapping, over base: AlarmRuleSettings) -> AlarmRuleSettings? {
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

    mutating func alarmSource(_ node: YAMLNode) -> AlarmSource? {
        guard let map = node.mapping(keys: ["id", "kind", "runbook"] + Self.allKeys(Self.alarmKeys) + Self.timingKeys) else { return nil }
        let id = declare(map.required("id"), in: .alarmSource)
        keepRunbook(map, for: id.map { .alarmSource($0) })
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

    func awsRegion(_ node: YAMLNode) -> String? {
        guard let region = node.word() else { return nil }
        guard region.wholeMatch(of: #/[a-z]{2}(-gov)?-[a-z]+-\d/#) != nil else {
            node.report("`\(region)` is not an AWS region", hint: "regions look like us-east-1 or eu-west-2")
            return nil
        }
        return region
    }

    func jsonAlarmMapping(_ node: YAMLNode) -> JSONAlarmMapping? {
        guard let map = node.mapping(keys: ["items", "name", "state", "severity", "since"]) else { return nil }
        let name = map.required("name")?.word()
        let state = map.required("state")?.word()
        guard let name, let state else { return nil }
        return JSONAlarmMapping(items: map["items"]?.string() ?? "", name: name, state: state,
                                severity: map["severity"]?.word(), since: map["since"]?.word())
    }
}
