import CCurl
import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization

/// One HTTP request as libcurl should make it.
struct CurlRequest: Sendable {
    var url: String
    /// Where the request goes, for messages: `host:port`, or the connect-to address.
    var destination: String
    var method = "GET"
    /// `Name: value` lines.
    var headers: [String] = []
    var body: [UInt8]?
    var followRedirects = false
    var maxRedirects = 10
    /// curl's `--connect-to` form: `HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT`.
    var connectTo: String?
    var ipVersion: HTTPCheck.IPVersion = .any
    var httpVersion: HTTPCheck.HTTPVersion?
    var caFile: String?
    var clientCertificate: String?
    var clientKey: String?
    var proxy: String?
    var timeout: Duration = .seconds(5)
    /// At most this much body is kept; the transfer stops there.
    var bodyCap = 1 << 20
    /// Response headers beyond this many bytes end the transfer.
    var headerCap = 64 << 10
    /// For WebSocket upgrades: stop as soon as a 101 response's headers are complete.
    var stopAtSwitchingProtocols = false
    /// AWS Signature V4, signed by libcurl: `aws:amz:REGION:SERVICE`, with the key pair.
    var awsSigV4: (scope: String, accessKey: String, secretKey: String)?
    /// For `smtp://` URLs: the envelope; `body` is the message, uploaded as it is.
    var mail: (from: String, to: [String])?
}

/// The HTTP engine: one ``CurlMulti`` per processor core, transfers dealt out in turn, so
/// TLS handshakes (most of a probe's CPU) use every core while no caller ever blocks.
final class CurlEngine: Sendable {
    static let shared = CurlEngine(threads: ProcessInfo.processInfo.activeProcessorCount)

    private let workers: [CurlMulti]
    private let next = Atomic<Int>(0)

    init(threads: Int) {
        _ = fd_curl_global_init()
        workers = (0..<min(max(threads, 1), 8)).map { CurlMulti(name: "flightdeck-curl-\($0)") }
    }

    func perform(_ request: CurlRequest) async -> HTTPExchange {
        let index = next.add(1, ordering: .relaxed).newValue % workers.count
        return await workers[index].perform(request)
    }
}

/// libcurl's multi interface on one dedicated thread that owns every curl handle it runs,
/// bridged to async/await: `perform` queues a request, wakes the thread, and resumes when
/// the transfer ends. Thousands of transfers share the thread; none blocks a caller.
final class CurlMulti: Sendable {

    /// Owned by the curl thread; only `curl_multi_wakeup` is called from other threads,
    /// which libcurl allows.
    private nonisolated(unsafe) let multi: UnsafeMutableRawPointer
    private let incoming = Mutex<[CurlTransfer]>([])

