import FlightdeckCore
#if canImport(Glibc)
import Glibc
#endif

/// Turns plan addresses into POSIX socket addresses, and compares them.
enum SocketAddressCodec {
    static func storage(for address: SocketAddress) -> [UInt8]? {
        let port = (address.port ?? 53).bigEndian
        switch address.family {
        case .ipv4:
            var value = sockaddr_in()
            value.sin_family = sa_family_t(AF_INET)
            value.sin_port = port
            guard inet_pton(AF_INET, address.host, &value.sin_addr) == 1 else { return nil }
            return withUnsafeBytes(of: value) { Array($0) }
        case .ipv6:
            var value = sockaddr_in6()
            value.sin6_family = sa_family_t(AF_INET6)
            value.sin6_port = port
            guard inet_pton(AF_INET6, address.host, &value.sin6_addr) == 1 else { return nil }
            return withUnsafeBytes(of: value) { Array($0) }
        }
    }

    /// Whether a datagram came from exactly the address and port the query went to (as
    /// `storage(for:)` encodes it).
    static func matches(_ storage: sockaddr_storage, _ expected: [UInt8], family: SocketAddress.Family) -> Bool {
        withUnsafeBytes(of: storage) { actual in
            switch family {
            case .ipv4:
                // family, port and address; the padding is not compared
                return expected.count >= 8 && actual[0..<8].elementsEqual(expected[0..<8])
            case .ipv6:
                // family, port, then the address (skipping flow info); the scope id is not compared
                return expected.count >= 24 && actual[0..<4].elementsEqual(expected[0..<4]) && actual[8..<24].elementsEqual(expected[8..<24])
            }
        }
    }
}
