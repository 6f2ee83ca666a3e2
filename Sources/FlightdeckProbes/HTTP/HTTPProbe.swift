import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization

/// Runs one HTTP check of the plan: a request (or a WebSocket upgrade, or an HLS playlist
/// fetch) through the shared libcurl engine, judged by ``HTTPEvaluation``.
public final class HTTPProbe: Probe {
    public let check: HTTPCheck
    public let interval: Duration
    public let timeout: Duration
    private let planDirectory: String?
    private let engine: CurlEngine
    /// What a live HLS check saw last time.
    private let liveState = Mutex<HLSLiveState?>(nil)
    /// A target may echo what it was sent (a header, a token in the URL): what it says is
    /// shown with the plan's secrets replaced by their `${NAME}`.
    private let mask: SecretMask

    public var checkID: String { check.id }

    /// - Parameter planDirectory: where relative `ca_file`, `client_cert` and `client_key` paths are.
    public init(check: HTTPCheck, polling: PollingSettings, planDirectory: String?) {
        self.check = check
        interval = check.timing.interval ?? polling.interval
        timeout = check.timing.timeout ?? polling.timeout
        self.planDirectory = planDirectory
        engine = .shared
        mask = SecretMask([check.url] + check.headers.map(\.value) + [check.body, check.proxy].compactMap { $0 })
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        var request = baseRequest(url: check.url.value)
        var websocketAccept: String?
        if check.mode == .websocket {
            let key = WebSocketHandshake.newKey()
            websocketAccept = WebSocketHandshake.accept(forKey: key)
            request.headers += [
                "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: \(key)",
            ]
            request.httpVersion = .http1_1
            request.stopAtSwitchingProtocols = true
        }
        let exchange = await engine.perform(request)
        var playlist: HTTPExchange?
        if check.mode == .hls, check.liveStream, let variant = firstVariant(of: exchange) {
            playlist = await engine.perform(baseRequest(url: variant))
        }
        let previous = liveState.withLock { $0 }
        let evaluation = HTTPEvaluation(check: check, exchange: exchange, expectedWebSocketAccept: websocketAccept,
                                        playlist: playlist, previousLive: previous, now: now, mask: mask)
        if check.mode == .hls { liveState.withLock { $0 = evaluation.liveState } }
        let observed = evaluation.observed.mapValues { value -> ObservedValue in
            if case .text(let text) = value { return .text(redact(text)) }
            return value
        }
        return ProbeOutcome(checkID: check.id, finishedAt: now, status: evaluation.status, detail: redact(evaluation.detail),
                            latency: exchange.transportError == nil ? exchange.timings.total : nil,
                            observed: observed, evidence: .http(redact(exchange)))
    }

    private func redact(_ exchange: HTTPExchange) -> HTTPExchange {
        HTTPEvaluation.masked(exchange, mask)
    }

    private func redact(_ text: String) -> String {
        mask.apply(text)
    }

    private func baseRequest(url: String) -> CurlRequest {
        let target = URL(string: url)
        var request = CurlRequest(url: Self.curlURL(url), destination: destination(of: target))
        request.method = check.method
        request.headers = check.headers.map { "\($0.name): \($0.value.value)" }
        request.body = check.body.map { Array($0.value.utf8) }
        request.followRedirects = check.followRedirects
        request.connectTo = check.connectTo.map { "::\($0.family == .ipv6 ? "[\($0.host)]" : $0.host):\($0.port.map(String.init) ?? "")" }
        request.ipVersion = check.ipVersion
        request.httpVersion = check.httpVersion
        request.caFile = check.caFile.map(resolve)
        request.clientCertificate = check.clientCertificate.map(resolve)
        request.clientKey = check.clientKey.map(resolve)
        request.proxy = check.proxy?.value
        request.timeout = timeout
        return request
    }

    /// libcurl here speaks WebSocket only as HTTP: the upgrade is an HTTP/1.1 request.
    static func curlURL(_ url: String) -> String {
        if url.lowercased().hasPrefix("ws://") { return "http://" + url.dropFirst(5) }
        if url.lowercased().hasPrefix("wss://") { return "https://" + url.dropFirst(6) }
        return url
    }

    private func destination(of url: URL?) -> String {
        if let address = check.connectTo {
            return address.port == nil ? "\(address):\(url?.port ?? Self.defaultPort(url))" : address.description
        }
        return "\(url?.host ?? "?"):\(url?.port ?? Self.defaultPort(url))"
    }

    private static func defaultPort(_ url: URL?) -> Int {
        ["https", "wss"].contains(url?.scheme?.lowercased() ?? "") ? 443 : 80
    }

    private func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/"), let planDirectory else { return path }
        return "\(planDirectory)/\(path)"
    }

    /// A master playlist's first variant, as an absolute URL.
    private func firstVariant(of exchange: HTTPExchange) -> String? {
        guard exchange.transportError == nil,
              case .success(let playlist) = HLSPlaylist.parse(String(decoding: exchange.body, as: UTF8.self)),
              case .master(let variants) = playlist.kind, let first = variants.first else { return nil }
        return URL(string: first, relativeTo: URL(string: check.url.value))?.absoluteString
    }
}

/// The client side of the RFC 6455 opening handshake.
enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// A fresh random `Sec-WebSocket-Key`: 16 bytes, base64.
    static func newKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }

    /// The `Sec-WebSocket-Accept` a server must answer `key` with: base64(SHA-1(key + GUID)).
    static func accept(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_Digest(input, input.count, &digest, &length, EVP_sha1(), nil) == 1 else { return "" }
        return Data(digest.prefix(Int(length))).base64EncodedString()
    }
}
