import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One TLS handshake to inspect.
struct TLSRequest: Sendable {
    var address: SocketAddress
    /// Sent as SNI.
    var serverName: String
    var caFile: String?
    /// Offer only this protocol version (`TLS1_VERSION`...), to learn whether the server
    /// accepts it; nil offers every version.
    var onlyVersion: Int32? = nil
    /// For the connection, and again for the handshake.
    var timeout: Duration
}

/// TLS handshakes without blocking anyone: one worker thread per core, each driving many
/// non-blocking handshakes with poll(2), each with a deadline for the connection and one for
/// the handshake, so a server that accepts and never speaks (or stalls halfway) costs a
/// timeout, never a hung thread.
final class TLSEngine: Sendable {
    static let shared = TLSEngine(threads: ProcessInfo.processInfo.activeProcessorCount)

    private let workers: [TLSWorker]
    private let next = Atomic<Int>(0)

    init(threads: Int) {
        BrokenPipes.ignored
        let contexts = TLSClientContexts()
        workers = (0..<min(max(threads, 1), 8)).map { TLSWorker(name: "flightdeck-tls-\($0)", contexts: contexts) }
    }

    func inspect(_ request: TLSRequest) async -> Result<TLSInspection, TransportError> {
        let index = next.add(1, ordering: .relaxed).newValue % workers.count
        return await workers[index].inspect(request)
    }
}

private final class TLSWorker: Sendable {
    private let inbox = PollInbox<Job>()

    struct Job: @unchecked Sendable {
        var request: TLSRequest
        var continuation: CheckedContinuation<Result<TLSInspection, TransportError>, Never>
    }

    init(name: String, contexts: TLSClientContexts) {
        let thread = Thread { [inbox] in
            var loop = HandshakeLoop(inbox: inbox, contexts: contexts)
            loop.run()
        }
        thread.name = name
        thread.start()
    }

    func inspect(_ request: TLSRequest) async -> Result<TLSInspection, TransportError> {
        await withCheckedContinuation { continuation in
            inbox.submit(Job(request: request, continuation: continuation))
        }
    }
}

/// A worker thread's handshakes in progress.
private struct HandshakeLoop {
    let inbox: PollInbox<TLSWorker.Job>
    let contexts: TLSClientContexts
    private var handshakes: [Int32: Handshake] = [:]
    private let clock = ContinuousClock()

    init(inbox: PollInbox<TLSWorker.Job>, contexts: TLSClientContexts) {
        self.inbox = inbox
        self.contexts = contexts
    }

    private struct Handshake {
        var job: TLSWorker.Job
        var ssl: OpaquePointer?
        var started: ContinuousClock.Instant
        var connectedAt: ContinuousClock.Instant?
        var deadline: ContinuousClock.Instant
        var wantsWrite = true
    }

    mutating func run() {
        while true {
            for job in inbox.take() { start(job) }
            var descriptors = [pollfd(fd: inbox.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
            descriptors += handshakes.map { pollfd(fd: $0.key, events: Int16($0.value.wantsWrite ? POLLOUT : POLLIN), revents: 0) }
            let now = clock.now
            let wait = handshakes.values.map(\.deadline).min().map { deadline -> Int32 in
                let left = now.duration(to: deadline)
                return Int32(max(0, min(1000, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000) + 1)))
            } ?? 1000
            _ = poll(&descriptors, nfds_t(descriptors.count), wait)
            for entry in descriptors where entry.revents != 0 {
                if entry.fd == inbox.wakeDescriptor {
                    inbox.drainWake()
                } else {
                    advance(entry.fd)
                }
            }
            let expired = handshakes.filter { $0.value.deadline <= clock.now }
            for (descriptor, handshake) in expired {
                let phase = handshake.connectedAt == nil ? "the connection" : "the TLS handshake"
                finish(descriptor, .failure(TransportError(.timeout, "timed out after \(HTTPEvaluation.milliseconds(handshake.job.request.timeout)) waiting for \(phase)")))
            }
        }
    }

    private mutating func start(_ job: TLSWorker.Job) {
        let request = job.request
        guard let address = SocketAddressCodec.storage(for: request.address) else {
            job.continuation.resume(returning: .failure(TransportError(.other, "bad address \(request.address)")))
            return
        }
        let descriptor = socket(request.address.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            job.continuation.resume(returning: .failure(TransportError(.other, "cannot open a socket: \(String(cString: strerror(errno)))")))
            return
        }
        let started = clock.now
        let result = address.withUnsafeBytes { connect(descriptor, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count)) }
        guard result == 0 || errno == EINPROGRESS else {
            let error = connectError(errno, request.address)
            close(descriptor)
            job.continuation.resume(returning: .failure(error))
            return
        }
        handshakes[descriptor] = Handshake(job: job, ssl: nil, started: started, connectedAt: nil, deadline: started + request.timeout)
    }

