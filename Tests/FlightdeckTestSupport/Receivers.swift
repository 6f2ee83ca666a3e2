import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP receiver on a loopback port that answers each request with the next status in
/// its script (the last one repeats) and `body`, and keeps what it was sent, for tests that
/// assert the exact request: a webhook's payload, a signed AWS call.
public final class RecordingHTTPServer: Sendable {
    public struct Request: Sendable {
        public var head: String
        public var body: String
    }

    public let port: UInt16
    private let received = Mutex<[Request]>([])

    public init(statuses: [Int], body: String = "ok") throws {
        let listener = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        port = listener.port
        let descriptor = listener.descriptor
        let thread = Thread { [self] in
            var index = 0
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                let request = Self.readRequest(connection)
                self.received.withLock { $0.append(request) }
                let status = statuses[min(index, statuses.count - 1)]
                index += 1
                let answer = Array("HTTP/1.1 \(status) Scripted\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
                _ = answer.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                close(connection)
            }
        }
        thread.start()
    }

    public var requests: [Request] { received.withLock { $0 } }

    private static func readRequest(_ connection: Int32) -> Request {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var expected: Int?
        while expected.map({ bytes.count < $0 }) ?? true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[0..<count]
            let text = String(decoding: bytes, as: UTF8.self)
            if expected == nil, let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound.samePosition(in: text.utf8)!) + length
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return Request(head: text, body: "") }
        return Request(head: String(text[..<end.lowerBound]), body: String(text[end.upperBound...]))
    }
}

/// An SMTP receiver on a loopback port: speaks just enough SMTP for one client, and keeps
/// the envelope and the message, for tests that assert the exact email sent.
public final class SMTPReceiver: Sendable {
    public struct Mail: Sendable {
        public var from: String
        public var recipients: [String]
        public var data: String
    }

    public let port: UInt16
    private let received = Mutex<[Mail]>([])

    public init() throws {
        let listener = try LoopbackSocket.listening(host: "127.0.0.1", port: 0)
        port = listener.port
        let descriptor = listener.descriptor
        let thread = Thread { [self] in
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                Self.converse(connection) { mail in self.received.withLock { $0.append(mail) } }
                close(connection)
            }
        }
        thread.start()
    }

    public var mails: [Mail] { received.withLock { $0 } }

    /// Speaks SMTP until QUIT; each message is kept before it is acknowledged, so a client
    /// that was told 250 finds it there.
    private static func converse(_ connection: Int32, keep: (Mail) -> Void) {
        func say(_ line: String) {
            let bytes = Array("\(line)\r\n".utf8)
            _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
        }
        var pending = ""
        func nextLine() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !pending.contains("\r\n") {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { return nil }
                pending += String(decoding: buffer[0..<count], as: UTF8.self)
            }
            let end = pending.range(of: "\r\n")!
            let line = String(pending[..<end.lowerBound])
            pending = String(pending[end.upperBound...])
            return line
        }
        var mail = Mail(from: "", recipients: [], data: "")
        say("220 receiver.test ESMTP")
        while let line = nextLine() {
            let command = line.uppercased()
            if command.hasPrefix("EHLO") || command.hasPrefix("HELO") {
                say("250 receiver.test")
            } else if command.hasPrefix("MAIL FROM:") {
                mail.from = String(line.dropFirst(10))
                say("250 OK")
            } else if command.hasPrefix("RCPT TO:") {
                mail.recipients.append(String(line.dropFirst(8)))
                say("250 OK")
            } else if command == "DATA" {
                say("354 go ahead")
                var lines: [String] = []
                while let dataLine = nextLine(), dataLine != "." { lines.append(dataLine) }
                mail.data = lines.joined(separator: "\r\n")
                keep(mail)
                say("250 queued")
            } else if command == "QUIT" {
                say("221 bye")
                return
            } else {
                say("502 not here")
            }
        }
    }
}
