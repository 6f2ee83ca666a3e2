import Foundation

/// A real Prometheus server on a free loopback port, scraping every second: by default
/// `/files/metrics` from the shared nginx (a test writes the exposition text there with
/// `expose` and queries it back), or any target's `/metrics`.
public final class PrometheusServer: @unchecked Sendable {
    public let port: UInt16
    public let exporter: NginxServer?
    private let process: ServerProcess

    public static let executable = "/usr/bin/prometheus"

    /// - Parameter target: `HOST:PORT` to scrape `/metrics` from, instead of the shared nginx.
    public init(target: String? = nil) throws {
        exporter = target == nil ? try NginxServer.shared() : nil
        let directory = try TestDirectory("prometheus")
        try directory.write("""
            global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: exporter
                metrics_path: \(target == nil ? "/files/metrics" : "/metrics")
                static_configs: [{ targets: ["\(target ?? "127.0.0.1:\(exporter!.httpPort)")"] }]
            """, to: "prometheus.yml")
        port = try FreePort.tcp()
        process = try ServerProcess(Self.executable, [
            "--config.file=\(directory.file("prometheus.yml"))", "--storage.tsdb.path=\(directory.file("data"))",
            "--web.listen-address=127.0.0.1:\(port)",
        ], directory: directory)
        try waitUntilListening(port: port, within: 30)
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Serves this exposition text to the scraper.
    public func expose(_ text: String) throws {
        guard let exporter else { throw CommandFailure(command: "expose", status: -1, stderr: "this Prometheus scrapes another target") }
        try text.write(toFile: "\(exporter.filesDirectory)/metrics", atomically: true, encoding: .utf8)
    }

    /// Waits until an instant query's answer contains `text` (a scrape has landed), without
    /// holding one of the test pool's threads meanwhile.
    public func waitFor(_ query: String, toContain text: String, within seconds: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
        while Date() < deadline {
            if let answer = try? plainHTTP("GET", port: port, path: "/api/v1/query?query=\(encoded)"), answer.body.contains(text) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CommandFailure(command: "prometheus query \(query)", status: -1, stderr: "no answer containing \(text)")
    }

    public func stop() { process.stop() }
}
