import Foundation

/// The parts of an HLS playlist (RFC 8216) a launch check needs.
public struct HLSPlaylist: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A media playlist: segments, a media sequence, a target duration.
        case media(mediaSequence: Int, targetDuration: Int, segments: Int, ended: Bool)
        /// A master (multivariant) playlist: the URIs of its variant streams.
        case master(variants: [String])
    }

    public var kind: Kind

    /// Parses a playlist, or says in one line why it is not one.
    public static func parse(_ text: String) -> Result<HLSPlaylist, ValueError> {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard lines.first == "#EXTM3U" else {
            let first = RemoteText.sanitize(lines.first ?? "", limit: 40)
            return .failure(ValueError("not an HLS playlist: it starts with `\(first)`, not #EXTM3U"))
        }
        var mediaSequence = 0
        var targetDuration: Int?
        var segments = 0
        var ended = false
        var variants: [String] = []
        var expectingURI: String?
        for line in lines.dropFirst() {
            if let tag = expectingURI {
                guard !line.hasPrefix("#") else {
                    return .failure(ValueError("malformed HLS playlist: \(tag) is not followed by a URI"))
                }
                if tag == "#EXT-X-STREAM-INF" { variants.append(line) } else { segments += 1 }
                expectingURI = nil
                continue
            }
            if let value = line.value(of: "#EXT-X-MEDIA-SEQUENCE:") {
                guard let number = Int(value), number >= 0 else {
                    return .failure(ValueError("malformed HLS playlist: media sequence `\(RemoteText.sanitize(value, limit: 20))`"))
                }
                mediaSequence = number
            } else if let value = line.value(of: "#EXT-X-TARGETDURATION:") {
                guard let number = Int(value), number > 0 else {
                    return .failure(ValueError("malformed HLS playlist: target duration `\(RemoteText.sanitize(value, limit: 20))`"))
                }
                targetDuration = number
            } else if line.hasPrefix("#EXTINF:") {
                expectingURI = "#EXTINF"
            } else if line.hasPrefix("#EXT-X-STREAM-INF:") {
                expectingURI = "#EXT-X-STREAM-INF"
            } else if line == "#EXT-X-ENDLIST" {
                ended = true
            }
        }
        if let tag = expectingURI {
            return .failure(ValueError("malformed HLS playlist: the last \(tag) has no URI"))
        }
        if !variants.isEmpty {
            return .success(HLSPlaylist(kind: .master(variants: variants)))
        }
        guard let targetDuration else {
            return .failure(ValueError("malformed HLS playlist: no #EXT-X-TARGETDURATION"))
        }
        guard segments > 0 else {
            return .failure(ValueError("the HLS playlist lists no segments"))
        }
        return .success(HLSPlaylist(kind: .media(mediaSequence: mediaSequence, targetDuration: targetDuration,
                                                 segments: segments, ended: ended)))
    }
}

/// What a live check remembers between polls: the last media sequence and when it changed.
public struct HLSLiveState: Sendable, Equatable {
    public var mediaSequence: Int
    public var changedAt: Duration

    public init(mediaSequence: Int, changedAt: Duration) {
        self.mediaSequence = mediaSequence
        self.changedAt = changedAt
    }

    /// A live playlist must advance at least once in this many target durations.
    public static let stallTargetDurations = 3
}

extension String {
    fileprivate func value(of prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
