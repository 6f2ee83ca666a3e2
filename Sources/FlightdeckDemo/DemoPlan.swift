import FlightdeckCore
import Foundation

/// The demo's launch plan, written for the servers this run started: their addresses and
/// ports, the CA it trusts, and every duration of the launch run `speed` times faster
/// (latency budgets and timeouts stay real: the network does not speed up).
struct DemoPlan {
    struct Record {
        let id: String
        let name: String
        let type: DNSRecordType
        let expected: String
        let previous: String?
    }

    static let records = [
        Record(id: "dns-apex", name: "@", type: .a, expected: DemoWorld.Address.web, previous: DemoWorld.Address.oldWeb),
        Record(id: "dns-www", name: "www", type: .cname, expected: DemoWorld.zone, previous: "parking.olddns.test"),
        Record(id: "dns-api", name: "api", type: .a, expected: DemoWorld.Address.web, previous: DemoWorld.Address.oldWeb),
        Record(id: "dns-ws", name: "ws", type: .a, expected: DemoWorld.Address.web, previous: DemoWorld.Address.oldWeb),
        Record(id: "dns-stream", name: "stream", type: .a, expected: DemoWorld.Address.web, previous: DemoWorld.Address.oldWeb),
        Record(id: "dns-mx", name: "@", type: .mx, expected: "10 mx.\(DemoWorld.zone)", previous: "10 mx.olddns.test"),
        Record(id: "dns-spf", name: "@", type: .txt, expected: "v=spf1 include:_spf.\(DemoWorld.zone) ~all", previous: nil),
        Record(id: "dns-caa", name: "@", type: .caa, expected: "0 issue \\\"ca.\(DemoWorld.zone)\\\"", previous: nil),
    ]

    let zone: String
    let speed: Double
    let caFile: String
    /// Each DNS server's address with its port, by IP.
    let dnsAddresses: [String: String]
    let httpsPort: UInt16
    let httpPort: UInt16
    let alertmanager: String
    /// The simulated AWS and Prometheus.
    let cloud: String
    let approvers: [(DemoWorld.Approver, pinHash: String)]

    /// A world duration at the demo's speed, as the plan writes durations.
    private func scaled(_ worldSeconds: Double, atLeast floor: Double = 0.1) -> String {
        "\(Int((max(worldSeconds / speed, floor) * 1000).rounded()))ms"
    }

    private func dnsAddress(_ ip: String) -> String {
        dnsAddresses[ip] ?? ip
    }

