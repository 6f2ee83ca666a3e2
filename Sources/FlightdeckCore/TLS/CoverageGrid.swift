/// What one address of a TLS endpoint served: an inspection and its judgement, or why there
/// was none.
public struct TLSAddressResult: Sendable, Equatable {
    public var address: String
    public var inspection: TLSInspection?
    public var evaluation: TLSEvaluation?
    /// Why the handshake failed, when it did.
    public var failure: String?

    public init(address: String, inspection: TLSInspection?, evaluation: TLSEvaluation?, failure: String?) {
        self.address = address
        self.inspection = inspection
        self.evaluation = evaluation
        self.failure = failure
    }
}

/// Every host name the plan says a certificate must cover, against every endpoint and
/// address that serves it: covered or not, days left and the fingerprint, so a stale
/// certificate behind one address of several stands out.
public struct CoverageGrid: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var host: String
        public var endpoint: String
        public var address: String
        /// Nil when the handshake failed.
        public var covered: Bool?
        public var daysLeft: Int?
        public var fingerprint: String?
        /// Why there is no certificate to judge.
        public var failure: String?
        /// The served certificate's own verdict (expired, self-signed, untrusted...), beside
        /// the coverage fact: a name covered by a bad certificate is not a pass.
        public var certificate: CheckStatus?
        public var certificateDetail: String?

        /// The worse of coverage and the certificate's own state.
        public var status: CheckStatus {
            if failure != nil || covered != true { return .fail }
            return certificate ?? .unknown
        }

        /// `covered`, `NOT covered`, or why there was nothing to judge; with the
        /// certificate's problem when it has one.
        public var summary: String {
            if let failure { return failure }
            let coverage = covered == true ? "covered" : "NOT covered"
            guard let certificate, certificate != .pass, let certificateDetail else { return coverage }
            return "\(coverage), but \(certificateDetail)"
        }
    }

    public var cells: [Cell]

    /// - Parameter results: each endpoint's latest results, by endpoint id.
    public init(endpoints: [TLSEndpoint], results: [String: [TLSAddressResult]]) {
        cells = endpoints.flatMap { endpoint in
            endpoint.covers.flatMap { host in
                (results[endpoint.id] ?? []).map { result in
                    let leaf = result.inspection?.chain.first
                    return Cell(host: host.text, endpoint: endpoint.id, address: result.address,
                                covered: leaf.map { HostnameCoverage.coveringName($0.dnsNames, host.text) != nil },
                                daysLeft: result.evaluation?.daysLeft, fingerprint: leaf?.fingerprint,
                                failure: result.failure, certificate: result.evaluation?.certificateStatus,
                                certificateDetail: result.evaluation?.certificateProblem)
                }
            }
        }
    }

    /// Host names served with more than one certificate (by fingerprint) across addresses.
    public var inconsistentHosts: [String] {
        let byHost = Dictionary(grouping: cells, by: \.host)
        return byHost.filter { Set($0.value.compactMap(\.fingerprint)).count > 1 }.keys.sorted()
    }
}
