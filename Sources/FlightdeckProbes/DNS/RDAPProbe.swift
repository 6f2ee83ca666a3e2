import FlightdeckCore
import Foundation

/// The registry's own view of the domain, over RDAP (RFC 9082/9083): the nameservers the
/// registrar gave it (the "nameservers changed at the registrar" item made evidence), the
/// registration's expiry and statuses, and its DNSSEC data against the DS the parent serves.
public final class RDAPProbe: Probe {
    public let check: RDAPCheck
    public let interval: Duration
    public let timeout: Duration
    private let planDirectory: String?
    private let servers: DNSServers
    private let expected: [String]
    private let previous: [String]

    /// RDAP answers are small; a registry's is rarely over 20 KiB.
    static let bodyCap = 1 << 20
    static let bootstrapCap = 4 << 20

    public var checkID: String { check.id }

    public init(check: RDAPCheck, plan: LaunchPlan, planDirectory: String?, servers: DNSServers) {
        self.check = check
        interval = check.timing.interval ?? RDAPCheck.defaultInterval
        timeout = check.timing.timeout ?? plan.polling.timeout
        self.planDirectory = planDirectory
        self.servers = servers
        expected = plan.dns.expectedNameservers.map { $0.name.text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        previous = plan.dns.previousNameservers.map { $0.name.text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
    }

    public func run(at now: Duration) async -> ProbeOutcome {
        func outcome(_ status: CheckStatus, _ detail: String, _ observed: [String: ObservedValue] = [:]) -> ProbeOutcome {
            ProbeOutcome(checkID: checkID, finishedAt: now, status: status, detail: detail, latency: nil, observed: observed)
        }
        let base: URL
        switch baseURL() {
        case .success(let url): base = url
        case .failure(let problem): return outcome(.unknown, "RDAP: \(problem.reason)")
        }
        let domain = check.domain.text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let url = base.absoluteString + (base.absoluteString.hasSuffix("/") ? "" : "/") + "domain/\(domain)"
        var request = CurlRequest(url: url, destination: base.host.map { host in base.port.map { "\(host):\($0)" } ?? host } ?? url)
        request.headers = ["Accept: application/rdap+json"]
        request.caFile = check.caFile.map { $0.hasPrefix("/") || planDirectory == nil ? $0 : "\(planDirectory!)/\($0)" }
        request.timeout = timeout
        request.bodyCap = Self.bodyCap
        // RFC 7480 §5.2: a server may redirect to the registry that holds the answer.
        request.followRedirects = true
        request.maxRedirects = 3
        let exchange = await CurlEngine.shared.perform(request)
        var observed: [String: ObservedValue] = ["server": .text(url)]
        if let total = exchange.timings.total { observed["total_ms"] = .number((total / .milliseconds(1) * 10).rounded() / 10) }
        if let error = exchange.transportError {
            return outcome(.unknown, "RDAP: cannot reach \(request.destination): \(error.reason)", observed)
        }
        let code = exchange.statusCode ?? 0
        observed["status_code"] = .number(Double(code))
        if exchange.bodyTruncated {
            return outcome(.unknown, "RDAP: the answer from \(request.destination) is larger than \(Self.bodyCap >> 10) KiB", observed)
        }
        let said = RDAPDomain.errorText(exchange.body).map { ": \($0)" } ?? ""
        switch code {
        case 200: break
        case 404: return outcome(.fail, "the registry has no domain \(domain) (RDAP 404\(said))", observed)
        case 429: return outcome(.unknown, "RDAP: the registry asks to be asked less often (429\(said))", observed)
        default: return outcome(.unknown, "RDAP: \(request.destination) answered HTTP \(code)\(said)", observed)
        }
        let document: RDAPDomain
        switch RDAPDomain.parse(exchange.body, domain: check.domain) {
        case .success(let parsed): document = parsed
        case .failure(let problem): return outcome(.unknown, "RDAP: \(problem.reason)", observed)
        }
        let evaluation = RDAPEvaluation(check: check, domain: document, expected: expected, previous: previous,
                                        parentDS: await parentDS(at: now), now: Date())
        observed.merge(evaluation.observed) { _, new in new }
        return outcome(evaluation.status, evaluation.detail, observed)
    }

    private func baseURL() -> Result<URL, RDAPProblem> {
        switch check.source {
        case .server(let url): return .success(url)
        case .bootstrap(let path):
            let absolute = path.hasPrefix("/") || planDirectory == nil ? path : "\(planDirectory!)/\(path)"
            guard let handle = FileHandle(forReadingAtPath: absolute) else { return .failure(RDAPProblem("cannot read the bootstrap file \(path)")) }
            defer { try? handle.close() }
            let bytes = (try? handle.read(upToCount: Self.bootstrapCap + 1)) ?? Data()
            guard bytes.count <= Self.bootstrapCap else { return .failure(RDAPProblem("the bootstrap file \(path) is over 4 MiB")) }
            return RDAPBootstrap.baseURL(for: check.domain, in: Array(bytes))
        }
    }

    /// The DS set the parent's servers serve (the first that answers), as `tag alg type DIGEST`.
    private func parentDS(at now: Duration) async -> Set<String>? {
        let parents = await servers.parents()
        for answer in await DNSFanOut.ask(parents, check.domain, .ds, at: now) {
            guard case .response(let message) = answer.outcome, message.responseCode == .noError else { continue }
            return Set(message.answers.compactMap { record -> String? in
                guard record.name == check.domain, case .ds(let tag, let algorithm, let type, let digest) = record.data else { return nil }
                return "\(tag) \(algorithm) \(type) \(digest.map { String(format: "%02X", $0) }.joined())"
            })
        }
        return nil
    }
}