    private func connectError(_ code: Int32, _ address: SocketAddress) -> TransportError {
        code == ECONNREFUSED
            ? TransportError(.refused, "connection refused by \(address)")
            : TransportError(.connection, "cannot connect to \(address): \(String(cString: strerror(code)))")
    }

    private mutating func advance(_ descriptor: Int32) {
        guard var handshake = handshakes[descriptor] else { return }
        let request = handshake.job.request
        if handshake.connectedAt == nil {
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                finish(descriptor, .failure(connectError(error, request.address)))
                return
            }
            let now = clock.now
            handshake.connectedAt = now
            handshake.deadline = now + request.timeout
            let context: OpaquePointer
            switch contexts.context(for: request.caFile, version: request.onlyVersion) {
            case .success(let made): context = made
            case .failure(let problem):
                finish(descriptor, .failure(problem))
                return
            }
            guard let ssl = SSL_new(context) else {
                finish(descriptor, .failure(TransportError(.tls, "TLS: OpenSSL could not set up a connection")))
                return
            }
            SSL_set_fd(ssl, descriptor)
            _ = fd_ssl_set_tlsext_host_name(ssl, request.serverName)
            _ = fd_ssl_request_ocsp(ssl)
            handshake.ssl = ssl
        }
        guard let ssl = handshake.ssl else { return }
        ERR_clear_error()
        let result = SSL_connect(ssl)
        if result == 1 {
            handshakes[descriptor] = handshake
            let inspection = CertificateReader.inspection(
                ssl, address: request.address,
                connected: handshake.started.duration(to: handshake.connectedAt ?? handshake.started),
                handshakeDone: handshake.started.duration(to: clock.now))
            finish(descriptor, .success(inspection))
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            handshake.wantsWrite = false
            handshakes[descriptor] = handshake
        case SSL_ERROR_WANT_WRITE:
            handshake.wantsWrite = true
            handshakes[descriptor] = handshake
        case SSL_ERROR_SSL:
            finish(descriptor, .failure(TransportError(.tls, "TLS handshake failed: \(openSSLError())")))
        default:
            finish(descriptor, .failure(TransportError(.connection, "the server closed the connection during the TLS handshake")))
        }
    }

    private mutating func finish(_ descriptor: Int32, _ result: Result<TLSInspection, TransportError>) {
        guard let handshake = handshakes.removeValue(forKey: descriptor) else { return }
        if let ssl = handshake.ssl {
            SSL_set_quiet_shutdown(ssl, 1)
            SSL_free(ssl)
        }
        close(descriptor)
        handshake.job.continuation.resume(returning: result)
    }
}

/// The client contexts every TLS worker makes its handshakes from: one per CA file (nil: the
/// system's trust store) and offered version, made once and shared by all workers, each
/// verifying against the process's shared ``TrustStores``. OpenSSL lets any thread make
/// connections from a context once it is set up.
final class TLSClientContexts: Sendable {
    private struct Made: @unchecked Sendable {
        var contexts: [String: OpaquePointer] = [:]
    }

    private let made = Mutex(Made())