    var text: String {
        let https = httpsPort, plain = httpPort
        let now = Date()
        let t0 = now.addingTimeInterval(45 * 60 / speed).formatted(.iso8601)
        // The cutover's window: from the start until the caches have caught up (about 3:30).
        let cutoverEnds = now.addingTimeInterval(240 / speed + 60).formatted(.iso8601)
        let resolvers = DemoWorld.resolvers.map { resolver in
            "  - { name: \(resolver.name), address: \"\(dnsAddress(resolver.ip))\"\(resolver.transport.map { ", transport: \($0)" } ?? "") }"
        }
        let records = Self.records.map { record in
            "    - { id: \(record.id), name: \"\(record.name)\", type: \(record.type), expected: [\"\(record.expected)\"]"
                + (record.previous.map { ", previous: [\"\($0)\"]" } ?? "") + " }"
        }
        let approverLines = approvers.map { approver, hash in
            "  - { name: \(approver.name), role: \(approver.role), pin_hash: \"\(hash)\" }"
        }
        let web = DemoWorld.Address.web
        return """
            # The built-in demo launch (`flightdeck demo`), written for this run's servers on loopback.
            # Speed \(speed)x. Approver PINs: \(DemoWorld.approvers.map { "\($0.name) \($0.pin)" }.joined(separator: ", ")).
            version: 1

            launch:
              name: DirectFanz go-live (demo)
              zone: \(zone)
              t0: \(t0)
              timezone: UTC

            polling:
              interval: \(scaled(2))
              timeout: 2s
              concurrency: 32
              failure_threshold: 2
              success_threshold: 1

            resolvers:
            \(resolvers.joined(separator: "\n"))

            dns:
              parent:
                - { name: \(DemoZones.parentServer), addresses: ["\(dnsAddress(DemoWorld.Address.parent))"] }
              nameservers:
                expected:
                  - { name: \(DemoZones.newNameservers[0]), addresses: ["\(dnsAddress(DemoWorld.Address.newProvider[0]))"] }
                  - { name: \(DemoZones.newNameservers[1]), addresses: ["\(dnsAddress(DemoWorld.Address.newProvider[1]))"] }
                previous:
                  - { name: \(DemoZones.oldNameserver), addresses: ["\(dnsAddress(DemoWorld.Address.oldProvider))"] }
              caa_issuers: { "DirectFanz demo": [ca.\(DemoWorld.zone)] }
              runbook: { url: "https://wiki.\(zone)/runbooks/dns-cutover", text: "wait out the TTLs; if a resolver stays old, flush it or name it on the status page" }
              records:
            \(records.joined(separator: "\n"))

            http:
              - id: web-home
                name: Home page
                url: https://\(zone):\(https)/
                connect_to: "\(web):\(https)"
                ca_file: \(caFile)
                expect:
                  status: 200
                  body_contains: DirectFanz
                  headers:
                    strict-transport-security: { present: true }
                  latency_budget: 200ms
                runbook: { url: "https://wiki.\(zone)/runbooks/web", text: "fail over to the static site: make static-on" }
              - id: web-www
                name: www goes to the apex
                url: https://www.\(zone):\(https)/
                connect_to: "\(web):\(https)"
                ca_file: \(caFile)
                expect:
                  status: 301
                  redirect_to: https://\(zone):\(https)/
              - id: web-http-redirect
                name: HTTP goes to HTTPS
                url: http://\(zone):\(plain)/
                connect_to: "\(web):\(plain)"
                expect:
                  status: [301, 308]
                  redirect_to: https://\(zone):\(https)/
              - id: api-health
                name: API health
                url: https://api.\(zone):\(https)/health
                connect_to: "\(web):\(https)"
                ca_file: \(caFile)
                expect:
                  status: 200
                  json: { status: ok }
                  latency_budget: 200ms
                runbook: { url: "https://wiki.\(zone)/runbooks/api", text: "roll the API back to the last green build" }
              - id: ws-upgrade
                name: WebSocket upgrade
                mode: websocket
                url: wss://ws.\(zone):\(https)/socket
                connect_to: "\(web):\(https)"
                ca_file: \(caFile)
              - id: stream-live
                name: Live stream
                mode: hls
                live: true
                url: https://stream.\(zone):\(https)/live/index.m3u8
                connect_to: "\(web):\(https)"
                ca_file: \(caFile)
                severity: major

            tls:
              - { id: tls-apex, host: \(zone), port: \(https), address: \(web), covers: [\(zone), www.\(zone)], ca_file: \(caFile) }
              - { id: tls-api, host: api.\(zone), port: \(https), address: \(web), covers: [api.\(zone), ws.\(zone)], ca_file: \(caFile) }
              - { id: tls-stream, host: stream.\(zone), port: \(https), address: \(web), warning_days: 21, critical_days: 7, ca_file: \(caFile) }

            aws:
              region: us-east-1
              endpoint: "http://\(cloud)"
              placeholder_credentials: true
              checks:
                - { id: ecs-api, name: API service at full strength, resource: ecs-service, cluster: directfanz-demo, service: api, interval: \(scaled(5)) }

            metrics:
              - id: api-p95
                name: API p95 latency
                prometheus: { url: "http://\(cloud)", query: 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{job="api"}[5m])) by (le))' }
                unit: seconds
                fail_above: 200ms
                warn_above: 150ms
                interval: \(scaled(5))

            commands:
              - id: api-suite
                name: API suite at 95% or better
                run: [sh, api-suite.sh]
                tap: stdout
                pass_rate: 95%
                min_tests: 100
                interval: \(scaled(600, atLeast: 10))
                timeout: 10s

            alarms:
              rules:
                runbook: "https://wiki.\(zone)/runbooks/alarms"
                latency_window: \(scaled(30))
                stall_window: \(scaled(120))
                flap_window: \(scaled(60))
              sources:
                - { id: alertmanager, kind: alertmanager, url: "http://\(alertmanager)", matchers: ['service="directfanz"'], interval: \(scaled(4)), runbook: "https://wiki.\(zone)/runbooks/checkout" }

            windows:
              - { id: dns-cutover, name: DNS cutover, checks: [dns-delegation, dns-apex, dns-www, dns-api, dns-ws, dns-stream, dns-mx], from: \(now.addingTimeInterval(-60).formatted(.iso8601)), until: \(cutoverEnds) }

            roles:
              - { id: infrastructure, title: Infrastructure }
              - { id: application, title: Application }
              - { id: security, title: Security }
              - { id: business, title: Business }
              - { id: launch-director, title: Launch director }

            approvers:
            \(approverLines.joined(separator: "\n"))

            poll:
              order: [infrastructure, application, security, business]
              director: launch-director

            holds:
              - { name: Final hold, at: T-\(scaled(600)), duration: \(scaled(300)) }

            checklist:
              - { id: dns-zone, phase: DNS migration, title: New provider serves every record, owner: infrastructure, checks: [dns-apex, dns-www, dns-api, dns-ws, dns-stream, dns-mx, dns-spf, dns-caa] }
              - { id: dns-cutover, phase: DNS migration, title: Registrar points at the new nameservers, owner: infrastructure, checks: [dns-delegation] }
              - { id: certs, phase: SSL certificates, title: Every hostname gets a covering certificate, owner: security, checks: [tls-apex, tls-api, tls-stream] }
              - { id: https-only, phase: Security validation, title: HTTPS everywhere with HSTS, owner: security, checks: [web-home, web-www, web-http-redirect] }
              - { id: services, phase: Infrastructure deployment, title: "Web, API, WebSocket and stream healthy", owner: application, checks: [web-home, api-health, ws-upgrade, stream-live] }
              - { id: api-scaled, phase: Infrastructure deployment, title: API service runs every task it wants, owner: infrastructure, checks: [ecs-api] }
              - { id: api-suite-green, phase: Testing and validation, title: API suite passes at 95% or better, owner: application, checks: [api-suite] }
              - { id: api-fast, phase: Performance optimisation, title: API p95 under 200 ms, owner: application, severity: major, checks: [api-p95] }
              - { id: rollback, phase: Backup and recovery, title: Rollback rehearsed on staging, owner: infrastructure, mode: read-do }
              - { id: support-ready, phase: Launch readiness, title: Status page and support macros ready, owner: business }

            """
    }
}
