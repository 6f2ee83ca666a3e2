import Foundation

/// A real Prometheus Alertmanager on a free loopback port, clustering off, alerts posted to
/// it by the test through its own API.
public final class AlertmanagerServer: @unchecked Sendable {
    public let port: UInt16
    private let process: ServerProcess

    public static let executable = "/usr/bin/prometheus-alertmanager"

    public init() throws {
        let directory = try TestDirectory("alertmanager")
        try directory.write("route: { receiver: quiet }\nreceivers: [{ name: quiet }]\n", to: "alertmanager.yml")
        port = try FreePort.tcp()
        process = try ServerProcess(Self.executable, [
            "--config.file=\(directory.file("alertmanager.yml"))", "--storage.path=\(directory.file("data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
        ], directory: directory)
        try waitUntilListening(port: port)
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Posts alerts as Prometheus would (`POST /api/v2/alerts`); returns the HTTP status.
    @discardableResult
    public func post(_ alerts: [[String: Any]]) throws -> Int {
        try send("POST", "/api/v2/alerts", alerts)
    }

    /// Silences alerts whose label `name` equals `value` for an hour.
    public func silence(label name: String, value: String) throws {
        let now = Date()
        _ = try send("POST", "/api/v2/silences", [
            "matchers": [["name": name, "value": value, "isRegex": false, "isEqual": true]],
            "startsAt": now.addingTimeInterval(-60).formatted(.iso8601), "endsAt": now.addingTimeInterval(3600).formatted(.iso8601),
            "createdBy": "flightdeck tests", "comment": "test",
        ])
    }

    private func send(_ method: String, _ path: String, _ body: Any) throws -> Int {
        let payload = try JSONSerialization.data(withJSONObject: body)
        return try plainHTTP(method, port: port, path: path, body: Array(payload)).status
    }

    public func stop() { process.stop() }
}
