import FlightdeckCore
import Foundation

/// Read-only calls to AWS APIs, signed with SigV4 by libcurl: the Query protocol (XML
/// answers: CloudWatch, RDS, SNS...) and the JSON protocol (ECS, ACM, SSM...). Credentials
/// come from the chain the AWS tools use; an `endpoint` sends every call there instead of
/// AWS (moto in the tests). Throttling, AWS's own 5xx answers and a connection dropped
/// before an answer are retried with exponential backoff, as AWS asks; anything else comes
/// back in AWS's own words.
struct AWSClient: Sendable {
    var region: String
    var endpoint: URL?
    /// Sign with ``AWSCredentials/placeholder`` instead of the credential chain (a stand-in endpoint).
    var placeholderCredentials = false
    var environment: [String: String]
    var timeout: Duration
    /// The tries a throttled call gets in all.
    var attempts = 3
    var backoff: Duration = .milliseconds(200)

    init(region: String, endpoint: URL?, placeholderCredentials: Bool = false,
         environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Duration) {
        self.region = region
        self.endpoint = endpoint
        self.placeholderCredentials = placeholderCredentials
        self.environment = environment
        self.timeout = timeout
    }

    /// A Query API call: `Action=...&Version=...` posted as a form, answered in XML.
    /// - Parameter service: the signing name (`monitoring`), which is also the host's first label.
    func query(service: String, version: String, action: String, _ parameters: [(String, String)]) async -> Result<XMLElement, AWSProblem> {
        await queryAnswer(service: service, version: version, action: action, parameters).flatMap { status, bytes in
            switch XMLElement.parse(bytes) {
            case .success(let root):
                if let error = root.name == "ErrorResponse" ? root.child("Error") : (root.name == "Error" ? root : nil) {
                    return .failure(AWSProblem(code: error.value("Code") ?? "HTTP \(status)", message: error.value("Message") ?? ""))
                }
                guard (200...299).contains(status) else { return .failure(AWSProblem(code: "HTTP \(status)", message: "")) }
                return .success(root)
            case .failure(let error):
                return .failure(AWSProblem(code: "HTTP \(status)", message: "the answer is not XML: \(error)"))
            }
        }
    }

    /// A Query API call's status and body as they came, for readers of their own (the
    /// CloudWatch alarm feed).
    func queryAnswer(service: String, version: String, action: String, _ parameters: [(String, String)]) async -> Result<(Int, [UInt8]), AWSProblem> {
        let body = AWSQuery.body([("Action", action), ("Version", version)] + parameters)
        return await call(service: service, host: service, body: body, headers: ["Content-Type: application/x-www-form-urlencoded; charset=utf-8"])
    }

    /// A JSON protocol call (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices`).
    func json(service: String, host: String? = nil, target: String, _ request: [String: Any]) async -> Result<[String: Any], AWSProblem> {
        let body = (try? JSONSerialization.data(withJSONObject: request)).map(Array.init) ?? Array("{}".utf8)
        let answer = await call(service: service, host: host ?? service, body: body,
                                headers: ["Content-Type: application/x-amz-json-1.1", "X-Amz-Target: \(target)"])
        return answer.flatMap { status, bytes in
            let document = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            guard (200...299).contains(status) else {
                let code = (document?["__type"] as? String).map { $0.split(separator: "#").last.map(String.init) ?? $0 } ?? "HTTP \(status)"
                let message = (document?["message"] ?? document?["Message"]) as? String ?? ""
                return .failure(AWSProblem(code: code, message: message))
            }
            guard let document else { return .failure(AWSProblem(code: "HTTP \(status)", message: "the answer is not a JSON object")) }
            return .success(document)
        }
    }

