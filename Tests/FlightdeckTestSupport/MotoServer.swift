import Foundation

/// moto's server (PyPI `moto`), standing in for AWS on a free loopback port: the CloudWatch
/// Query API answers as AWS does. moto does not check signatures; the SigV4 signing is
/// tested against AWS's published test vectors instead.
public final class MotoServer: @unchecked Sendable {
    public let port: UInt16
    private let process: ServerProcess

    public init() throws {
        let directory = try TestDirectory("moto")
        port = try FreePort.tcp()
        process = try ServerProcess("/usr/bin/env", ["moto_server", "-H", "127.0.0.1", "-p", "\(port)"], directory: directory)
        try waitUntilListening(port: port, within: 30)
    }

    public var url: String { "http://127.0.0.1:\(port)/" }

    /// One CloudWatch Query API call (`Action=...`), as an unsigned form post.
    @discardableResult
    public func cloudwatch(_ parameters: [String: String]) throws -> String {
        let form = (["Version": "2010-08-01"].merging(parameters) { $1 }).sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            .joined(separator: "&")
        // moto reads the service and region from the credential scope.
        let answer = try plainHTTP("POST", port: port, path: "/", body: Array(form.utf8), contentType: "application/x-www-form-urlencoded",
                                   headers: ["Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0"])
        guard answer.status == 200 else { throw CommandFailure(command: "moto \(parameters["Action"] ?? "")", status: Int32(answer.status), stderr: answer.body) }
        return answer.body
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
