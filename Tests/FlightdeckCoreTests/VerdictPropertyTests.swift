@testable import FlightdeckCore
import Foundation
import PropertyBased
import Testing

/// Random boards: DNS records judged from random answers by random servers, beside other
/// checks in random states and random critical alarms. The verdict is GO only if every
/// blocker passed, or is yellow for a reason that is only degraded (caches catching up on a
/// value a new nameserver of the plan serves, a latency over budget), never unproven.
@Suite("The verdict over random boards")
struct VerdictPropertyTests {
    static let zone = try! DNSName.parse("example.test").get()
    static let expected: [UInt8] = [192, 0, 2, 10]
    static let previous: [UInt8] = [192, 0, 2, 20]

    /// One server's answer, decoded from a number: who it is and what it said.
    static func observation(_ code: Int, index: Int) -> DNSObservation {
        let role: DNSServerRef.Role = [.resolver, .resolver, .expectedAuthority, .previousAuthority][code % 4]
        let server = DNSServerRef(name: "s\(index)", address: "192.0.2.\(index % 250)", role: role)
        var flags = DNSFlags()
        flags.isResponse = true
        flags.authoritative = role != .resolver
        func answer(_ records: [DNSRecord], rcode: UInt8 = 0) -> DNSObservation.Outcome {
            var flags = flags
            flags.responseCode = rcode
            return .response(DNSMessage(id: 1, flags: flags, questions: [DNSQuestion(name: zone, type: .a)], answers: records))
        }
        let ttl = UInt32(code / 40 % 300)
        let outcome: DNSObservation.Outcome = switch code / 4 % 10 {
        case 0, 1, 2: answer([DNSRecord(name: zone, ttl: ttl, data: .a(expected))])
        case 3: answer([DNSRecord(name: zone, ttl: ttl, data: .a(previous))])
        case 4: answer([DNSRecord(name: zone, ttl: ttl, data: .a([198, 51, 100, 1]))])
        case 5: answer([], rcode: 3)
        case 6: answer([])
        case 7: answer([], rcode: 2)
        case 8: .timeout
        default: answer([DNSRecord(name: zone, ttl: ttl, data: .cname(try! DNSName.parse("edge.cdn.example").get()))])
        }
        return DNSObservation(server: server, outcome: outcome, at: .seconds(code % 50))
    }

    static let quorums: [ConvergenceQuorum] = [.allAnswering, .allResolvers, .atLeast(0.5), .atLeast(0.9)]

    @Test("GO only when every blocker passed or is yellow while caches catch up on what a new nameserver serves")
    func verdictIsEarned() async {
        let record = DNSRecordExpectation(id: "dns", name: Self.zone, type: .a, expected: ["192.0.2.10"], previous: ["192.0.2.20"],
                                          severity: .blocker, timing: ProbeTiming())
        let input = Gen.int(in: 0...11_999).array(of: 0...12).array(of: 1...4)
        await propertyCheck(count: 500, input: input) { boards in
            var reports: [CheckReport] = []
            var alarms: [Alarm] = []
            var justified: [String: Bool] = [:]
            for (number, codes) in boards.enumerated() {
                let id = "check\(number)"
                let severity: Severity = codes.first.map { $0 % 5 == 0 ? .minor : .blocker } ?? .blocker
                let check = CheckDescriptor(id: id, kind: .dns, target: "example.test A", severity: severity)
                let propagation = RecordPropagation(record: record, observations: codes.enumerated().map { Self.observation($1, index: $0) })
                let quorum = Self.quorums[(codes.first ?? 0) / 7 % Self.quorums.count]
                let verdict = DNSRecordVerdict(propagation, quorum: quorum, now: .seconds(60), describeTime: { "t+\($0)" })
                reports.append(CheckReport(check: check, status: verdict.status, detail: verdict.detail))
                if (codes.last ?? 1) % 11 == 0 { alarms.append(Alarm(id: "a\(number)", severity: .critical, source: "rules", since: .zero, reason: "x", checkID: id)) }

                let authorities = propagation.newAuthorityCells
                let confirmed = !authorities.isEmpty && authorities.allSatisfy { $0.state == .match }
                let resolvers = propagation.resolverCells
                switch verdict.status {
                case .pass:
                    // Green: the plan's new nameservers all serve the value (or every resolver
                    // agrees when there are none), and the quorum holds.
                    #expect(authorities.allSatisfy { $0.state == .match }, "\(verdict.detail) \(codes)")
                    let answering = propagation.answeringResolvers
                    #expect(confirmed || (!answering.isEmpty && answering.allSatisfy { $0.state == .match }
                                          && answering.count * 2 > resolvers.count), "\(verdict.detail) \(codes)")
                    #expect(!confirmed || resolvers.isEmpty || propagation.isConverged(quorum), "\(verdict.detail) \(codes)")
                case .warn:
                    // Yellow passes: only while a new nameserver confirms the value and enough
                    // resolvers answer to judge.
                    #expect(confirmed, "a passing yellow no nameserver of the plan vouches for: \(verdict.detail) \(codes)")
                    #expect(!propagation.answeringResolvers.isEmpty, "\(verdict.detail) \(codes)")
                case .fail, .unknown:
                    break
                }
                if authorities.contains(where: { $0.state != .match }) {
                    #expect(verdict.status == .fail, "a new nameserver disagrees: \(verdict.detail) \(codes)")
                }
                justified[id] = verdict.status == .pass || (verdict.status == .warn && confirmed)
            }
            let verdict = CheckVerdict(reports: reports, alarms: alarms)
            let blockers = reports.filter { $0.check.severity == .blocker }
            let alarmed = Set(alarms.compactMap(\.checkID))
            let earned = blockers.allSatisfy { justified[$0.check.id] == true && !alarmed.contains($0.check.id) }
            #expect(verdict.isGo == earned, "GO \(verdict.isGo): \(verdict.reason) for \(reports.map { "\($0.check.id) \($0.status): \($0.detail)" })")
        }
    }
}
