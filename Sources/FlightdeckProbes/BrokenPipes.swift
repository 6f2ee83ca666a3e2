#if canImport(Glibc)
import Glibc
#endif

/// OpenSSL's socket BIO writes with write(2), which has no MSG_NOSIGNAL: a server that resets
/// the connection mid-handshake would otherwise kill the whole process with SIGPIPE. Every
/// prober that hands a socket to OpenSSL touches this first; ignored, the write fails with
/// EPIPE and the handshake reports it.
enum BrokenPipes {
    static let ignored: Void = { signal(SIGPIPE, SIG_IGN) }()
}
