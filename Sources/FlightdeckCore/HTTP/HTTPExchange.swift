/// One HTTP request and what came back, as the HTTP probe recorded it.
public struct HTTPExchange: Sendable, Equatable {
    /// The final response's status; nil when no response arrived.
    public var statusCode: Int?
    /// The final response's headers, in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The first bytes of the body, up to the probe's cap.
    public var body: [UInt8]
    /// Whether the body was longer than the cap (the rest was not read).
    public var bodyTruncated: Bool
    /// Bytes of body received.
    public var bytesReceived: Int64
    public var timings: PhaseTimings
    /// The address and port actually connected to.
    public var remoteAddress: String?
    /// `HTTP/1.1`, `HTTP/2`.
    public var httpVersion: String?
    /// Redirects followed.
    public var redirects: Int
    public var transportError: TransportError?

    public init(statusCode: Int? = nil, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                bodyTruncated: Bool = false, bytesReceived: Int64 = 0, timings: PhaseTimings = PhaseTimings(),
                remoteAddress: String? = nil, httpVersion: String? = nil, redirects: Int = 0,
                transportError: TransportError? = nil) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
        self.bytesReceived = bytesReceived
        self.timings = timings
        self.remoteAddress = remoteAddress
        self.httpVersion = httpVersion
        self.redirects = redirects
        self.transportError = transportError
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public static func == (lhs: HTTPExchange, rhs: HTTPExchange) -> Bool {
        lhs.statusCode == rhs.statusCode && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
            && lhs.body == rhs.body && lhs.bodyTruncated == rhs.bodyTruncated && lhs.bytesReceived == rhs.bytesReceived
            && lhs.timings == rhs.timings && lhs.remoteAddress == rhs.remoteAddress && lhs.httpVersion == rhs.httpVersion
            && lhs.redirects == rhs.redirects && lhs.transportError == rhs.transportError
    }
}

/// When each phase of a request ended, measured from its start (as curl reports them).
/// A phase that did not happen (no TLS on plain HTTP, no DNS with an address) is nil.
public struct PhaseTimings: Sendable, Equatable {
    public var dnsDone: Duration?
    public var connected: Duration?
    public var tlsDone: Duration?
    public var firstByte: Duration?
    public var total: Duration?

    public init(dnsDone: Duration? = nil, connected: Duration? = nil, tlsDone: Duration? = nil,
                firstByte: Duration? = nil, total: Duration? = nil) {
        self.dnsDone = dnsDone
        self.connected = connected
        self.tlsDone = tlsDone
        self.firstByte = firstByte
        self.total = total
    }

    /// The phase a request that ran out of time was in.
    public func phaseReached(usesTLS: Bool) -> Phase {
        if firstByte != nil { return .body }
        if tlsDone != nil || (connected != nil && !usesTLS) { return .firstByte }
        if connected != nil { return .tlsHandshake }
        if dnsDone != nil { return .connect }
        return .dns
    }

    public enum Phase: String, Sendable {
        case dns = "the DNS answer"
        case connect = "the connection"
        case tlsHandshake = "the TLS handshake"
        case firstByte = "the first byte"
        case body = "the rest of the body"
    }
}

/// Why a request got no usable response, in one class and one readable line.
public struct TransportError: Sendable, Equatable, Error {
    public enum Kind: String, Sendable, Equatable {
        case dns, refused, timeout, tls, connection, headersTooLarge = "headers-too-large"
        case redirectLoop = "redirect-loop", protocolError = "protocol", other
    }

    public var kind: Kind
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
}
