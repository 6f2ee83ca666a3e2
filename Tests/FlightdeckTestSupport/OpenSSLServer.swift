import Foundation

/// `openssl s_server` on 127.0.0.1 serving one certificate (and the extra chain given), with
/// the options given (`-tls1_3`, `-status_file FILE`...). Weak keys and SHA-1 are allowed so
/// the probe can be shown them; TLS 1.2 is the lowest version unless the options say
/// otherwise (`-min_protocol TLSv1`), as a server of today is set up.
public final class OpenSSLServer: @unchecked Sendable {
    public let port: UInt16
    private let process: ServerProcess

    public init(certificate: String, key: String, extras: String? = nil, options: [String] = []) throws {
        port = try FreePort.tcp()
        var arguments = ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate, "-key", key,
                         "-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1.2", "-quiet"]
        if let extras { arguments += ["-cert_chain", extras] }
        process = try ServerProcess("/usr/bin/openssl", arguments + options, directory: try TestDirectory("s_server"))
        do {
            try waitUntilListening(port: port)
        } catch {
            throw CommandFailure(command: "openssl s_server", status: -1, stderr: process.log)
        }
    }

    public func stop() { process.stop() }
}
