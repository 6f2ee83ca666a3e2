import Foundation

/// A place a certificate's revocation status can be asked for over the network, when the
/// server staples nothing that settles it. The plan's `revocation:` lists which to ask.
public enum RevocationSource: String, Sendable, Equatable, CaseIterable {
    /// The CRL at the leaf's CRL distribution points.
    case crl
    /// The OCSP responder the leaf names in its Authority Information Access.
    case ocsp

    /// Both, CRL first: a CRL is fetched once per its nextUpdate for every certificate of
    /// the CA, and needs no request about this certificate.
    public static let defaults: [RevocationSource] = [.crl, .ocsp]

    public var label: String { rawValue.uppercased() }
    /// As a sentence names it: "the CRL", "the OCSP responder".
    public var noun: String {
        switch self {
        case .crl: "CRL"
        case .ocsp: "OCSP responder"
        }
    }
}

/// What the leaf needs to be checked for revocation when no staple settles it: itself and
/// its issuer as served (DER), and where it says its status is published.
public struct RevocationPointers: Sendable, Equatable {
    public var leafDER: [UInt8]
    /// The second certificate of the chain; nil when the server sends the leaf alone, and
    /// then nothing can be checked against the issuer's key.
    public var issuerDER: [UInt8]?
    public var crlURLs: [String]
    public var ocspURLs: [String]

    public init(leafDER: [UInt8], issuerDER: [UInt8]?, crlURLs: [String], ocspURLs: [String]) {
        self.leafDER = leafDER
        self.issuerDER = issuerDER
        self.crlURLs = crlURLs
        self.ocspURLs = ocspURLs
    }

    public func urls(of source: RevocationSource) -> [String] {
        switch source {
        case .crl: crlURLs
        case .ocsp: ocspURLs
        }
    }
}

/// One source's answer about the leaf.
public struct RevocationAnswer: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case good
        case revoked(at: Date?, reason: String?)
        /// Nothing usable came back: why, in a few words.
        case unavailable(String)
    }

    public var source: RevocationSource
    public var url: String
    public var verdict: Verdict

    public init(source: RevocationSource, url: String, verdict: Verdict) {
        self.source = source
        self.url = url
        self.verdict = verdict
    }

    public var line: String {
        switch verdict {
        case .good: "\(source.label) \(url): good"
        case .revoked(let at, let reason):
            "\(source.label) \(url): revoked" + (at.map { " since \($0.utcMinute)" } ?? "") + (reason.map { " (\($0))" } ?? "")
        case .unavailable(let why): "\(source.label) \(url): unavailable (\(why))"
        }
    }
}

/// The revocation status of a leaf without a usable staple, from every source asked: any
/// revoked answer is red, a good one green, and only unavailable answers a warning, never a
/// pass.
public struct RevocationFinding: Sendable, Equatable {
    public var answers: [RevocationAnswer]

    public init(answers: [RevocationAnswer]) { self.answers = answers }

    /// Nil when no source was asked (the certificate names none the plan lets us ask).
    public var status: CheckStatus? {
        if answers.isEmpty { return nil }
        if revoked != nil { return .fail }
        if answers.contains(where: { $0.verdict == .good }) { return .pass }
        return .warn
    }

    private var revoked: RevocationAnswer? {
        answers.first { if case .revoked = $0.verdict { true } else { false } }
    }

    /// For the certificates pane and `observed.revocation`: `CRL: good`, `OCSP: revoked`...
    public var summary: String {
        if let revoked { return "\(revoked.source.label): revoked" }
        var good: [String] = []
        for answer in answers where answer.verdict == .good && !good.contains(answer.source.label) { good.append(answer.source.label) }
        if !good.isEmpty { return "\(good.joined(separator: " and ")): good" }
        return answers.isEmpty ? "none published" : "\(answers[0].source.label): unavailable"
    }

    /// The one line a red or yellow cell says.
    public var line: String {
        if let revoked, case .revoked(let at, let reason) = revoked.verdict {
            let when = at.map { " since \($0.utcMinute)" } ?? ""
            let why = reason.map { " (\($0))" } ?? ""
            return "the certificate is revoked according to its \(revoked.source.noun)\(when)\(why): serve a newly issued certificate now"
        }
        guard let first = answers.first, status == .warn, case .unavailable(let why) = first.verdict else { return summary }
        let others = answers.count > 1 ? " (and \(answers.count - 1) more source\(answers.count > 2 ? "s" : ""))" : ""
        return "revocation status unknown: the \(first.source.noun) at \(first.url) is unavailable, \(why)\(others)"
    }
}