    func context(for caFile: String?, version: Int32?) -> Result<OpaquePointer, TransportError> {
        let key = "\(caFile ?? "")|\(version.map(String.init) ?? "")"
        return made.withLock { made in
            if let existing = made.contexts[key] { return .success(existing) }
            let store: OpaquePointer
            switch TrustStores.shared.store(for: caFile) {
            case .success(let loaded): store = loaded
            case .failure(let problem): return .failure(TransportError(.tls, "TLS: \(problem.message)"))
            }
            guard let context = SSL_CTX_new(TLS_client_method()) else {
                return .failure(TransportError(.tls, "TLS: OpenSSL could not make a client context"))
            }
            // Inspect whatever the server has, however weak: Flightdeck judges it, OpenSSL must not refuse it.
            SSL_CTX_set_security_level(context, 0)
            _ = fd_ssl_ctx_set_min_proto_version(context, version ?? TLS1_VERSION)
            if let version { _ = fd_ssl_ctx_set_max_proto_version(context, version) }
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
            SSL_CTX_set1_cert_store(context, store)
            made.contexts[key] = context
            return .success(context)
        }
    }
}

func openSSLError() -> String {
    let code = ERR_get_error()
    guard code != 0 else { return "unknown error" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // `error:0A00042E:SSL routines::tlsv1 alert protocol version` → the reason at the end.
    return text.split(separator: ":").last.map(String.init) ?? text
}

/// Reads what a finished handshake showed.
enum CertificateReader {
    static func inspection(_ ssl: OpaquePointer, address: SocketAddress, connected: Duration, handshakeDone: Duration) -> TLSInspection {
        var chain: [CertificateInfo] = []
        if let stack = SSL_get_peer_cert_chain(ssl) {
            for index in 0..<fd_sk_x509_num(stack) {
                if let certificate = fd_sk_x509_value(stack, index) { chain.append(info(certificate)) }
            }
        }
        let code = SSL_get_verify_result(ssl)
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "?"
        var scts = 0
        if let leaf = SSL_get0_peer_certificate(ssl),
           let list = X509_get_ext_d2i(leaf, NID_ct_precert_scts, nil, nil) {
            let stack = OpaquePointer(list)
            scts = Int(fd_sk_sct_num(stack))
            fd_sct_list_free(stack)
        }
        var inspection = TLSInspection(
            protocolVersion: String(cString: SSL_get_version(ssl)), cipher: cipher, chain: chain,
            verificationCode: Int(code), verificationReason: code == X509_V_OK ? "ok" : String(cString: X509_verify_cert_error_string(code)),
            ocsp: ocspStatus(ssl), embeddedSCTs: scts, remoteAddress: address.description,
            connected: connected, handshakeDone: handshakeDone)
        if let leaf = SSL_get0_peer_certificate(ssl), let leafDER = der(leaf) {
            let stack = SSL_get_peer_cert_chain(ssl)
            let issuer = stack.flatMap { fd_sk_x509_num($0) > 1 ? fd_sk_x509_value($0, 1) : nil }
            inspection.revocationPointers = RevocationPointers(
                leafDER: leafDER, issuerDER: issuer.flatMap(der),
                crlURLs: uris(leaf, fd_x509_crl_uris), ocspURLs: uris(leaf, fd_x509_ocsp_uris))
        }
        return inspection
    }

    static func der(_ certificate: OpaquePointer) -> [UInt8]? { der(certificate, encode: i2d_X509) }

    /// An OpenSSL object's DER bytes through its i2d function: asked once for the length,
    /// once to write them.
    static func der(_ object: OpaquePointer, encode: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
        let length = encode(object, nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(object, &cursor)
        }
        return written == length ? bytes : nil
    }

    /// The certificate's http(s) URIs of one kind (at most 4, each at most 512 bytes): a
    /// certificate is remote text, and only these schemes are fetched.
    private static func uris(_ certificate: OpaquePointer, _ read: (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32) -> [String] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let used = Int(read(certificate, &buffer, Int32(buffer.count)))
        let text = String(decoding: buffer.prefix(used).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { uri in
            uri.utf8.count <= 512 && (uri.lowercased().hasPrefix("http://") || uri.lowercased().hasPrefix("https://"))
                && !uri.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F }
        }.prefix(4).map { $0 }
    }

    static func info(_ certificate: OpaquePointer) -> CertificateInfo {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(certificate, EVP_sha256(), &digest, &length)
        let key = X509_get0_pubkey(certificate)
        let keyType: String
        switch key.map({ EVP_PKEY_get_base_id($0) }) ?? 0 {
        case EVP_PKEY_RSA: keyType = "RSA"
        case EVP_PKEY_EC: keyType = "EC"
        case EVP_PKEY_ED25519: keyType = "Ed25519"
        case EVP_PKEY_ED448: keyType = "Ed448"
        case EVP_PKEY_DSA: keyType = "DSA"
        default: keyType = "unknown"
        }
        return CertificateInfo(
            subject: RemoteText.sanitize(name(X509_get_subject_name(certificate)), limit: 300),
            issuer: RemoteText.sanitize(name(X509_get_issuer_name(certificate)), limit: 300),
            serial: serial(certificate),
            fingerprint: digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(),
            notBefore: date(X509_get0_notBefore(certificate)), notAfter: date(X509_get0_notAfter(certificate)),
            keyType: keyType, keyBits: Int(key.map { EVP_PKEY_get_bits($0) } ?? 0),
            signatureAlgorithm: String(cString: OBJ_nid2ln(X509_get_signature_nid(certificate))),
            dnsNames: dnsNames(certificate), isCA: X509_check_ca(certificate) > 0)
    }

    private static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        _ = fd_x509_name_print_rfc2253(bio, name)
        var data: UnsafeMutablePointer<CChar>?
        let count = fd_bio_mem_data(bio, &data)
        guard let data, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: count), as: UTF8.self)
    }

    private static func serial(_ certificate: OpaquePointer) -> String {
        guard let number = ASN1_INTEGER_to_BN(X509_get_serialNumber(certificate), nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { fd_openssl_free(hex) }
        return String(cString: hex)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    private static func dnsNames(_ certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<fd_sk_general_name_num(names) {
            guard let entry = fd_sk_general_name_value(names, index), entry.pointee.type == GEN_DNS,
                  let text = entry.pointee.d.dNSName, let bytes = ASN1_STRING_get0_data(text) else { continue }
            let value = String(decoding: UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(text))), as: UTF8.self)
            result.append(RemoteText.sanitize(value.lowercased(), limit: 255))
        }
        return result
    }

    /// What the stapled OCSP response says about the leaf. A response about another
    /// certificate, or outside its validity period, says nothing about this one.
    private static func ocspStatus(_ ssl: OpaquePointer) -> TLSInspection.StapledOCSP {
        var data: UnsafePointer<UInt8>?
        let length = fd_ssl_get_ocsp_response(ssl, &data)
        guard length > 0, data != nil else { return .none }
        guard let response = d2i_OCSP_RESPONSE(nil, &data, length) else { return .malformed }
        defer { OCSP_RESPONSE_free(response) }
        guard OCSP_response_status(response) == OCSP_RESPONSE_STATUS_SUCCESSFUL,
              let basic = OCSP_response_get1_basic(response) else { return .malformed }
        defer { OCSP_BASICRESP_free(basic) }
        var status: Int32 = -1
        var reason: Int32 = 0
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        if let leaf = SSL_get0_peer_certificate(ssl), let stack = SSL_get_peer_cert_chain(ssl), fd_sk_x509_num(stack) > 1,
           let issuer = fd_sk_x509_value(stack, 1) {
            guard let id = OCSP_cert_to_id(nil, leaf, issuer) else { return .malformed }
            defer { OCSP_CERTID_free(id) }
            guard OCSP_resp_find_status(basic, id, &status, &reason, nil, &thisUpdate, &nextUpdate) == 1 else { return .otherCertificate }
        } else {
            // No issuer to name the leaf by: the response's first (usually only) entry.
            guard OCSP_resp_count(basic) > 0, let single = OCSP_resp_get0(basic, 0) else { return .malformed }
            status = OCSP_single_get0_status(single, &reason, nil, &thisUpdate, &nextUpdate)
        }
        if let thisUpdate, OCSP_check_validity(thisUpdate, nextUpdate, 300, -1) != 1 { return .stale }
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: return .good
        case V_OCSP_CERTSTATUS_REVOKED: return .revoked
        default: return .unknown
        }
    }
}
