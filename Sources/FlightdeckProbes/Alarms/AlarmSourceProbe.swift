import FlightdeckCore
import Foundation

/// Fetches one external alarm source and reads its alarms. A source that cannot be read is
/// itself an alarm: stale alarm data on launch day is worse than none.
public final class AlarmSourceProbe: Sendable {
    public let source: AlarmSource
    public let interval: Duration
    private let timeout: Duration
    private let checks: Set<String>
    private let environment: [String: String]
    /// A secret of the source's that the source echoes back shows as its `${NAME}`.
    private let mask: SecretMask

    /// - Parameter environment: where AWS credentials are looked up.
    public init(source: AlarmSource, plan: LaunchPlan, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.source = source
        self.environment = environment
        interval = source.timing.interval ?? plan.polling.interval
        timeout = source.timing.timeout ?? plan.polling.timeout
        checks = Set(plan.checks.map(\.id))
        let secrets: [SecretText] = switch source.kind {
        case .alertmanager(let url, _): [url]
        case .json(let url, let headers, _): [url] + headers.map(\.value)
        case .cloudwatch: []
        }
        mask = SecretMask(secrets)
    }

    /// The source's alarms now; `clock` is the poller's clock at this moment.
    public func fetch(clock: Duration) async -> [Alarm] {
        let request: CurlRequest
        let read: ([UInt8], Date) -> Result<[Alarm], AlarmFeeds.FeedError>
        let (id, checks) = (source.id, checks)
        switch source.kind {
        case .alertmanager(let url, let matchers):
            var components = URLComponents(string: url.value.hasSuffix("/") ? String(url.value.dropLast()) : url.value)
            components?.path += "/api/v2/alerts"
            components?.queryItems = [URLQueryItem(name: "active", value: "true"), URLQueryItem(name: "silenced", value: "false"),
                                      URLQueryItem(name: "inhibited", value: "false")]
                + matchers.map { URLQueryItem(name: "filter", value: $0) }
            request = makeRequest(components?.string ?? url.value, headers: ["Accept: application/json"])
            read = { AlarmFeeds.alertmanager($0, source: id, checks: checks, now: $1, clock: clock) }
        case .json(let url, let headers, let mapping):
            request = makeRequest(url.value, headers: headers.map { "\($0.name): \($0.value.value)" })
            read = { AlarmFeeds.json($0, source: id, mapping: mapping, now: $1, clock: clock) }
        case .cloudwatch(let region, let prefix, let endpoint):
            return await cloudwatch(region: region, prefix: prefix, endpoint: endpoint, clock: clock)
        }
        let exchange = await CurlEngine.shared.perform(request)
        if let error = exchange.transportError {
            return [unreadable("cannot reach it: \(error.reason)", clock: clock)]
        }
        guard let status = exchange.statusCode, (200...299).contains(status) else {
            return [unreadable("it answered HTTP \(exchange.statusCode.map(String.init) ?? "nothing")", clock: clock)]
        }
        switch read(exchange.body, Date()) {
        case .success(let alarms): return alarms.map { alarm in
            var redacted = alarm
            redacted.id = redact(alarm.id)
            redacted.reason = redact(alarm.reason)
            return redacted
        }
        case .failure(let error): return [unreadable(error.message, clock: clock)]
        }
    }

    private func redact(_ text: String) -> String {
        mask.apply(text)
    }

    /// DescribeAlarms through the Query API (``AWSClient``: SigV4, retries), page by page.
    private func cloudwatch(region: String, prefix: String?, endpoint: URL?, clock: Duration) async -> [Alarm] {
        let client = AWSClient(region: region, endpoint: endpoint, environment: environment, timeout: timeout)
        var alarms: [Alarm] = []
        var next: String?
        for _ in 0..<20 {
            var form = [("MaxRecords", "100")]
            if let prefix { form.append(("AlarmNamePrefix", prefix)) }
            if let next { form.append(("NextToken", next)) }
            let body: [UInt8]
            switch await client.queryAnswer(service: "monitoring", version: "2010-08-01", action: "DescribeAlarms", form) {
            case .success(let answer): body = answer.1
            // Unreachable, or no credentials: what kept it from asking, in its own words.
            case .failure(let problem): return [unreadable(problem.message, clock: clock)]
            }
            switch AlarmFeeds.cloudwatch(body, source: source.id, now: Date(), clock: clock) {
            case .success(let page):
                alarms += page.alarms
                next = page.next
            case .failure(let error):
                return [unreadable(error.message, clock: clock)]
            }
            if next == nil { break }
        }
        return alarms
    }

    private func makeRequest(_ url: String, headers: [String]) -> CurlRequest {
        var request = CurlRequest(url: url, destination: URLComponents(string: url)?.host ?? url)
        request.headers = headers
        request.timeout = timeout
        request.bodyCap = 4 << 20
        return request
    }

    private func unreadable(_ why: String, clock: Duration) -> Alarm {
        Alarm(id: "\(source.id)/unreadable", severity: .warning, source: source.id, since: clock,
              reason: "alarm source \(source.id) cannot be read: \(redact(why)); its alarms are not shown")
    }
}
