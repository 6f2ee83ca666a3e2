/// What one run of one probe found: the event a probe sends to the core.
public struct ProbeOutcome: Sendable, Equatable {
    public var checkID: String
    /// When the run finished, as an offset on the poller's clock.
    public var finishedAt: Duration
    /// `pass`, `warn` or `fail`; a probe that ran always knows.
    public var status: CheckStatus
    /// One line: why it is not green, or what was seen.
    public var detail: String
    /// The latency that counts for the check's window (an HTTP check's total time).
    public var latency: Duration?
    public var observed: [String: ObservedValue]
    /// The raw evidence behind the verdict, for the detail view.
    public var evidence: ProbeEvidence
    /// Names the evidence when a probe can report the same evidence again (a command's
    /// stored result, looked at every few seconds): a repeat is not counted twice.
    public var evidenceID: String?

    public init(checkID: String, finishedAt: Duration, status: CheckStatus, detail: String, latency: Duration?,
                observed: [String: ObservedValue] = [:], evidence: ProbeEvidence = .none, evidenceID: String? = nil) {
        self.checkID = checkID
        self.finishedAt = finishedAt
        self.status = status
        self.detail = detail
        self.latency = latency
        self.observed = observed
        self.evidence = evidence
        self.evidenceID = evidenceID
    }
}

/// The evidence each kind of probe keeps.
public enum ProbeEvidence: Sendable, Equatable {
    case none
    case http(HTTPExchange)
    case dnsRecord(RecordPropagation)
    case delegation(DelegationReport)
    case dnssec(DNSSECReport)
    /// Every address inspected, in order.
    case tls([TLSAddressResult])
}
