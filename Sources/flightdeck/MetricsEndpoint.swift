import ArgumentParser
import FlightdeckCore
import FlightdeckView
import Foundation
import Synchronization

/// The launch's metrics over HTTP for Prometheus: `GET /metrics` on the address given, the
/// text rendered from the live session's state at each scrape. One connection at a time on
/// a thread of its own; a request must arrive whole within 2 s and fit in 8 KiB, so a slow
/// or hostile client holds nothing for long.
final class MetricsEndpoint: Sendable {
    struct AddressError: Error, CustomStringConvertible {
        var description: String
    }

    private let latest = Mutex<(state: CockpitState?, shown: ContinuousClock.Instant, exposition: MetricsExposition)>((nil, .now, MetricsExposition()))
    private let listener: Int32
    /// Written to on `stop`, so the serving thread wakes and ends.
    private let wake: (read: Int32, write: Int32)
    let address: String

    /// Listens on `address` (`HOST:PORT`, `[IPV6]:PORT`).
    init(address: String) throws {
        self.address = address
        listener = try Self.listen(on: address)
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            close(listener)
            throw AddressError(description: "cannot serve metrics: \(String(cString: strerror(errno)))")
        }
        wake = (ends[0], ends[1])
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let thread = Thread { [self] in serve() }
        thread.name = "metrics"
        thread.start()
    }

    /// What the session shows after a batch of events, as of the last second at most; each
    /// probe's outcome among them also counts toward its check's histogram. The state kept
    /// here shares its storage with the session's, so the session's next change copies what
    /// it changes: once a second, not after every batch.
    func update(_ events: [CockpitEvent], state: CockpitState) {
        latest.withLock { latest in
            for case .outcome(let outcome) in events { latest.exposition.observe(outcome) }
            let now = ContinuousClock.now
            if latest.state == nil || latest.shown.duration(to: now) >= Self.stateInterval {
                latest.state = state
                latest.shown = now
            }
        }
    }

    static let stateInterval = Duration.seconds(1)

    func stop() {
        _ = write(wake.write, "x", 1)
    }

    private func serve() {
        defer {
            close(listener)
            close(wake.read)
            close(wake.write)
        }
        while true {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { return }
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while request.count < 8192, request.suffix(4) != [13, 10, 13, 10] {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            request += buffer[0..<count]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let response: (status: String, type: String, body: String)
        if line.count >= 2, line[0] == "GET" || line[0] == "HEAD", line[1] == "/metrics" || line[1].hasPrefix("/metrics?") {
            let text = latest.withLock { latest in latest.state.map { latest.exposition.text(for: $0) } } ?? ""
            response = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", line[0] == "HEAD" ? "" : text)
        } else if line.count >= 2, line[0] == "GET" || line[0] == "HEAD" {
            response = ("404 Not Found", "text/plain; charset=utf-8", "Flightdeck serves its metrics at /metrics\n")
        } else {
            response = ("405 Method Not Allowed", "text/plain; charset=utf-8", "GET /metrics\n")
        }
        let body = Array(response.body.utf8)
        let head = "HTTP/1.1 \(response.status)\r\nContent-Type: \(response.type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8) + body
        while !bytes.isEmpty {
            let sent = send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            guard sent > 0 else { return }
            bytes.removeFirst(sent)
        }
    }

    /// A listening TCP socket on `HOST:PORT`.
    private static func listen(on address: String) throws -> Int32 {
        let host: String, port: String
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            host = String(address[address.index(after: address.startIndex)..<close])
            port = String(address[address.index(after: close)...].dropFirst())
        } else if let colon = address.lastIndex(of: ":") {
            host = String(address[..<colon])
            port = String(address[address.index(after: colon)...])
        } else {
            throw AddressError(description: "`\(address)` is not an address to serve metrics on: give HOST:PORT, such as 127.0.0.1:9464")
        }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw AddressError(description: "`\(port)` is not a port: give HOST:PORT, such as 127.0.0.1:9464")
        }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host.isEmpty ? nil : host, port, &hints, &found)
        guard status == 0, let info = found else {
            throw AddressError(description: "cannot serve metrics on \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw AddressError(description: "cannot serve metrics: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(descriptor, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw AddressError(description: "cannot serve metrics on \(address): \(reason)")
        }
        return descriptor
    }
}

/// `--metrics HOST:PORT`: where to serve the launch's metrics, if anywhere.
struct MetricsOption: ParsableArguments {
    @Option(help: "Serve the launch's metrics for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464).")
    var metrics: String?

    /// The endpoint, listening; exits 2 with the reason when it cannot listen there.
    func endpoint() throws -> MetricsEndpoint? {
        guard let metrics else { return nil }
        do {
            return try MetricsEndpoint(address: metrics)
        } catch {
            Console.error("flightdeck: \(error)")
            throw ExitCode.usageOrPlanError
        }
    }
}
