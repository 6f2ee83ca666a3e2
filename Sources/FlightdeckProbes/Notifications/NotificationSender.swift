import FlightdeckCore
import Foundation

/// Delivers notices to the plan's notification targets: a webhook (JSON, Slack-compatible),
/// a Slack incoming webhook (Block Kit), PagerDuty (Events API v2), AWS SNS Publish (SigV4)
/// or email (SMTP), each through libcurl with a timeout, retried
/// with growing pauses. It never throws and never waits on anything but its own delivery:
/// a dead target costs only the task sending to it.
public struct NotificationSender: Sendable {
    public let plan: LaunchPlan
    /// The pauses between attempts: as many retries as there are pauses.
    public var backoff: [Duration] = [.seconds(1), .seconds(4), .seconds(15)]
    private let environment: [String: String]
    private let timeout: Duration

    public init(plan: LaunchPlan, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plan = plan
        self.environment = environment
        timeout = plan.polling.timeout
    }

    /// Sends `notice` to `target`, retrying; says whether it arrived and how it went.
    public func deliver(_ notice: LaunchNotice, to target: NotificationTarget) async -> (delivered: Bool, outcome: String) {
        var problem = ""
        for attempt in 0...backoff.count {
            if attempt > 0 { try? await Task.sleep(for: backoff[attempt - 1]) }
            switch await send(notice, to: target) {
            case .success(let what):
                return (true, attempt == 0 ? what : "\(what) on attempt \(attempt + 1)")
            case .failure(let failure):
                problem = failure.message
            }
        }
        // The URL itself may be the secret (a Slack webhook is), or the routing key: never in an outcome.
        let secrets: [SecretText] = switch target.kind {
        case .webhook(let url), .email(let url, _, _), .slack(let url): [url]
        case .pagerduty(let key, _): [key]
        case .sns: []
        }
        return (false, "failed \(backoff.count + 1) times, last: \(SecretMask(secrets).apply(problem))")
    }

    private func send(_ notice: LaunchNotice, to target: NotificationTarget) async -> Result<String, RemoteProblem> {
        var request: CurlRequest
        switch target.kind {
        case .webhook(let url):
            request = CurlRequest(url: url.value, destination: URLComponents(string: url.value)?.host ?? "webhook")
            request.method = "POST"
            request.headers = ["Content-Type: application/json"]
            request.body = Array(Self.webhookPayload(notice, plan: plan).utf8)
        case .sns(let topicArn, let region, let endpoint):
            guard case .success(let credentials) = AWSCredentials.load(environment: environment) else {
                return .failure(RemoteProblem("no AWS credentials for SNS"))
            }
            let url = endpoint?.absoluteString ?? "https://sns.\(region).amazonaws.com/"
            request = CurlRequest(url: url, destination: URLComponents(string: url)?.host ?? "sns")
            request.method = "POST"
            request.headers = ["Content-Type: application/x-www-form-urlencoded; charset=utf-8"]
                + (credentials.sessionToken.map { ["X-Amz-Security-Token: \($0)"] } ?? [])
            request.body = AWSQuery.body([("Action", "Publish"), ("Version", "2010-03-31"), ("TopicArn", topicArn),
                                          ("Subject", Self.subject(notice, plan: plan)), ("Message", notice.message(plan: plan))])
            request.awsSigV4 = ("aws:amz:\(region):sns", credentials.accessKey, credentials.secretKey)
        case .email(let url, let from, let to):
            request = CurlRequest(url: url.value, destination: URLComponents(string: url.value)?.host ?? "smtp")
            request.mail = (from, to)
            request.body = Array(Self.email(notice, plan: plan, from: from, to: to).utf8)
        case .slack(let url):
            request = CurlRequest(url: url.value, destination: URLComponents(string: url.value)?.host ?? "slack")
            request.method = "POST"
            request.headers = ["Content-Type: application/json"]
            request.body = Array(NotificationPayloads.slack(notice, plan: plan).utf8)
        case .pagerduty(let key, let url):
            request = CurlRequest(url: url.absoluteString, destination: url.host ?? "pagerduty")
            request.method = "POST"
            request.headers = ["Content-Type: application/json"]
            request.body = Array(NotificationPayloads.pagerDuty(notice, plan: plan, routingKey: key.value).utf8)
        }
        request.timeout = timeout
        let exchange = await CurlEngine.shared.perform(request)
        if let error = exchange.transportError { return .failure(RemoteProblem(error.reason)) }
        switch target.kind {
        case .email:
            return .success("sent")
        case .webhook, .sns, .slack, .pagerduty:
            guard let status = exchange.statusCode, (200...299).contains(status) else {
                return .failure(RemoteProblem("HTTP \(exchange.statusCode.map(String.init) ?? "no answer")"))
            }
            return .success("HTTP \(status)")
        }
    }

    /// `{"text": ..., "flightdeck": {...}}`: Slack shows `text`; other receivers get the rest.
    static func webhookPayload(_ notice: LaunchNotice, plan: LaunchPlan) -> String {
        var details: [String: Any] = ["plan": plan.name, "event": notice.event.rawValue, "key": notice.key]
        if let alarm = notice.alarmID { details["alarm"] = alarm }
        if let runbook = notice.runbook {
            details["runbook"] = [String: String](uniqueKeysWithValues: [("url", runbook.url?.absoluteString), ("text", runbook.text)].compactMap { key, value in
                value.map { (key, $0) }
            })
        }
        if let head = notice.journalHead { details["journal"] = ["seq": head.seq, "head": head.hash] }
        let payload: [String: Any] = ["text": notice.message(plan: plan), "flightdeck": details]
        let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func subject(_ notice: LaunchNotice, plan: LaunchPlan) -> String {
        let line = "Flightdeck \(plan.name): \(notice.event.rawValue.uppercased())"
        return String(line.filter { $0 != "\r" && $0 != "\n" }.prefix(100))
    }

    /// An RFC 5322 message; header values never carry a line break.
    static func email(_ notice: LaunchNotice, plan: LaunchPlan, from: String, to: [String]) -> String {
        let date = Date().formatted(Date.VerbatimFormatStyle(format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) +0000",
                                                                 locale: Locale(identifier: "en_US_POSIX"), timeZone: TimeZone(identifier: "UTC")!, calendar: Calendar(identifier: .gregorian)))
        let body = notice.message(plan: plan).replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "\r\n")
        return [
            "From: Flightdeck <\(from)>", "To: \(to.map { "<\($0)>" }.joined(separator: ", "))",
            "Subject: \(subject(notice, plan: plan))", "Date: \(date)",
            "Message-ID: <\(notice.key.replacingOccurrences(of: "/", with: "."))-\(UUID().uuidString)@flightdeck>",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
            "", body, "",
        ].joined(separator: "\r\n")
    }
}
