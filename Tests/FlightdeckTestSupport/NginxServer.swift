import Foundation

/// A real nginx on loopback for one test suite: plain HTTP (IPv4 and IPv6), HTTPS with
/// HTTP/2, HTTPS that demands a client certificate, and HTTPS with a self-signed
/// certificate, all on free ports picked at run time. Stopped when released.
public final class NginxServer: @unchecked Sendable {
    public let directory: TestDirectory
    public let certificates: TestCertificates
    public let httpPort: UInt16
    public let httpsPort: UInt16
    public let mutualTLSPort: UInt16
    public let selfSignedPort: UInt16
    /// The names the server certificate covers.
    public static let names = ["directfanz.test", "api.directfanz.test", "ws.directfanz.test", "stream.directfanz.test"]
    private var process: ChildUnderTest?

    /// Files under `files/` are served at `/files/`.
    public var filesDirectory: String { directory.file("files") }

    public init() throws {
        directory = try TestDirectory("nginx")
        certificates = try TestCertificates(directory: directory.file("certs"), names: Self.names)
        httpPort = try FreePort.tcp()
        httpsPort = try FreePort.tcp()
        mutualTLSPort = try FreePort.tcp()
        selfSignedPort = try FreePort.tcp()
        for temp in ["body", "proxy", "fastcgi", "uwsgi", "scgi", "files"] {
            try FileManager.default.createDirectory(atPath: directory.file("tmp/\(temp)"), withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: filesDirectory, withIntermediateDirectories: true)
        try directory.write(Self.locations(httpsPort: httpsPort, files: filesDirectory), to: "locations.conf")
        try directory.write(configuration(), to: "nginx.conf")

        process = try ChildUnderTest("/usr/sbin/nginx", ["-p", directory.path, "-c", directory.file("nginx.conf"), "-e", directory.file("error.log")])
        do {
            for port in [httpPort, httpsPort, mutualTLSPort, selfSignedPort] { try waitUntilListening(port: port) }
        } catch {
            stop()
            let log = (try? String(contentsOfFile: directory.file("error.log"), encoding: .utf8)) ?? ""
            throw CommandFailure(command: "nginx", status: -1, stderr: log)
        }
    }

    deinit { stop() }

    /// One server shared by every test in the process, started on first use and stopped
    /// when the process exits.
    public static func shared() throws -> NginxServer {
        try sharedServer.get()
    }

    private static let sharedServer: Result<NginxServer, any Error> = {
        let result = Result { try NginxServer() }
        if case .success(let server) = result {
            ExitCleanup.register {
                server.stop()
                try? FileManager.default.removeItem(atPath: server.directory.path)
            }
        }
        return result
    }()

    /// SIGKILL: it keeps no state worth a clean exit.
    public func stop() { process?.stop() }

    public func url(_ path: String, tls: Bool = false, host: String = "127.0.0.1") -> String {
        tls ? "https://\(host):\(httpsPort)\(path)" : "http://\(host):\(httpPort)\(path)"
    }

    private func configuration() -> String {
        let certs = certificates
        return """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(directory.file("nginx.pid"));
            error_log \(directory.file("error.log")) warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                default_type text/plain;
                client_body_temp_path \(directory.file("tmp/body"));
                proxy_temp_path \(directory.file("tmp/proxy"));
                fastcgi_temp_path \(directory.file("tmp/fastcgi"));
                uwsgi_temp_path \(directory.file("tmp/uwsgi"));
                scgi_temp_path \(directory.file("tmp/scgi"));
                types { application/vnd.apple.mpegurl m3u8; application/octet-stream bin; text/plain txt; }
                server {
                    listen 127.0.0.1:\(httpPort);
                    listen [::1]:\(httpPort);
                    server_name _;
                    include \(directory.file("locations.conf"));
                }
                server {
                    listen 127.0.0.1:\(httpsPort) ssl http2;
                    server_name _;
                    ssl_certificate \(certs.serverCertificate);
                    ssl_certificate_key \(certs.serverKey);
                    include \(directory.file("locations.conf"));
                }
                server {
                    listen 127.0.0.1:\(mutualTLSPort) ssl;
                    server_name _;
                    ssl_certificate \(certs.serverCertificate);
                    ssl_certificate_key \(certs.serverKey);
                    ssl_client_certificate \(certs.caCertificate);
                    ssl_verify_client on;
                    location / { return 200 "hello $ssl_client_s_dn"; }
                }
                server {
                    listen 127.0.0.1:\(selfSignedPort) ssl;
                    server_name _;
                    ssl_certificate \(certs.selfSignedCertificate);
                    ssl_certificate_key \(certs.selfSignedKey);
                    location / { return 200 "self-signed"; }
                }
            }
            """
    }

    private static func locations(httpsPort: UInt16, files: String) -> String {
        """
        location = / { return 200 "Welcome to DirectFanz"; }
        location = /health {
            add_header Strict-Transport-Security "max-age=31536000" always;
            default_type application/json;
            return 200 '{"status":"ok","checks":{"database":"ok","redis":"ok"},"latency_ms":12,"ready":true,"regions":["us-east-1","eu-west-1"]}';
        }
        location = /degraded { default_type application/json; return 200 '{"status":"degraded"}'; }
        location = /status/503 { return 503 "down for maintenance"; }
        location = /to-https { return 301 https://directfanz.test:\(httpsPort)/; }
        location = /loop { return 302 /loop; }
        location = /echo { return 200 "method=$request_method auth=$http_authorization probe=$http_x_probe length=$content_length"; }
        location /files/ { alias \(files)/; }
        """
    }
}
