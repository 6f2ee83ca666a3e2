import Foundation

/// Judges one HTTP exchange against its check: the first thing wrong decides, in the order a
/// person would look (could we talk to it, what did it answer, what did the answer hold, how
/// long did it take).
public struct HTTPEvaluation: Sendable, Equatable {
    public var status: CheckStatus
    public var detail: String
    public var observed: [String: ObservedValue]
    /// For live HLS checks: what to remember until the next poll.
    public var liveState: HLSLiveState?

    /// - Parameters:
    ///   - expectedWebSocketAccept: for websocket checks, the `Sec-WebSocket-Accept` the key sent requires.
    ///   - playlist: for hls checks, the exchange that fetched the media playlist when it differs
    ///     from `exchange` (a master playlist's first variant).
    ///   - previousLive: for live hls checks, what the previous poll saw.
    ///   - now: the poller's clock, for live hls checks.
    ///   - mask: the plan's secrets the request carried. The exchange is judged as it came;
    ///     everything shown from it is masked first, before it is cut to length.
    public init(check: HTTPCheck, exchange: HTTPExchange, expectedWebSocketAccept: String? = nil,
                playlist: HTTPExchange? = nil, previousLive: HLSLiveState? = nil, now: Duration = .zero,
                mask: SecretMask = SecretMask([])) {
        let shown = Self.masked(exchange, mask)
        observed = Self.observations(of: shown)
        liveState = previousLive
        if let error = exchange.transportError {
            status = .fail
            detail = error.reason
            observed["error_class"] = .text(error.kind.rawValue)
            return
        }
        guard let code = exchange.statusCode else {
            status = .fail
            detail = "no HTTP response"
            return
        }
        if let problem = Self.problem(check: check, exchange: exchange, shown: shown, mask: mask, code: code,
                                      expectedWebSocketAccept: expectedWebSocketAccept) {
            status = .fail
            detail = problem
            observed["error_class"] = .text(code == 0 || check.expect.statuses.contains(where: { $0.contains(code) }) ? "assertion" : "status")
            return
        }
        var summary = "\(code) in \(Self.milliseconds(exchange.timings.total))"
        if let cut = Self.truncation(exchange) { summary += "; \(cut)" }
        if check.mode == .hls {
            let judged = Self.judgePlaylist(check: check, exchange: playlist ?? exchange, previous: previousLive, now: now)
            liveState = judged.state
            guard judged.status != .fail else {
                status = .fail
                detail = judged.detail
                observed["error_class"] = .text("assertion")
                return
            }
            summary = "\(judged.detail); \(summary)"
            if judged.status == .warn {
                status = .warn
                detail = summary
                return
            }
        }
        if let budget = check.expect.latencyBudget, let total = exchange.timings.total, total > budget {
            status = .warn
            detail = "slow: \(Self.milliseconds(total)), budget \(Self.milliseconds(budget))"
            return
        }
        status = .pass
        detail = summary
    }

    // MARK: Assertions

    /// The exchange as it may be shown: the plan's secrets masked in its headers and body.
    public static func masked(_ exchange: HTTPExchange, _ mask: SecretMask) -> HTTPExchange {
        guard !mask.isEmpty else { return exchange }
        var shown = exchange
        shown.headers = exchange.headers.map { ($0.name, mask.apply($0.value)) }
        let body = String(decoding: exchange.body, as: UTF8.self)
        let masked = mask.apply(body)
        if masked != body { shown.body = Array(masked.utf8) }
        return shown
    }