    /// Call `curl_global_init` before the first of these (``CurlEngine`` does).
    init(name: String) {
        multi = curl_multi_init()!
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    func perform(_ request: CurlRequest) async -> HTTPExchange {
        await withCheckedContinuation { continuation in
            let transfer = CurlTransfer(request: request, continuation: continuation)
            incoming.withLock { $0.append(transfer) }
            curl_multi_wakeup(multi)
        }
    }

    private func loop() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var stillRunning: Int32 = 0
        while true {
            for transfer in incoming.withLock({ queue in defer { queue.removeAll() }; return queue }) {
                guard let easy = transfer.start() else { continue }
                active[easy] = transfer
                curl_multi_add_handle(multi, easy)
            }
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                active.removeValue(forKey: easy)?.finish(result)
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

/// One transfer's handle, buffers and continuation. Created on the caller's thread, then
/// touched only by the curl thread (its callbacks run there), which is why it can be
/// handed across threads once.
private final class CurlTransfer: @unchecked Sendable {
    let request: CurlRequest
    private let continuation: CheckedContinuation<HTTPExchange, Never>
    private var easy: UnsafeMutableRawPointer?
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    /// curl writes its error message here; it must outlive every call, so it is allocated.
    private let errorBuffer: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        buffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return buffer
    }()

    private var body: [UInt8] = []
    private var bodyTruncated = false
    private var bytesReceived: Int64 = 0
    private var headerBytes = 0
    private var headersTooLarge = false
    private var statusLine: String?
    private var headers: [(name: String, value: String)] = []
    private var switchedProtocols = false
    /// How much of an SMTP message has been handed to curl.
    private var uploaded = 0
    /// Why the trust store could not be loaded, when that ended the transfer.
    private var trustProblem: TrustStoreProblem?

    init(request: CurlRequest, continuation: CheckedContinuation<HTTPExchange, Never>) {
        self.request = request
        self.continuation = continuation
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Creates and configures the easy handle; on failure completes at once and returns nil.
    func start() -> UnsafeMutableRawPointer? {
        guard let handle = curl_easy_init() else {
            continuation.resume(returning: HTTPExchange(transportError: TransportError(.other, "libcurl could not create a handle")))
            return nil
        }
        easy = handle
        if let problem = configure(handle) {
            cleanUp()
            continuation.resume(returning: HTTPExchange(transportError: TransportError(.other, problem)))
            return nil
        }
        return handle
    }

    private func configure(_ h: UnsafeMutableRawPointer) -> String? {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append("\(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        check(fd_curl_setopt_string(h, CURLOPT_URL, request.url), "URL")
        check(fd_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "nosignal")
        check(fd_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        check(fd_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION, curlWriteBody), "write function")
        check(fd_curl_setopt_pointer(h, CURLOPT_WRITEDATA, me), "write data")
        check(fd_curl_setopt_write_function(h, CURLOPT_HEADERFUNCTION, curlWriteHeader), "header function")
        check(fd_curl_setopt_pointer(h, CURLOPT_HEADERDATA, me), "header data")
        check(fd_curl_setopt_string(h, CURLOPT_USERAGENT, "Flightdeck/\(FlightdeckVersion.current)"), "user agent")
        // Health checkers measure a whole connection every time, and must see DNS as it is now.
        check(fd_curl_setopt_long(h, CURLOPT_FRESH_CONNECT, 1), "fresh connect")
        check(fd_curl_setopt_long(h, CURLOPT_FORBID_REUSE, 1), "forbid reuse")
        check(fd_curl_setopt_long(h, CURLOPT_DNS_CACHE_TIMEOUT, 0), "DNS cache")
        // A resumed TLS session skips the certificate: every probe must see the one served now.
        check(fd_curl_setopt_long(h, CURLOPT_SSL_SESSIONID_CACHE, 0), "TLS session cache")
        let milliseconds = Int(request.timeout.components.seconds) * 1000 + Int(request.timeout.components.attoseconds / 1_000_000_000_000_000)
        check(fd_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, max(1, milliseconds)), "timeout")
        check(fd_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, max(1, milliseconds)), "connect timeout")

        switch request.method {
        case "GET": break
        case "HEAD": check(fd_curl_setopt_long(h, CURLOPT_NOBODY, 1), "HEAD")
        default: check(fd_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method), "method")
        }
        if let mail = request.mail {
            check(fd_curl_setopt_string(h, CURLOPT_MAIL_FROM, "<\(mail.from)>"), "mail from")
            if let list = makeList(mail.to.map { "<\($0)>" }) { check(fd_curl_setopt_pointer(h, CURLOPT_MAIL_RCPT, list), "mail recipients") }
            check(fd_curl_setopt_long(h, CURLOPT_UPLOAD, 1), "upload")
            check(fd_curl_setopt_off_t(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body?.count ?? 0)), "message size")
            check(fd_curl_setopt_write_function(h, CURLOPT_READFUNCTION, curlReadUpload), "read function")
            check(fd_curl_setopt_pointer(h, CURLOPT_READDATA, me), "read data")
        } else if let body = request.body {
            check(fd_curl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "body size")
            check(body.withUnsafeBytes { fd_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) }, "body")
            if request.method == "GET" { check(fd_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, "GET"), "method") }
        }
        if let list = makeList(request.headers) { check(fd_curl_setopt_pointer(h, CURLOPT_HTTPHEADER, list), "headers") }
        if request.followRedirects {
            check(fd_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 1), "follow redirects")
            check(fd_curl_setopt_long(h, CURLOPT_MAXREDIRS, request.maxRedirects), "max redirects")
        }
        if let connectTo = request.connectTo, let list = makeList([connectTo]) {
            check(fd_curl_setopt_pointer(h, CURLOPT_CONNECT_TO, list), "connect to")
        }
        switch request.ipVersion {
        case .any: break
        case .v4: check(fd_curl_setopt_long(h, CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V4)), "IPv4 only")
        case .v6: check(fd_curl_setopt_long(h, CURLOPT_IPRESOLVE, Int(CURL_IPRESOLVE_V6)), "IPv6 only")
        }
        switch request.httpVersion {
        case nil: break
        case .http1_1: check(fd_curl_setopt_long(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1), "HTTP/1.1")
        case .http2: check(fd_curl_setopt_long(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_0), "HTTP/2")
        }
        // libcurl would read its CA file and directory again for every connection (Debian's
        // build names both, which turns its own cache off); the process's shared store stands
        // in. libcurl's cache stays off: it would put the first transfer's store back in place
        // of the one the callback chose.
        check(fd_curl_setopt_string(h, CURLOPT_CAINFO, nil), "CA file")
        check(fd_curl_setopt_string(h, CURLOPT_CAPATH, nil), "CA directory")
        check(fd_curl_setopt_long(h, CURLOPT_CA_CACHE_TIMEOUT, 0), "CA cache")
        check(fd_curl_setopt_ssl_ctx_function(h, curlUseTrustStore), "trust store")
        check(fd_curl_setopt_pointer(h, CURLOPT_SSL_CTX_DATA, me), "trust store data")
        if let certificate = request.clientCertificate { check(fd_curl_setopt_string(h, CURLOPT_SSLCERT, certificate), "client certificate") }
        if let key = request.clientKey { check(fd_curl_setopt_string(h, CURLOPT_SSLKEY, key), "client key") }
        if let proxy = request.proxy { check(fd_curl_setopt_string(h, CURLOPT_PROXY, proxy), "proxy") }
        if let aws = request.awsSigV4 {
            check(fd_curl_setopt_string(h, CURLOPT_AWS_SIGV4, aws.scope), "AWS signature")
            check(fd_curl_setopt_string(h, CURLOPT_USERNAME, aws.accessKey), "AWS access key")
            check(fd_curl_setopt_string(h, CURLOPT_PASSWORD, aws.secretKey), "AWS secret key")
        }
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }

    private func makeList(_ lines: [String]) -> UnsafeMutablePointer<curl_slist>? {
        guard !lines.isEmpty else { return nil }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines { list = curl_slist_append(list, line) }
        if let list { lists.append(list) }
        return list
    }

    // MARK: Callbacks (on the curl thread)

    /// Makes a TLS context libcurl has set up verify against the request's shared trust store.
    func useTrustStore(_ context: OpaquePointer) -> CURLcode {
        switch TrustStores.shared.store(for: request.caFile) {
        case .success(let store):
            SSL_CTX_set1_cert_store(context, store)
            return CURLE_OK
        case .failure(let problem):
            trustProblem = problem
            return CURLE_SSL_CACERT_BADFILE
        }
    }

    /// Hands curl the next piece of an SMTP message.
    func sendUpload(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let message = request.body ?? []
        let count = min(buffer.count, message.count - uploaded)
        guard count > 0 else { return 0 }
        message[uploaded..<(uploaded + count)].withUnsafeBytes { buffer.copyMemory(from: $0) }
        uploaded += count
        return count
    }

    /// Keeps the first `bodyCap` bytes; returning less than given stops the transfer there.
    func receiveBody(_ data: UnsafeRawBufferPointer) -> Int {
        bytesReceived += Int64(data.count)
        let room = request.bodyCap - body.count
        guard data.count <= room else {
            body.append(contentsOf: data.prefix(room))
            bodyTruncated = true
            return 0
        }
        body.append(contentsOf: data)
        return data.count
    }

    /// One header line at a time, status lines included; a new status line starts a new
    /// response (after a redirect or a 1xx), so the headers kept are the final response's.
    func receiveHeader(_ data: UnsafeRawBufferPointer) -> Int {
        headerBytes += data.count
        guard headerBytes <= request.headerCap else {
            headersTooLarge = true
            return 0
        }
        // Byte by byte: Foundation's trimming went through NSString here, for every header of every probe.
        let line = Self.trimmed(data[...]) { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
        if line.starts(with: "HTTP/".utf8) {
            statusLine = String(decoding: line, as: UTF8.self)
            headers = []
        } else if line.isEmpty {
            if request.stopAtSwitchingProtocols, statusLine.flatMap(Self.statusCode) == 101 {
                switchedProtocols = true
                return 0
            }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            // The value without the optional whitespace around it (RFC 9110: spaces and tabs).
            let value = Self.trimmed(line[(colon + 1)...]) { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            headers.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return data.count
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>, _ trims: (UInt8) -> Bool) -> Slice<UnsafeRawBufferPointer> {
        var bytes = bytes
        while let first = bytes.first, trims(first) { bytes.removeFirst() }
        while let last = bytes.last, trims(last) { bytes.removeLast() }
        return bytes
    }

    private static func statusCode(_ statusLine: String) -> Int? {
        let parts = statusLine.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    // MARK: Completion

    func finish(_ result: CURLcode) {
        guard let h = easy else { return }
        var exchange = HTTPExchange()
        var code = 0
        _ = fd_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &code)
        if switchedProtocols { code = 101 }
        exchange.statusCode = code > 0 ? code : nil
        exchange.headers = headers
        exchange.body = body
        exchange.bodyTruncated = bodyTruncated
        exchange.bytesReceived = bytesReceived
        exchange.timings = PhaseTimings(
            dnsDone: time(h, CURLINFO_NAMELOOKUP_TIME_T), connected: time(h, CURLINFO_CONNECT_TIME_T),
            tlsDone: time(h, CURLINFO_APPCONNECT_TIME_T), firstByte: time(h, CURLINFO_STARTTRANSFER_TIME_T),
            total: time(h, CURLINFO_TOTAL_TIME_T) ?? .zero)
        var ip: UnsafeMutablePointer<CChar>?
        var port = 0
        if fd_curl_getinfo_string(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK, let ip, ip.pointee != 0 {
            _ = fd_curl_getinfo_long(h, CURLINFO_PRIMARY_PORT, &port)
            let host = String(cString: ip)
            exchange.remoteAddress = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
        var version = 0
        _ = fd_curl_getinfo_long(h, CURLINFO_HTTP_VERSION, &version)
        exchange.httpVersion = Self.httpVersionName(version) ?? statusLine.flatMap { $0.split(separator: " ").first.map(String.init) }
        var redirects = 0
        _ = fd_curl_getinfo_long(h, CURLINFO_REDIRECT_COUNT, &redirects)
        exchange.redirects = redirects
        exchange.transportError = transportError(result, timings: exchange.timings)
        if exchange.transportError != nil, !switchedProtocols, result != CURLE_WRITE_ERROR || headersTooLarge {
            exchange.statusCode = nil
        }
        cleanUp()
        continuation.resume(returning: exchange)
    }

    private func time(_ h: UnsafeMutableRawPointer, _ info: CURLINFO) -> Duration? {
        var microseconds: curl_off_t = 0
        guard fd_curl_getinfo_off_t(h, info, &microseconds) == CURLE_OK, microseconds > 0 else { return nil }
        return .microseconds(microseconds)
    }

    private static func httpVersionName(_ version: Int) -> String? {
        switch version {
        case CURL_HTTP_VERSION_1_0: "HTTP/1.0"
        case CURL_HTTP_VERSION_1_1: "HTTP/1.1"
        case CURL_HTTP_VERSION_2_0: "HTTP/2"
        case CURL_HTTP_VERSION_3: "HTTP/3"
        default: nil
        }
    }

    /// Sorts curl's outcome into one error class with a line a tired person can act on.
    private func transportError(_ result: CURLcode, timings: PhaseTimings) -> TransportError? {
        let detail = RemoteText.sanitize(String(cString: errorBuffer), limit: 200)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
        if result != CURLE_OK, let trustProblem {
            return TransportError(.tls, "TLS: \(trustProblem.message)")
        }
        switch result {
        case CURLE_OK:
            return nil
        case CURLE_WRITE_ERROR where headersTooLarge:
            return TransportError(.headersTooLarge, "response headers larger than \(request.headerCap / 1024) KiB; stopped reading")
        case CURLE_WRITE_ERROR where bodyTruncated || switchedProtocols:
            return nil
        case CURLE_COULDNT_RESOLVE_HOST:
            return TransportError(.dns, "DNS: cannot resolve \(URL(string: request.url)?.host ?? request.url)")
        case CURLE_COULDNT_RESOLVE_PROXY:
            return TransportError(.dns, "DNS: cannot resolve the proxy")
        case CURLE_COULDNT_CONNECT:
            switch osErrno {
            case ECONNREFUSED: return TransportError(.refused, "connection refused by \(request.destination)")
            case ENETUNREACH, EHOSTUNREACH: return TransportError(.connection, "no route to \(request.destination)")
            default: return TransportError(.connection, "cannot connect to \(request.destination): \(message)")
            }
        case CURLE_OPERATION_TIMEDOUT:
            let limit = HTTPEvaluation.milliseconds(request.timeout)
            return TransportError(.timeout, "timed out after \(limit) waiting for \(timings.phaseReached(usesTLS: usesTLS).rawValue)")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return TransportError(.tls, "TLS: \(message)")
        case CURLE_TOO_MANY_REDIRECTS:
            return TransportError(.redirectLoop, "more than \(request.maxRedirects) redirects (a redirect loop?)")
        case CURLE_GOT_NOTHING:
            return TransportError(.connection, "the server closed the connection without answering")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return TransportError(.connection, "connection broken: \(message)")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING,
             CURLE_UNSUPPORTED_PROTOCOL where message.contains("HTTP/0.9"):
            return TransportError(.protocolError, "not a valid HTTP response: \(message)")
        default:
            return TransportError(.other, message)
        }
    }

    private var usesTLS: Bool {
        request.url.lowercased().hasPrefix("https:")
    }

    private var osErrno: Int32 {
        var value = 0
        guard let easy, fd_curl_getinfo_long(easy, CURLINFO_OS_ERRNO, &value) == CURLE_OK else { return 0 }
        return Int32(value)
    }

    private func cleanUp() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        for list in lists { curl_slist_free_all(list) }
        lists = []
    }
}

private let curlWriteBody: curl_write_callback = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

// curl's read callback has the write callback's shape.
private let curlReadUpload: curl_write_callback = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.sendUpload(UnsafeMutableRawBufferPointer(start: data, count: size * count))
}

private let curlUseTrustStore: curl_ssl_ctx_callback = { _, context, transfer in
    guard let context, let transfer else { return CURLE_SSL_CACERT_BADFILE }
    return Unmanaged<CurlTransfer>.fromOpaque(transfer).takeUnretainedValue().useTrustStore(OpaquePointer(context))
}

private let curlWriteHeader: curl_write_callback = { data, size, count, context in
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
}
