/// Text made safe to show: nothing in it can reach the operator's terminal as a control or
/// escape sequence, or reorder what is shown around it. Text from the network (HTTP bodies,
/// DNS TXT records, certificate fields) is cut and flattened to one line; everything
/// Flightdeck prints (plan text, arguments, errors, reports) goes out through `inert`.
public enum RemoteText {
    /// Decodes `bytes` as UTF-8 (invalid sequences become U+FFFD) and sanitises at most
    /// `limit` characters of it, adding `…` when it was cut.
    public static func sanitize(_ bytes: some Collection<UInt8>, limit: Int = 256) -> String {
        let text = sanitize(String(decoding: bytes.prefix(limit * 4), as: UTF8.self), limit: limit)
        return bytes.count > limit * 4 && !text.hasSuffix("…") ? text + "…" : text
    }

    /// The characters that are never printed as they are: C0 controls, DEL, C1 controls
    /// (U+0080 to U+009F, U+009B being an 8-bit CSI) and bidirectional formatting characters.
    @inline(__always)
    static func isUnsafe(_ value: UInt32) -> Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Multi-line text for output: line feeds and tabs stay, every other unsafe character
    /// becomes U+FFFD. Nothing is cut.
    public static func inert(_ text: String) -> String {
        if text.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A }) { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0x0A || scalar.value == 0x09 || !isUnsafe(scalar.value) {
                result.append(scalar)
            } else {
                result.append("\u{FFFD}")
            }
        }
        return String(result)
    }

    /// A JSON document for output: every unsafe character left in its strings (JSON
    /// encoders escape C0 but not C1 or bidi controls) is written as a `\uXXXX` escape, so
    /// the data is kept and the bytes are inert. Unsafe characters cannot occur outside
    /// strings in valid JSON.
    public static func inertJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { isUnsafe($0.value) && $0.value != 0x0A && $0.value != 0x09 }) else { return json }
        var result = ""
        for scalar in json.unicodeScalars {
            if isUnsafe(scalar.value), scalar.value != 0x0A, scalar.value != 0x09 {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
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
            case let value where isUnsafe(value):
                result.unicodeScalars.append("\u{FFFD}")
            default:
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }
}
