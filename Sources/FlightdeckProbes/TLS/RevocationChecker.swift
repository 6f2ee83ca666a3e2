import COpenSSL
import FlightdeckCore
import Foundation
import Synchronization

/// Asks the CRL and the OCSP responder a leaf names whether it is revoked, for leaves whose
/// server staples nothing that settles it. Every answer must be signed by the leaf's issuer
/// (a CRL) or by it or its delegated responder (OCSP), and be current; anything else is
/// "unavailable", never good.
///
/// Answers are kept until the CRL's or the response's nextUpdate, and at most an hour, so a
/// CRL the CA publishes early is seen within the hour while a poll every few seconds costs
/// one fetch per hour; a failure is asked again after a minute. At most 256 answers are kept.
final class RevocationChecker: Sendable {
    static let shared = RevocationChecker()

    static let crlCap = 8 << 20
    static let responseCap = 64 << 10
    static let longestKeep: TimeInterval = 3600
    static let retryAfterFailure: TimeInterval = 60
    static let cacheLimit = 256
    /// Clock skew allowed on thisUpdate and lastUpdate, as OpenSSL's own tools allow.
    static let skew: TimeInterval = 300

    private let kept = Mutex<[String: (verdict: RevocationAnswer.Verdict, until: Date)]>([:])

    /// Every URL of every source the plan lets us ask (at most two of each), in the plan's order.
    func check(_ pointers: RevocationPointers, fingerprint: String, sources: [RevocationSource],
               timeout: Duration, now: Date) async -> RevocationFinding {
        var answers: [RevocationAnswer] = []
        for source in sources {
            for url in pointers.urls(of: source).prefix(2) {
                let key = "\(source.rawValue) \(url) \(fingerprint)"
                if let verdict = kept.withLock({ $0[key].flatMap { $0.until > now ? $0.verdict : nil } }) {
                    answers.append(RevocationAnswer(source: source, url: url, verdict: verdict))
                    continue
                }
                let (verdict, until) = await ask(source, url: url, pointers: pointers, timeout: timeout, now: now)
                keep(key, verdict, until: until, now: now)
                answers.append(RevocationAnswer(source: source, url: url, verdict: verdict))
            }
        }
        return RevocationFinding(answers: answers)
    }

    private func keep(_ key: String, _ verdict: RevocationAnswer.Verdict, until: Date, now: Date) {
        kept.withLock { kept in
            kept[key] = (verdict, until)
            guard kept.count > Self.cacheLimit else { return }
            kept = kept.filter { $0.value.until > now }
            while kept.count > Self.cacheLimit, let oldest = kept.min(by: { $0.value.until < $1.value.until }) {
                kept[oldest.key] = nil
            }
        }
    }

    private func ask(_ source: RevocationSource, url: String, pointers: RevocationPointers, timeout: Duration,
                     now: Date) async -> (RevocationAnswer.Verdict, until: Date) {
        let failed = now.addingTimeInterval(Self.retryAfterFailure)
        guard let issuerDER = pointers.issuerDER else {
            return (.unavailable("the server sends no issuer certificate to check an answer against"), failed)
        }
        var request = CurlRequest(url: url, destination: URLComponents(string: url).map { "\($0.host ?? url):\($0.port ?? 80)" } ?? url)
        request.timeout = timeout
        request.followRedirects = true
        request.maxRedirects = 3
        switch source {
        case .crl:
            request.bodyCap = Self.crlCap
        case .ocsp:
            guard let body = Certificates(leaf: pointers.leafDER, issuer: issuerDER)?.ocspRequest() else {
                return (.unavailable("an OCSP request could not be made for this certificate"), failed)
            }
            request.method = "POST"
            request.body = body
            request.headers = ["Content-Type: application/ocsp-request", "Accept: application/ocsp-response"]
            request.bodyCap = Self.responseCap
        }
        let exchange = await CurlEngine.shared.perform(request)
        if let error = exchange.transportError { return (.unavailable(error.reason), failed) }
        guard exchange.statusCode == 200 else { return (.unavailable("HTTP \(exchange.statusCode.map(String.init) ?? "?")"), failed) }
        if exchange.bodyTruncated {
            return (.unavailable("larger than \(request.bodyCap >> 10) KiB"), failed)
        }
        guard let certificates = Certificates(leaf: pointers.leafDER, issuer: issuerDER) else {
            return (.unavailable("the served certificates could not be read"), failed)
        }
        let judged = switch source {
        case .crl: certificates.judgeCRL(exchange.body, now: now)
        case .ocsp: certificates.judgeOCSP(exchange.body, now: now)
        }
        switch judged {
        case .success(let (verdict, nextUpdate)):
            let longest = now.addingTimeInterval(Self.longestKeep)
            return (verdict, nextUpdate.map { min($0, longest) } ?? now.addingTimeInterval(Self.longestKeep / 12))
        case .failure(let problem):
            return (.unavailable(problem.reason), failed)
        }
    }
}

private struct RevocationProblem: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The leaf and its issuer, parsed for one question and freed after it.
private final class Certificates {
    let leaf: OpaquePointer
    let issuer: OpaquePointer

    init?(leaf leafDER: [UInt8], issuer issuerDER: [UInt8]) {
        guard let leaf = Self.parse(leafDER) else { return nil }
        guard let issuer = Self.parse(issuerDER) else {
            X509_free(leaf)
            return nil
        }
        self.leaf = leaf
        self.issuer = issuer
    }

    deinit {
        X509_free(leaf)
        X509_free(issuer)
    }

    private static func parse(_ der: [UInt8]) -> OpaquePointer? {
        der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
    }

