import FlightdeckCore
import Foundation

/// What each kind of target is sent, in the shape its service documents.
enum NotificationPayloads {
    /// A Slack incoming webhook's message: `text` for the notification itself, and Block Kit
    /// blocks with the news, the verdict and launch clock, the runbook and the journal head.
    static func slack(_ notice: LaunchNotice, plan: LaunchPlan) -> String {
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": String("\(headline(notice.event)) · \(plan.name)".prefix(150))]],
            ["type": "section", "text": ["type": "mrkdwn", "text": String(escaped(notice.text).prefix(3000))]],
        ]
        var fields: [[String: Any]] = []
        if let verdict = notice.verdict { fields.append(["type": "mrkdwn", "text": String("*Verdict*\n\(escaped(verdict))".prefix(2000))]) }
        if let clock = notice.clock { fields.append(["type": "mrkdwn", "text": "*Launch clock*\n\(escaped(clock))"]) }
        if !fields.isEmpty { blocks.append(["type": "section", "fields": fields]) }
        if let runbook = notice.runbook {
            let link = runbook.url.map { url -> String in
                let text = url.absoluteString.replacingOccurrences(of: ">", with: "%3E").replacingOccurrences(of: "|", with: "%7C")
                return "<\(text)|\(escaped(url.absoluteString))>"
            }
            let line = [link, runbook.text.map(escaped)].compactMap { $0 }.joined(separator: " — ")
            blocks.append(["type": "section", "text": ["type": "mrkdwn", "text": "*Runbook* \(line)"]])
        }
        var context = ["Flightdeck · \(escaped(notice.key))"]
        if let head = notice.journalHead { context.append("journal head \(head.seq):\(head.hash)") }
        blocks.append(["type": "context", "elements": [["type": "mrkdwn", "text": context.joined(separator: " · ")]]])
        return json(["text": notice.message(plan: plan), "blocks": blocks])
    }

    /// A PagerDuty Events API v2 event: `trigger` for a new critical alarm (again for the
    /// same occurrence, PagerDuty folds it into the incident by its dedup key), then
    /// `acknowledge` and `resolve` for the same key.
    static func pagerDuty(_ notice: LaunchNotice, plan: LaunchPlan, routingKey: String, at now: Date = Date()) -> String {
        var event: [String: Any] = ["routing_key": routingKey, "dedup_key": dedupKey(notice, plan: plan)]
        switch notice.event {
        case .alarmAcknowledged:
            event["event_action"] = "acknowledge"
        case .alarmResolved:
            event["event_action"] = "resolve"
        default:
            event["event_action"] = "trigger"
            event["client"] = "Flightdeck"
            var details: [String: Any] = ["launch": plan.name, "notice": notice.key]
            if let alarm = notice.alarmID { details["alarm"] = alarm }
            if let verdict = notice.verdict { details["verdict"] = verdict }
            if let clock = notice.clock { details["launch_clock"] = clock }
            if let head = notice.journalHead { details["journal_head"] = "\(head.seq):\(head.hash)" }
            if let text = notice.runbook?.text { details["runbook"] = text }
            event["payload"] = [
                "summary": String("\(plan.name): \(notice.text)".prefix(1024)),
                "source": "Flightdeck: \(plan.name)",
                "severity": "critical",
                "timestamp": now.formatted(.iso8601),
                "group": plan.zone.description,
                "class": "launch alarm",
                "custom_details": details,
            ] as [String: Any]
            if let url = notice.runbook?.url { event["links"] = [["href": url.absoluteString, "text": "Runbook"]] }
        }
        return json(event)
    }

    /// One incident per alarm occurrence: the launch, the alarm and the journal entry that
    /// first told of it, the same in every process.
    static func dedupKey(_ notice: LaunchNotice, plan: LaunchPlan) -> String {
        let occurrence = notice.occurrence.map { "/\($0)" } ?? ""
        return String("flightdeck/\(plan.zone)/\(plan.name)/\(notice.alarmID ?? notice.key)\(occurrence)".prefix(255))
    }

    static func headline(_ event: NotificationTarget.Event) -> String {
        switch event {
        case .criticalAlarm: "CRITICAL alarm"
        case .noGo: "NO-GO"
        case .hold: "HOLD"
        case .go: "GO"
        case .scrub: "SCRUBBED"
        case .alarmAcknowledged: "Alarm acknowledged"
        case .alarmResolved: "Alarm resolved"
        }
    }

    /// Text for Slack's mrkdwn: `&`, `<` and `>` are its own.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
