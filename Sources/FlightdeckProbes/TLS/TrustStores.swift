import COpenSSL
import Synchronization

/// The certificate stores every TLS connection of the process verifies against: one per CA
/// file, and nil for the system's trust store (OpenSSL's defaults, which honour
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` as the curl command does). Each is loaded once and
/// shared by the TLS inspection workers, DNS over TLS and every libcurl transfer: loading a store costs
/// more than a handshake, and each copy is kept in memory. OpenSSL lets any thread look
/// certificates up in a store once it is loaded.
///
/// A CA file given is the whole of what is trusted: it replaces the system's store.
/// Every store accepts partial chains (see `store(for:)`).
final class TrustStores: Sendable {
    static let shared = TrustStores()

    private struct Loaded: @unchecked Sendable {
        var stores: [String: OpaquePointer] = [:]
    }

    private let loaded = Mutex(Loaded())

    /// The store for `caFile`, loaded on first use; the reason when it cannot be.
    func store(for caFile: String?) -> Result<OpaquePointer, TrustStoreProblem> {
        loaded.withLock { loaded in
            if let existing = loaded.stores[caFile ?? ""] { return .success(existing) }
            guard let store = X509_STORE_new() else { return .failure(TrustStoreProblem(caFile: caFile, reason: "out of memory")) }
            ERR_clear_error()
            let result = caFile.map { X509_STORE_load_file(store, $0) } ?? X509_STORE_set_default_paths(store)
            guard result == 1 else {
                X509_STORE_free(store)
                return .failure(TrustStoreProblem(caFile: caFile, reason: openSSLError()))
            }
            // A certificate in the store is an anchor even when it is not a root: a CA file may
            // name an intermediate to trust, as curl allows. libcurl sets these two flags on the
            // store of every connection it makes; set here, its setting them changes nothing.
            X509_STORE_set_flags(store, UInt(X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST))
            loaded.stores[caFile ?? ""] = store
            return .success(store)
        }
    }
}

struct TrustStoreProblem: Error, Sendable {
    var caFile: String?
    var reason: String

    var message: String {
        "cannot load \(caFile.map { "the CA file \($0)" } ?? "the system's trust store"): \(reason)"
    }
}
