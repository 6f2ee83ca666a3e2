/// Text that came from the network (HTTP bodies, DNS TXT records, certificate fields),
/// made safe to show: nothing in it can reach the operator's terminal as a control or
/// escape sequence, or reorder what is shown around it.
public enum RemoteText {
    /// Decodes `bytes` as UTF-8 (invalid sequences become U+FFFD) and sanitises at most
    /// `limit` characters of it, adding `…` when it was cut.
    public static func sanitize(_ bytes: some Collection<UInt8>, limit: Int = 256) -> String {
        let text = sanitize(String(decoding: bytes.prefix(limit * 4), as: UTF8.self), limit: limit)
        return bytes.count > limit * 4 && !text.hasSuffix("…") ? text + "…" : text
    }

    /// Whitespace controls become spaces; every other control character (C0, DEL, C1) and
    /// every bidirectional formatting character becomes U+FFFD.
    public static func sanitize(_ text: String, limit: Int = 256) -> String {
        // Printable ASCII within the limit, the common case, needs no copy.
        if text.utf8.count <= limit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return result + "…" }
            switch scalar.value {
            case 0x09, 0x0A, 0x0D:
                result.unicodeScalars.append(" ")
            case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                result.unicodeScalars.append("\u{FFFD}")
            default:
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }
}