    /// A REST call (S3, Route 53): a signed GET of `path?query`, answered in XML. `host` is
    /// AWS's host for it; with an endpoint the path goes there instead.
    func rest(service: String, host: String, path: String, query: String = "") async -> Result<XMLElement, AWSProblem> {
        let base = endpoint.map { $0.absoluteString.hasSuffix("/") ? String($0.absoluteString.dropLast()) : $0.absoluteString } ?? "https://\(host)"
        let url = base + path + (query.isEmpty ? "" : "?\(query)")
        // S3 wants the payload's hash in a header: a GET's is that of nothing.
        let headers = service == "s3" ? ["x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] : []
        let answer = await call(service: service, url: url, method: "GET", body: nil, headers: headers)
        return answer.flatMap { status, bytes in
            let root = try? XMLElement.parse(bytes).get()
            if let root, root.name == "Error" || root.name == "ErrorResponse" {
                let error = root.name == "Error" ? root : (root.child("Error") ?? root)
                return .failure(AWSProblem(code: error.value("Code") ?? "HTTP \(status)", message: error.value("Message") ?? ""))
            }
            guard (200...299).contains(status) else { return .failure(AWSProblem(code: "HTTP \(status)", message: "")) }
            guard let root else { return .failure(AWSProblem(code: "HTTP \(status)", message: "the answer is not XML")) }
            return .success(root)
        }
    }

    private func call(service: String, host: String, body: [UInt8], headers: [String]) async -> Result<(Int, [UInt8]), AWSProblem> {
        await call(service: service, url: endpoint?.absoluteString ?? "https://\(host).\(region).amazonaws.com/", method: "POST", body: body, headers: headers)
    }

    /// Makes one signed call, retrying throttling and 5xx answers; the status and body.
    private func call(service: String, url: String, method: String, body: [UInt8]?, headers: [String]) async -> Result<(Int, [UInt8]), AWSProblem> {
        let credentials: AWSCredentials
        switch placeholderCredentials ? .success(.placeholder) : AWSCredentials.load(environment: environment) {
        case .success(let found): credentials = found
        case .failure(let problem): return .failure(AWSProblem(code: "no credentials", message: problem.message))
        }
        var request = CurlRequest(url: url, destination: URLComponents(string: url)?.host ?? url)
        request.method = method
        request.headers = headers + (credentials.sessionToken.map { ["X-Amz-Security-Token: \($0)"] } ?? [])
        request.body = body
        request.timeout = timeout
        request.bodyCap = 8 << 20
        request.awsSigV4 = ("aws:amz:\(region):\(service)", credentials.accessKey, credentials.secretKey)
        var delay = backoff
        for attempt in 1...max(1, attempts) {
            let exchange = await CurlEngine.shared.perform(request)
            if let error = exchange.transportError {
                // A connection that broke before an answer is retried, as AWS's SDKs do: every
                // call here only reads. A timeout is not: it has already cost its whole budget.
                if error.kind == .connection, attempt < attempts {
                    try? await Task.sleep(for: delay)
                    delay *= 2
                    continue
                }
                return .failure(AWSProblem(code: "unreachable", message: "cannot reach \(request.destination): \(error.reason)"))
            }
            let status = exchange.statusCode ?? 0
            let throttled = status == 429 || status >= 500 || Self.throttlingCodes.contains { code in
                exchange.body.count < 4096 && String(decoding: exchange.body, as: UTF8.self).contains(code)
            }
            if throttled, attempt < attempts {
                try? await Task.sleep(for: delay)
                delay *= 2
                continue
            }
            return .success((status, exchange.body))
        }
        return .failure(AWSProblem(code: "unreachable", message: "no answer"))
    }

    /// The error codes AWS asks callers to retry with backoff.
    static let throttlingCodes = ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                                  "ProvisionedThroughputExceededException", "RequestThrottled"]
}

/// Why an AWS call gave no answer: AWS's own code and message, or what kept it from asking.
struct AWSProblem: Error, Sendable, Equatable, CustomStringConvertible {
    var code: String
    var message: String

    var description: String {
        let text = message.isEmpty ? code : "\(code): \(message)"
        return RemoteText.sanitize(text, limit: 240)
    }
}