    func ocspRequest() -> [UInt8]? {
        guard let request = OCSP_REQUEST_new() else { return nil }
        defer { OCSP_REQUEST_free(request) }
        guard let id = OCSP_cert_to_id(nil, leaf, issuer) else { return nil }
        guard OCSP_request_add0_id(request, id) != nil else {
            OCSP_CERTID_free(id)
            return nil
        }
        return CertificateReader.der(request, encode: i2d_OCSP_REQUEST)
    }

    /// A CRL (DER, or PEM as some servers publish it) signed by the issuer and current now:
    /// whether it lists the leaf, and its nextUpdate.
    func judgeCRL(_ body: [UInt8], now: Date) -> Result<(RevocationAnswer.Verdict, Date?), RevocationProblem> {
        let parsed: OpaquePointer? = body.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            if let crl = d2i_X509_CRL(nil, &cursor, buffer.count) { return crl }
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509_CRL(bio, nil, nil, nil)
        }
        guard let crl = parsed else { return .failure(RevocationProblem("the answer is not a CRL")) }
        defer { X509_CRL_free(crl) }
        guard X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) == 0 else {
            return .failure(RevocationProblem("the CRL is another CA's"))
        }
        guard let key = X509_get0_pubkey(issuer), X509_CRL_verify(crl, key) == 1 else {
            return .failure(RevocationProblem("its signature does not verify with the issuer's key"))
        }
        let lastUpdate = CertificateReader.date(X509_CRL_get0_lastUpdate(crl))
        let nextUpdate = X509_CRL_get0_nextUpdate(crl).map { CertificateReader.date($0) }
        if lastUpdate.timeIntervalSince(now) > RevocationChecker.skew {
            return .failure(RevocationProblem("it is not valid until \(lastUpdate.utcMinute)"))
        }
        if let nextUpdate, nextUpdate < now {
            return .failure(RevocationProblem("out of date since \(nextUpdate.utcMinute)"))
        }
        var entry: OpaquePointer?
        // 2 is an entry removed from the CRL (a hold lifted): not revoked.
        guard X509_CRL_get0_by_cert(crl, &entry, leaf) == 1, let entry else { return .success((.good, nextUpdate)) }
        let at = X509_REVOKED_get0_revocationDate(entry).map { CertificateReader.date($0) }
        var reason: String?
        if let raw = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, nil, nil) {
            let enumerated = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
            let code = ASN1_ENUMERATED_get(enumerated)
            ASN1_ENUMERATED_free(enumerated)
            reason = Self.reasonName(Int(code))
        }
        return .success((.revoked(at: at, reason: reason), nextUpdate))
    }

    /// An OCSP response signed by the issuer or a responder it delegated to, about this
    /// leaf, and current now.
    func judgeOCSP(_ body: [UInt8], now: Date) -> Result<(RevocationAnswer.Verdict, Date?), RevocationProblem> {
        let parsed: OpaquePointer? = body.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
        }
        guard let response = parsed else { return .failure(RevocationProblem("the answer is not an OCSP response")) }
        defer { OCSP_RESPONSE_free(response) }
        let status = OCSP_response_status(response)
        guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            return .failure(RevocationProblem("the responder says \(String(cString: OCSP_response_status_str(Int(status))))"))
        }
        guard let basic = OCSP_response_get1_basic(response) else { return .failure(RevocationProblem("the response has no body")) }
        defer { OCSP_BASICRESP_free(basic) }
        guard let store = X509_STORE_new() else { return .failure(RevocationProblem("out of memory")) }
        defer { X509_STORE_free(store) }
        X509_STORE_add_cert(store, issuer)
        // The issuer is usually an intermediate: trusted here as the anchor it is for this question.
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        guard let certificates = fd_sk_x509_new_with(issuer) else { return .failure(RevocationProblem("out of memory")) }
        defer { fd_sk_x509_free(certificates) }
        guard OCSP_basic_verify(basic, certificates, store, 0) == 1 else {
            ERR_clear_error()
            return .failure(RevocationProblem("its signature is not the issuer's or a responder it delegated to"))
        }
        guard let id = OCSP_cert_to_id(nil, leaf, issuer) else { return .failure(RevocationProblem("out of memory")) }
        defer { OCSP_CERTID_free(id) }
        var certificateStatus: Int32 = -1
        var reason: Int32 = -1
        var revokedAt: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(basic, id, &certificateStatus, &reason, &revokedAt, &thisUpdate, &nextUpdate) == 1 else {
            return .failure(RevocationProblem("the response is about another certificate"))
        }
        guard let thisUpdate, OCSP_check_validity(thisUpdate, nextUpdate, Int(RevocationChecker.skew), -1) == 1 else {
            ERR_clear_error()
            return .failure(RevocationProblem("the response is out of date"))
        }
        let next = nextUpdate.map { CertificateReader.date(UnsafePointer($0)) }
        switch certificateStatus {
        case V_OCSP_CERTSTATUS_GOOD:
            return .success((.good, next))
        case V_OCSP_CERTSTATUS_REVOKED:
            return .success((.revoked(at: revokedAt.map { CertificateReader.date(UnsafePointer($0)) },
                                      reason: reason >= 0 ? Self.reasonName(Int(reason)) : nil), next))
        default:
            return .failure(RevocationProblem("the responder does not know the certificate"))
        }
    }

    /// RFC 5280 §5.3.1.
    static func reasonName(_ code: Int) -> String {
        let names = [0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
                     5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise"]
        return names[code] ?? "reason \(code)"
    }
}
