import FlightdeckCore
import Foundation

/// Fetches one external alarm source and reads its alarms. A source that cannot be read is
/// itself an alarm: stale alarm data on launch day is worse than none.
public final class AlarmSourceProbe: Sendable {
    public let source: AlarmSource
    public let interval: Duration
    private let timeout: Duration
    private let checks: Set<String>

    public init(source: AlarmSource, plan: LaunchPlan) {
        self.source = source
        interval = source.timing.interval ?? plan.polling.interval
        timeout = source.timing.timeout ?? plan.polling.timeout
        checks = Set(plan.checks.map(\.id))
    }

    /// Whether this build can poll the source.
    public var isPolled: Bool {
        if case .cloudwatch = source.kind { return false }
        return true
    }

    /// The source's alarms now; `clock` is the poller's clock at this moment.
    public func fetch(clock: Duration) async -> [Alarm] {
        let request: CurlRequest
        switch source.kind {
        case .alertmanager(let url, let matchers):
            var components = URLComponents(string: url.value.hasSuffix("/") ? String(url.value.dropLast()) : url.value)
            components?.path += "/api/v2/alerts"
            components?.queryItems = [URLQueryItem(name: "active", value: "true"), URLQueryItem(name: "silenced", value: "false"),
                                      URLQueryItem(name: "inhibited", value: "false")]
                + matchers.map { URLQueryItem(name: "filter", value: $0) }
            request = makeRequest(components?.string ?? url.value, headers: ["Accept: application/json"])
        case .json(let url, let headers, _):
            request = makeRequest(url.value, headers: headers.map { "\($0.name): \($0.value.value)" })
        case .cloudwatch:
            return []
        }
        let exchange = await CurlEngine.shared.perform(request)
        let now = Date()
        if let error = exchange.transportError {
            return [unreadable("cannot reach it: \(error.reason)", clock: clock)]
        }
        guard let status = exchange.statusCode, (200...299).contains(status) else {
            return [unreadable("it answered HTTP \(exchange.statusCode.map(String.init) ?? "nothing")", clock: clock)]
        }
        let result: Result<[Alarm], AlarmFeeds.FeedError>
        switch source.kind {
        case .alertmanager: result = AlarmFeeds.alertmanager(exchange.body, source: source.id, checks: checks, now: now, clock: clock)
        case .json(_, _, let mapping): result = AlarmFeeds.json(exchange.body, source: source.id, mapping: mapping, now: now, clock: clock)
        case .cloudwatch: result = .success([])
        }
        switch result {
        case .success(let alarms): return alarms
        case .failure(let error): return [unreadable(error.message, clock: clock)]
        }
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
              reason: "alarm source \(source.id) cannot be read: \(why); its alarms are not shown")
    }
}