    private static func problem(check: HTTPCheck, exchange: HTTPExchange, shown: HTTPExchange, mask: SecretMask, code: Int,
                                expectedWebSocketAccept: String?) -> String? {
        let expect = check.expect
        guard expect.statuses.contains(where: { $0.contains(code) }) else {
            return "HTTP \(code), expected \(describe(expect.statuses))"
        }
        if let target = expect.redirectTo {
            guard let location = exchange.header("Location") else {
                return "no redirect: HTTP \(code) without a Location header, expected a redirect to \(target)"
            }
            let resolved = URL(string: location, relativeTo: URL(string: check.url.value))?.absoluteString ?? location
            guard resolved == target else {
                return "redirects to \(RemoteText.sanitize(mask.apply(resolved), limit: 120)), expected \(target)"
            }
        }
        if check.mode == .websocket, let expectedWebSocketAccept {
            guard exchange.header("Upgrade")?.lowercased() == "websocket" else {
                return "WebSocket: the 101 response has no `Upgrade: websocket`"
            }
            guard exchange.header("Sec-WebSocket-Accept") == expectedWebSocketAccept else {
                return "WebSocket: wrong Sec-WebSocket-Accept (the server did not answer our key)"
            }
        }
        for header in expect.headers {
            if let problem = headerProblem(header, in: exchange, shown: shown) { return problem }
        }
        // A body cut at the cap is judged on what was read, and says so.
        let which = exchange.bodyTruncated ? "the first \(byteCount(exchange.body.count)) of the body" : "body"
        let body = String(decoding: exchange.body, as: UTF8.self)
        for needle in expect.bodyContains where !body.contains(needle) {
            return "\(which) does not contain \"\(needle)\"; it starts \"\(RemoteText.sanitize(shown.body, limit: 60))\""
        }
        if let pattern = expect.bodyMatches, let regex = try? NSRegularExpression(pattern: pattern),
           regex.firstMatch(in: body, range: NSRange(body.startIndex..., in: body)) == nil {
            return "\(which) does not match /\(pattern)/; it starts \"\(RemoteText.sanitize(shown.body, limit: 60))\""
        }
        if !expect.json.isEmpty {
            guard let document = try? JSONSerialization.jsonObject(with: Data(exchange.body), options: [.fragmentsAllowed]) else {
                return exchange.bodyTruncated
                    ? "\(which) is not a whole JSON document (the body was cut at the cap)"
                    : "body is not JSON; it starts \"\(RemoteText.sanitize(shown.body, limit: 60))\""
            }
            for assertion in expect.json {
                let value = JSONPath.value(at: assertion.path, in: document)
                guard JSONPath.matches(value, expected: assertion.equals) else {
                    return "JSON \(assertion.path): expected \(assertion.equals), got \(JSONPath.describe(value, mask: mask))"
                }
            }
        }
        return nil
    }

    private static func headerProblem(_ expectation: HeaderExpectation, in exchange: HTTPExchange, shown exchangeShown: HTTPExchange) -> String? {
        let value = exchange.header(expectation.name)
        let shown = exchangeShown.header(expectation.name).map { RemoteText.sanitize($0, limit: 80) }
        switch expectation.condition {
        case .present:
            return value == nil ? "header \(expectation.name) is missing" : nil
        case .absent:
            return value != nil ? "header \(expectation.name) is present (\(shown!)), expected absent" : nil
        case .equals(let expected):
            guard let shown else { return "header \(expectation.name) is missing, expected \"\(expected)\"" }
            return value == expected ? nil : "header \(expectation.name) is \"\(shown)\", expected \"\(expected)\""
        case .contains(let needle):
            guard let value, let shown else { return "header \(expectation.name) is missing, expected it to contain \"\(needle)\"" }
            return value.contains(needle) ? nil : "header \(expectation.name) is \"\(shown)\", expected it to contain \"\(needle)\""
        }
    }

    // MARK: HLS

    private static func judgePlaylist(check: HTTPCheck, exchange: HTTPExchange, previous: HLSLiveState?, now: Duration)
        -> (status: CheckStatus, detail: String, state: HLSLiveState?) {
        let text = String(decoding: exchange.body, as: UTF8.self)
        let playlist: HLSPlaylist
        switch HLSPlaylist.parse(text) {
        case .success(let parsed): playlist = parsed
        case .failure(let error): return (.fail, error.message, previous)
        }
        switch playlist.kind {
        case .master(let variants):
            return (.pass, "master playlist, \(variants.count) variant\(variants.count == 1 ? "" : "s")", previous)
        case .media(let sequence, let targetDuration, let segments, let ended):
            guard check.liveStream else {
                return (.pass, "playlist with \(segments) segment\(segments == 1 ? "" : "s")", previous)
            }
            if ended {
                return (.fail, "the live playlist has ended (#EXT-X-ENDLIST)", previous)
            }
            guard let previous else {
                return (.pass, "live, media sequence \(sequence)", HLSLiveState(mediaSequence: sequence, changedAt: now))
            }
            if sequence > previous.mediaSequence {
                return (.pass, "live, media sequence \(sequence) (+\(sequence - previous.mediaSequence))",
                        HLSLiveState(mediaSequence: sequence, changedAt: now))
            }
            if sequence < previous.mediaSequence {
                return (.warn, "media sequence went back from \(previous.mediaSequence) to \(sequence) (stream restarted?)",
                        HLSLiveState(mediaSequence: sequence, changedAt: now))
            }
            let unchanged = now - previous.changedAt
            let allowed = Duration.seconds(targetDuration * HLSLiveState.stallTargetDurations)
            if unchanged > allowed {
                return (.fail, "live stream stalled: media sequence \(sequence) unchanged for \(seconds(unchanged)) (target duration \(targetDuration) s)",
                        previous)
            }
            return (.pass, "live, media sequence \(sequence) (unchanged for \(seconds(unchanged)))", previous)
        }
    }

