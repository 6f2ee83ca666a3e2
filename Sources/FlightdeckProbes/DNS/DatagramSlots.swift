import CGlibc
#if canImport(Glibc)
import Glibc
#endif

/// Room for a batch of datagrams, for sendmmsg or recvmmsg: fixed slots, each header pointing
/// at its own bytes and address. Made once per engine thread and reused for every batch.
struct DatagramSlots {
    struct Datagram {
        var bytes: UnsafeRawBufferPointer
        var from: sockaddr_storage
        /// The datagram was longer than its slot: `bytes` is its beginning only.
        var cut: Bool
    }

    let capacity: Int
    let slotBytes: Int
    let headers: UnsafeMutablePointer<fd_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    private let payloads: UnsafeMutableRawPointer
    private let addresses: UnsafeMutablePointer<sockaddr_storage>

    init(capacity: Int, slotBytes: Int) {
        self.capacity = capacity
        self.slotBytes = slotBytes
        headers = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity)
        payloads = .allocate(byteCount: capacity * slotBytes, alignment: 16)
        addresses = .allocate(capacity: capacity)
    }

    /// Lays one datagram to send into slot `index`; false if it does not fit a slot.
    func lay(_ bytes: [UInt8], to address: [UInt8], at index: Int) -> Bool {
        guard index < capacity, bytes.count <= slotBytes, address.count <= MemoryLayout<sockaddr_storage>.size else { return false }
        bytes.withUnsafeBytes { payload(index).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        address.withUnsafeBytes { UnsafeMutableRawPointer(addresses + index).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        point(index, length: bytes.count, addressLength: address.count)
        return true
    }

    /// Makes every slot ready for the kernel to fill (it rewrites lengths and flags).
    func prepareToReceive() {
        for index in 0..<capacity { point(index, length: slotBytes, addressLength: MemoryLayout<sockaddr_storage>.size) }
    }

    /// Slot `index` as the kernel filled it.
    func datagram(at index: Int) -> Datagram {
        let header = headers[index]
        return Datagram(bytes: UnsafeRawBufferPointer(start: payload(index), count: Int(header.msg_len)),
                        from: addresses[index], cut: header.msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0)
    }

    private func payload(_ index: Int) -> UnsafeMutableRawPointer { payloads + index * slotBytes }

    private func point(_ index: Int, length: Int, addressLength: Int) {
        vectors[index] = iovec(iov_base: payload(index), iov_len: length)
        headers[index] = fd_mmsghdr(
            msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(addresses + index), msg_namelen: socklen_t(addressLength),
                            msg_iov: vectors + index, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0),
            msg_len: 0)
    }

    /// Whether an answer's question section (cut or not) is the query's: the same name,
    /// letter case aside, type and class. Both start with the 12-byte header and one question.
    static func sameQuestion(_ answer: UnsafeRawBufferPointer, _ query: [UInt8]) -> Bool {
        var end = 12
        while end < query.count, query[end] != 0 { end += Int(query[end]) + 1 }
        end += 5
        guard end <= query.count, end <= answer.count, answer[4] == 0, answer[5] == 1 else { return false }
        return (12..<end - 4).allSatisfy { lowercased(answer[$0]) == lowercased(query[$0]) }
            && (end - 4..<end).allSatisfy { answer[$0] == query[$0] }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }
}
