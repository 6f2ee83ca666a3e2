import Foundation

/// moto's server (PyPI `moto`), standing in for AWS on a free loopback port: the CloudWatch
/// Query API answers as AWS does. moto does not check signatures; the SigV4 signing is
/// tested against AWS's published test vectors instead.
public final class MotoServer: @unchecked Sendable {
    public let port: UInt16
    private let process: ServerProcess

    /// moto takes seconds to bind the free port it is given, and another test's server can
    /// take that port first: whatever listens there is asked for moto's own API, and moto is
    /// started again on another port if it is not moto.
    public init() throws {
        let directory = try TestDirectory("moto")
        var attempt = 0
        while true {
            attempt += 1
            let port = try FreePort.tcp()
            let process = try ServerProcess("/usr/bin/env", ["moto_server", "-H", "127.0.0.1", "-p", "\(port)"], directory: directory)
            try waitUntilListening(port: port, within: 30)
            let answer = try? plainHTTP("GET", port: port, path: "/moto-api/data.json")
            if answer?.status == 200, answer?.body.hasPrefix("{") == true {
                self.port = port
                self.process = process
                return
            }
            process.stop()
            guard attempt < 3 else { throw CommandFailure(command: "moto_server", status: 1, stderr: "what listens on its port is not moto: \(process.log)") }
        }
    }

    public var url: String { "http://127.0.0.1:\(port)/" }

    /// One server for the resource and metric checks of a whole test run, started on first
    /// use (moto takes seconds to start: one per test would hold the test pool's threads
    /// that long each) and stopped when the process exits. Each test names its own resources.
    public static func shared() throws -> MotoServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<MotoServer, any Error> = {
        let result = Result { try MotoServer() }
        if case .success(let server) = result { ExitCleanup.register { server.stop() } }
        return result
    }()

    /// One Query API call (`Action=...`) to a service, as an unsigned form post.
    @discardableResult
    public func query(_ service: String, version: String, _ parameters: [String: String]) throws -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        let form = (["Version": version].merging(parameters) { $1 }).sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }
            .joined(separator: "&")
        // moto reads the service and region from the credential scope.
        let answer = try ask("POST", port: port, path: "/", body: Array(form.utf8), contentType: "application/x-www-form-urlencoded",
                                   headers: ["Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/\(service)/aws4_request, SignedHeaders=host, Signature=0"])
        guard answer.status == 200 else { throw CommandFailure(command: "moto \(parameters["Action"] ?? "")", status: Int32(answer.status), stderr: answer.body) }
        return answer.body
    }

    /// One JSON protocol call (ECS, ACM, SSM...), as an unsigned post; the answer's object.
    @discardableResult
    public func json(_ service: String, target: String, _ body: [String: Any]) throws -> [String: Any] {
        let payload = try JSONSerialization.data(withJSONObject: body)
        let answer = try ask("POST", port: port, path: "/", body: Array(payload), contentType: "application/x-amz-json-1.1",
                                   headers: ["X-Amz-Target: \(target)", Self.authorization(service)])
        guard answer.status == 200 else { throw CommandFailure(command: "moto \(target)", status: Int32(answer.status), stderr: answer.body) }
        return (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any] ?? [:]
    }

    /// One REST call (S3, Route 53) with an XML or empty body; the answer's text.
    @discardableResult
    public func rest(_ service: String, _ method: String, _ path: String, _ body: String = "") throws -> String {
        let answer = try ask(method, port: port, path: path, body: Array(body.utf8), contentType: "application/xml",
                                   headers: [Self.authorization(service)])
        guard (200...299).contains(answer.status) else { throw CommandFailure(command: "moto \(method) \(path)", status: Int32(answer.status), stderr: answer.body) }
        return answer.body
    }

    /// One request to moto, asked again (three tries in all) when moto closes the connection
    /// without a word, as it now and then does under a loaded run.
    private func ask(_ method: String, port: UInt16, path: String, body: [UInt8], contentType: String,
                     headers: [String]) throws -> (status: Int, body: String) {
        var answer = (status: 0, body: "")
        for attempt in 1...3 {
            answer = try plainHTTP(method, port: port, path: path, body: body, contentType: contentType, headers: headers)
            if answer.status != 0 { break }
            if attempt < 3 { usleep(100_000) }
        }
        return answer
    }

    private static func authorization(_ service: String) -> String {
        "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/\(service)/aws4_request, SignedHeaders=host, Signature=0"
    }

    @discardableResult
    public func cloudwatch(_ parameters: [String: String]) throws -> String {
        try query("monitoring", version: "2010-08-01", parameters)
    }

    /// An SNS topic with an SQS queue subscribed to it, to read back what was published.
    public func topicWithInbox(_ name: String) throws -> (topicArn: String, queueURL: String) {
        let topic = try query("sns", version: "2010-03-31", ["Action": "CreateTopic", "Name": name])
        let queue = try query("sqs", version: "2012-11-05", ["Action": "CreateQueue", "QueueName": "\(name)-inbox"])
        let arn = Self.element("TopicArn", in: topic), url = Self.element("QueueUrl", in: queue)
        try query("sns", version: "2010-03-31", ["Action": "Subscribe", "TopicArn": arn, "Protocol": "sqs",
                                                 "Endpoint": "arn:aws:sqs:us-east-1:123456789012:\(name)-inbox"])
        return (arn, url)
    }

    /// The SNS envelopes waiting in a queue (JSON text, entities decoded).
    public func receive(_ queueURL: String) throws -> [String] {
        let answer = try query("sqs", version: "2012-11-05", ["Action": "ReceiveMessage", "QueueUrl": queueURL, "MaxNumberOfMessages": "10"])
        return answer.components(separatedBy: "<Body>").dropFirst().map {
            String($0.prefix { $0 != "<" }).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    private static func element(_ name: String, in text: String) -> String {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>") else { return "" }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// A metric alarm in the given state (ALARM, OK or INSUFFICIENT_DATA).
    public func alarm(_ name: String, state: String, reason: String) throws {
        try cloudwatch(["Action": "PutMetricAlarm", "AlarmName": name, "MetricName": "5XXError", "Namespace": "AWS/ApiGateway",
                        "Statistic": "Sum", "Period": "60", "EvaluationPeriods": "1", "Threshold": "1",
                        "ComparisonOperator": "GreaterThanThreshold"])
        try cloudwatch(["Action": "SetAlarmState", "AlarmName": name, "StateValue": state, "StateReason": reason])
    }

    public func stop() { process.stop() }
}