    // MARK: Formatting

    static func observations(of exchange: HTTPExchange) -> [String: ObservedValue] {
        var observed: [String: ObservedValue] = [:]
        if let code = exchange.statusCode { observed["status_code"] = .number(Double(code)) }
        let phases: [(String, Duration?)] = [
            ("dns_ms", exchange.timings.dnsDone), ("connect_ms", exchange.timings.connected),
            ("tls_ms", exchange.timings.tlsDone), ("first_byte_ms", exchange.timings.firstByte),
            ("total_ms", exchange.timings.total),
        ]
        for (key, value) in phases {
            if let value { observed[key] = .number(milliseconds(value, fractionDigits: 3)) }
        }
        observed["bytes"] = .number(Double(exchange.bytesReceived))
        if exchange.bodyTruncated {
            observed["body_truncated"] = .flag(true)
            if let declared = exchange.header("Content-Length") { observed["content_length"] = .text(RemoteText.sanitize(declared, limit: 30)) }
        }
        if let address = exchange.remoteAddress { observed["address"] = .text(address) }
        if let version = exchange.httpVersion { observed["http_version"] = .text(version) }
        if exchange.redirects > 0 { observed["redirects"] = .number(Double(exchange.redirects)) }
        if !exchange.body.isEmpty { observed["body_excerpt"] = .text(RemoteText.sanitize(exchange.body, limit: 200)) }
        return observed
    }

    /// `body cut at the 1 MiB cap, of 10 GiB declared`, when the body was cut.
    static func truncation(_ exchange: HTTPExchange) -> String? {
        guard exchange.bodyTruncated else { return nil }
        let declared = exchange.header("Content-Length").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        return "body cut at the \(byteCount(exchange.body.count)) cap" + (declared.map { ", of \(byteCount(Int($0))) declared" } ?? "")
            + "; what was read was checked"
    }

    /// `1 MiB`, `10 GiB`, `512 bytes`.
    static func byteCount(_ count: Int) -> String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where count >= size {
            let value = Double(count) / Double(size)
            return value.rounded() == value ? "\(Int(value)) \(unit)" : String(format: "%.1f %@", value, unit)
        }
        return count == 1 ? "1 byte" : "\(count) bytes"
    }

    static func describe(_ ranges: [ClosedRange<Int>]) -> String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " or ")
    }

    static func milliseconds(_ duration: Duration?, fractionDigits: Int) -> Double {
        guard let duration else { return 0 }
        let (seconds, attoseconds) = duration.components
        let value = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        let scale = pow(10, Double(fractionDigits))
        return (value * scale).rounded() / scale
    }

    /// `12 ms`, `1.2 ms`, `1 340 ms` reads badly: `1.34 s` past a second.
    public static func milliseconds(_ duration: Duration?) -> String {
        let value = milliseconds(duration, fractionDigits: 1)
        if value >= 1000 { return String(format: "%.2f s", value / 1000) }
        return value < 10 ? String(format: "%.1f ms", value) : "\(Int(value.rounded())) ms"
    }

    static func seconds(_ duration: Duration) -> String {
        "\(duration.components.seconds) s"
    }
}

/// Reads a value at a dotted path (`checks.database.status`, `items.0.name`) in a JSON document.
enum JSONPath {
    /// Nil when the path does not exist; `NSNull` for a JSON null.
    static func value(at path: String, in document: Any) -> Any? {
        var current: Any? = document
        for component in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            switch current {
            case let object as [String: Any]:
                current = object[component]
            case let array as [Any]:
                guard let index = Int(component), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Compares a JSON value with the plan's text: strings by text, numbers by value,
    /// booleans and null by their JSON spelling.
    static func matches(_ value: Any?, expected: String) -> Bool {
        switch value {
        case let string as String:
            return string == expected
        case let number as NSNumber:
            if isBoolean(number) {
                return expected == (number.boolValue ? "true" : "false")
            }
            return Double(expected) == number.doubleValue
        case is NSNull:
            return expected == "null"
        default:
            return false
        }
    }

    static func describe(_ value: Any?, mask: SecretMask = SecretMask([])) -> String {
        switch value {
        case nil: return "nothing (no such path)"
        case let string as String: return "\"\(RemoteText.sanitize(mask.apply(string), limit: 60))\""
        case let number as NSNumber:
            if isBoolean(number) { return number.boolValue ? "true" : "false" }
            return "\(number)"
        case is NSNull: return "null"
        case is [Any]: return "a list"
        default: return "an object"
        }
    }

    /// JSON booleans arrive as NSNumbers of C type `char`; JSON numbers never do.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
