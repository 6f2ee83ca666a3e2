import FlightdeckCore
@testable import FlightdeckStore
import Foundation
import Testing

/// The journal's entries read quickly (`JournalJSON`) and by JSONDecoder must be the same
/// records, and a journal written by an earlier build must read as it was written.
@Suite("The journal's codec: the same bytes written as ever, read quickly into the same records")
struct JournalCodecTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/journal-2026-12.jsonl")

    static let full = LaunchActor(login: "dana", effectiveUser: "dana", loginUID: 1001, sshConnection: "203.0.113.9 50022 10.0.0.5 22",
                                  tty: "/dev/pts/3", pid: 4242, host: "bastion-a", approver: "Dana Whitfield", pinUsed: true)
    static let bare = LaunchActor(login: "svc", effectiveUser: "svc", pid: 7, host: "ci")

    /// Every kind of event, with and without its optional parts, and text that needs escaping.
    static let events: [LaunchEvent] = [
        .checklistMarked(item: "legal", mark: .done, note: "signed \"as is\" by Legal\nsee ticket LEGAL-42 / ü ✓ 🚀"),
        .checklistMarked(item: "rollback", mark: .waived, note: nil),
        .pollOpened,
        .voteCast(role: "ops", choice: .go, reason: nil,
                  evidence: VoteEvidence(items: [EvidenceItem(id: "api-health", status: .pass),
                                                 EvidenceItem(id: "dns-apex", status: .warn, vantages: [EvidenceVantage(vantage: "eu-west", status: .pass),
                                                                                                        EvidenceVantage(vantage: "ap-south", status: .fail)]),
                                                 EvidenceItem(id: "checklist:legal", status: .unknown)], digest: String(repeating: "ab", count: 32))),
        .voteCast(role: "director", choice: .noGo, reason: "tab\there, bell \u{07}, del \u{7F}", evidence: VoteEvidence(items: [], digest: "")),
        .voteStale(role: "ops", blockers: ["api-health", "tls-apex"]),
        .holdStarted(kind: .manual, reason: "waiting on the CDN"),
        .holdStarted(kind: .builtIn(name: "T-10 hold", seconds: 600), reason: "built in"),
        .holdStarted(kind: .noGo(role: "security"), reason: "pen test finding"),
        .holdStarted(kind: .staleVote(role: "ops"), reason: "api-health turned red"),
        .resumed(reason: "CDN purged"),
        .overrideRequested(waive: ["tls-stream"], reason: "cert renews tonight"),
        .overrideApproved(request: 12),
        .countdownStarted,
        .launched,
        .scrubbed(reason: "weather"),
        .alarmAcknowledged(alarm: "alertmanager/CheckoutErrorRate/8c1f2e4a9b7d3c60", reason: "on it"),
        .alarmSilenced(alarm: "rule/red/api-health", until: Date(timeIntervalSince1970: 1_796_650_000.25), reason: "deploying"),
        .alarmSilenced(alarm: "rule/latency/web-home", until: nil, reason: "known slow"),
        .rerunRequested(check: "api-suite"),
        .pinTried(approver: "Dana Whitfield"),
        .pinAccepted(approver: "Dana Whitfield"),
        .pinRejected(approver: "Miguel Soto"),
        .notificationClaimed(key: "alarm:rule/red/api-health:1796650000"),
        .notificationSent(key: "alarm:rule/red/api-health:1796650000", target: "pagerduty", delivered: false, outcome: "HTTP 429, retrying"),
        .journalRestarted(brokenAt: 17, problem: "entry 17 does not match its hash", lastGoodHead: String(repeating: "0f", count: 32), reason: "disk swap"),
        .windowOpened(window: "dns-cutover"),
        .windowClosed(window: "dns-cutover"),
        .notificationSuppressed(key: "alarm:rule/red/dns-apex:1796650100", window: "dns-cutover"),
    ]

    /// The events as records chained from the genesis head, as `LaunchJournal.encode` writes them today.
    static func written() throws -> [(text: String, hash: String, record: LaunchRecord)] {
        var previous = String(repeating: "0", count: 64)
        var rows: [(text: String, hash: String, record: LaunchRecord)] = []
        for (offset, event) in events.enumerated() {
            let record = LaunchRecord(seq: offset + 1, at: Date(timeIntervalSince1970: 1_796_650_000.123 + Double(offset) * 61),
                                      actor: offset.isMultiple(of: 3) ? bare : full, event: event)
            let text = try LaunchJournal.encode(record, previous: previous)
            let hash = Crypto.sha256Hex(Array(text.utf8))
            rows.append((text, hash, record))
            previous = hash
        }
        return rows
    }

    @Test("every kind of event reads quickly into the record JSONDecoder reads")
    func quickMatchesFoundation() throws {
        for row in try Self.written() {
            let quick = try #require(LaunchJournal.StoredRecord(quick: row.text), "read quickly: \(row.text)")
            let foundation = try LaunchJournal.decoder.decode(LaunchJournal.StoredRecord.self, from: Data(row.text.utf8))
            #expect(quick.event == foundation.event && quick.actor == foundation.actor, "\(row.text)")
            #expect(quick.seq == foundation.seq && quick.at == foundation.at && quick.prev == foundation.prev)
            #expect(quick.event == row.record.event && quick.actor == row.record.actor)
        }
        let signature = try String(decoding: LaunchJournal.encoder.encode(KeySignature(key: "ssh-ed25519 AAAAC3Nza",
                                                                                        signature: "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n")),
                                   as: UTF8.self)
        #expect(KeySignature(quick: signature) == (try LaunchJournal.decoder.decode(KeySignature.self, from: Data(signature.utf8))))
    }

    @Test("text the encoder never writes is left to JSONDecoder, which reads it as before")
    func unexpectedFallsBack() throws {
        let text = try #require(Self.written().first?.text)
        let variants = [
            text.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1.0"),          // a number with a fraction
            text.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"seq\":2"),  // a key twice
            text.replacingOccurrences(of: "\"item\":\"legal\"", with: "\"item\":\"\\ud800\""), // a lone surrogate
            text.replacingOccurrences(of: "checklistMarked", with: "somethingNew"),   // an event this build does not know
            text.replacingOccurrences(of: "\"pid\":7", with: "\"pid\":99999999999"),  // out of range
            text.replacingOccurrences(of: "\"pid\":7", with: "\"pid\":\"7\""),        // another type
            text + " trailing",
        ]
        for variant in variants {
            #expect(LaunchJournal.StoredRecord(quick: variant) == nil, "\(variant)")
            let foundation = try? LaunchJournal.decoder.decode(LaunchJournal.StoredRecord.self, from: Data(variant.utf8))
            let either = try? LaunchJournal.decodeStored(variant)
            #expect(either?.event == foundation?.event && either?.seq == foundation?.seq, "\(variant)")
        }
        // Spaces and members in another order are still the encoder's JSON, read quickly.
        let spaced = text.replacingOccurrences(of: ",", with: " ,\n ").replacingOccurrences(of: ":", with: " : ")
        #expect(LaunchJournal.StoredRecord(quick: spaced)?.event == (try LaunchJournal.decodeStored(text)).event)
    }

    @Test("random strings survive the escapes both ways, as JSONDecoder reads them")
    func randomStrings() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int(random.next() % 24) {
                let pick = random.next() % 4
                let value: UInt32 = pick == 0 ? UInt32(random.next() % 0x80) : pick == 1 ? UInt32(random.next() % 0x800)
                    : pick == 2 ? UInt32(random.next() % 0xD800) : 0x10000 + UInt32(random.next() % 0x1000)
                scalars.append(Unicode.Scalar(value) ?? "?")
            }
            let note = String(scalars)
            let record = LaunchRecord(seq: 1, at: Date(timeIntervalSince1970: 1_796_650_000), actor: Self.bare,
                                      event: .checklistMarked(item: "legal", mark: .done, note: note))
            let text = try LaunchJournal.encode(record, previous: "0")
            let quick = try #require(LaunchJournal.StoredRecord(quick: text), "\(text)")
            #expect(quick.event == (try LaunchJournal.decoder.decode(LaunchJournal.StoredRecord.self, from: Data(text.utf8))).event)
            #expect(quick.event == record.event, "\(note.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("the journal's timestamps read by hand are the formatter's very dates, and print back as they were written")
    func timestamps() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var random = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            // 2020 to 2100, to the millisecond.
            let milliseconds = 1_577_836_800_000 + Int(random.next() % 2_524_608_000_000)
            let text = LaunchRecord.timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            let parsed = try #require(LaunchRecord.parseTimestamp(text))
            #expect(parsed == (try style.parse(text)), "\(text)")
            #expect(LaunchRecord.timestamp(parsed) == text, "read back, \(text) prints as it was written")
        }
        // Other forms, and dates outside those years, are the formatter's to read or refuse.
        for text in ["2026-12-07T14:00:00Z", "2026-12-07T14:00:00.123+01:00", "2019-12-31T23:59:59.999Z", "2101-01-01T00:00:00.000Z",
                     "2000-12-31T12:00:00.500Z", "2026-02-29T00:00:00.000Z", "2028-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z",
                     "2026-12-07T24:00:00.000Z", "2026-12-07 14:00:00.000Z", "2026-12-07T14:00:00.1234Z"] {
            #expect(LaunchRecord.parseTimestamp(text) == (try? style.parse(text)), "\(text)")
        }
    }

    /// Run with FLIGHTDECK_WRITE_JOURNAL_FIXTURE=1 once, when the fixture is first made; never
    /// again, since the point is that later builds read what this one wrote.
    @Test("a journal written by an earlier build: today's encoder writes the same bytes, and every entry links and reads as it was written")
    func earlierJournal() throws {
        let rows = try Self.written()
        if ProcessInfo.processInfo.environment["FLIGHTDECK_WRITE_JOURNAL_FIXTURE"] == "1" {
            try rows.map { "\($0.hash) \($0.text)" }.joined(separator: "\n").appending("\n").write(to: Self.fixture, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: Self.fixture, encoding: .utf8).split(separator: "\n").map { line in
            (hash: String(line.prefix(64)), text: String(line.dropFirst(65)))
        }
        #expect(stored.count == Self.events.count)
        var previous = String(repeating: "0", count: 64)
        var heads: [Int: String] = [:]
        for (offset, line) in stored.enumerated() { heads[offset + 1] = line.hash }
        for (offset, line) in stored.enumerated() {
            #expect(rows[offset].text == line.text, "the canonical bytes of entry \(offset + 1) changed")
            let entry = StoredEntry(seq: offset + 1, record: .text(line.text), hash: .text(line.hash), signature: .null)
            switch LaunchJournal.link(entry, expected: offset + 1, previous: previous, heads: heads) {
            case .success(let (record, hash, _)):
                #expect(record.event == Self.events[offset] && record.actor == rows[offset].record.actor)
                #expect(LaunchRecord.timestamp(record.at) == LaunchRecord.timestamp(rows[offset].record.at))
                previous = hash
            case .failure(let chainBreak):
                Issue.record("entry \(offset + 1): \(chainBreak.problem)")
                return
            }
        }
    }
}
