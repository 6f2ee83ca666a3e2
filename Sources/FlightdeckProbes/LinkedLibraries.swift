import CCurl
import COpenSSL

/// The versions of the C libraries the probes are linked against, as they report themselves
/// at run time (which may differ from the headers they were built with).
public enum LinkedLibraries {
    /// libcurl's version and the TLS backend it was built with (`8.x (OpenSSL/3.0.x)`).
    public static var curl: String {
        guard let info = fd_curl_version_info() else { return "unknown" }
        let version = String(cString: info.pointee.version)
        let ssl = info.pointee.ssl_version.map { String(cString: $0) } ?? "no TLS"
        return "\(version) (\(ssl))"
    }

    /// OpenSSL's version string (`OpenSSL 3.0.x ...`).
    public static var openSSL: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "unknown" }
        return String(cString: text)
    }
}
