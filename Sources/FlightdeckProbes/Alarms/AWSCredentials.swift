import Foundation

/// AWS credentials as the AWS tools find them: the standard environment variables, else the
/// shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) under
/// `AWS_PROFILE` (default `default`). Never printed: `description` names only where they
/// came from.
struct AWSCredentials: Sendable, CustomStringConvertible {
    var accessKey: String
    var secretKey: String
    var sessionToken: String?
    var origin: String

    var description: String { "AWS credentials from \(origin)" }

    /// A made-up key pair for a stand-in endpoint that takes any (moto, the demo's simulated
    /// AWS), so that the real credentials never sign anything for it.
    static let placeholder = AWSCredentials(accessKey: "AKIAPLACEHOLDER00000", secretKey: "placeholder", sessionToken: nil,
                                            origin: "the plan's placeholder pair")

    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<AWSCredentials, RemoteProblem> {
        if let access = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"], !access.isEmpty, !secret.isEmpty {
            return .success(AWSCredentials(accessKey: access, secretKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 },
                                           origin: "the environment"))
        }
        let path = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? environment["HOME"].map { "\($0)/.aws/credentials" } ?? ""
        let profile = environment["AWS_PROFILE"] ?? "default"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            return .failure(RemoteProblem("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or write \(path)"))
        }
        var section = ""
        var values: [String: String] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix(";") || line.isEmpty { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard section == profile, let equals = line.firstIndex(of: "=") else { continue }
            values[line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let access = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] else {
            return .failure(RemoteProblem("no key pair for profile `\(profile)` in \(path)"))
        }
        return .success(AWSCredentials(accessKey: access, secretKey: secret, sessionToken: values["aws_session_token"],
                                       origin: "\(path) [\(profile)]"))
    }
}

/// The body of an AWS Query API call: `Action=...&Version=...`, each value form-encoded.
enum AWSQuery {
    static func body(_ parameters: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return Array(parameters.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
            .joined(separator: "&").utf8)
    }
}

/// Why a remote service (an alarm source, a notification target) could not be used, in one line.
struct RemoteProblem: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}
