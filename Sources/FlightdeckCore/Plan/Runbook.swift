import Foundation

/// What to do when something goes red: a link to the team's runbook and/or a short text, as
/// the plan gives it for a check, a checklist item, an alarm source or the alarm rules. Shown
/// in the detail view and in every notification about it.
public struct Runbook: Sendable, Equatable {
    /// http or https only: the plan is trusted, but a link is still checked.
    public var url: URL?
    /// One line.
    public var text: String?

    public init(url: URL? = nil, text: String? = nil) {
        self.url = url
        self.text = text
    }

    /// The runbook in one line: `https://wiki/api — restart the API tier`.
    public var line: String {
        [url?.absoluteString, text].compactMap { $0 }.joined(separator: " — ")
    }

    public static let textLimit = 300
}

/// What a runbook is for.
public enum RunbookSubject: Sendable, Hashable {
    case check(String)
    case checklistItem(String)
    case alarmSource(String)
    /// Every alarm the rules raise, unless a check's own rule settings give one.
    case alarmRules
    /// The alarms the rules raise on one check.
    case alarmRule(check: String)
}

extension LaunchPlan {
    /// The runbook for an alarm: a source's alarm, its source's (else its check's); a rule's,
    /// the rules' runbook for its check, else the rules', else the check's.
    public func runbook(for alarm: Alarm) -> Runbook? {
        let check = alarm.checkID.flatMap { runbooks[.check($0)] }
        guard alarm.source == "rules" else { return runbooks[.alarmSource(alarm.source)] ?? check }
        return alarm.checkID.flatMap { runbooks[.alarmRule(check: $0)] } ?? runbooks[.alarmRules] ?? check
    }
}

extension PlanReading {
    /// A runbook: `"https://..."`, a line of text, or `{ url: ..., text: ... }`.
    func runbook(_ node: YAMLNode) -> Runbook? {
        if case .mapping = node.node {
            guard let map = node.mapping(keys: ["url", "text"]) else { return nil }
            let url = map["url"].flatMap { runbookURL($0) }
            let text = map["text"].flatMap { runbookText($0) }
            guard url != nil || text != nil else {
                if map["url"] == nil, map["text"] == nil { node.report("a runbook needs a `url`, a `text` or both") }
                return nil
            }
            return Runbook(url: url, text: text)
        }
        guard let value = node.word() else { return nil }
        if value.contains("://") { return runbookURL(node).map { Runbook(url: $0) } }
        return runbookText(node).map { Runbook(text: $0) }
    }

    private func runbookURL(_ node: YAMLNode) -> URL? {
        guard let text = node.word() else { return nil }
        if let scheme = text.split(separator: ":").first?.lowercased(), !["http", "https"].contains(scheme) {
            node.report("a runbook's link is http:// or https://, not \(scheme):", hint: "link to the runbook's page on the team's wiki")
            return nil
        }
        return validatedURL(text, shownAs: text, at: node, schemes: ["http", "https"])
    }

    private func runbookText(_ node: YAMLNode) -> String? {
        guard let text = node.word() else { return nil }
        guard !text.contains(where: \.isNewline) else {
            node.report("a runbook's text is one line", hint: "link to a page for more: `runbook: { url: ..., text: ... }`")
            return nil
        }
        guard text.count <= Runbook.textLimit else {
            node.report("a runbook's text is at most \(Runbook.textLimit) characters (this one has \(text.count))",
                        hint: "link to a page for more: `runbook: { url: ..., text: ... }`")
            return nil
        }
        return text
    }

    /// Reads the mapping's `runbook`, if it has one, and keeps it for `subject`.
    mutating func keepRunbook(_ map: YAMLMapping, for subject: RunbookSubject?) {
        guard let node = map["runbook"], let runbook = runbook(node), let subject else { return }
        runbooks[subject] = runbook
    }
}
