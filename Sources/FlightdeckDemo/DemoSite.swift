import FlightdeckCore
import Foundation

/// What the launch's web servers and its alerting system answer, at each moment of the
/// script.
struct DemoSite: Sendable {
    let zone: String
    let clock: DemoClock

    /// The HTTPS front: the apex, www, api, ws and stream, told apart by Host.
    func https(_ request: DemoRequest) -> DemoResponse {
        let now = clock.world
        switch (request.host, request.path) {
        case (zone, "/"):
            return DemoResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"),
                                                       ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")],
                                body: "<!doctype html><title>DirectFanz</title><h1>DirectFanz is live</h1>\n",
                                delay: DemoScript.homeDelay(at: now))
        case ("www.\(zone)", _):
            return DemoResponse(status: 301, headers: [("Location", "https://\(zone)\(request.port.map { ":\($0)" } ?? "")\(request.path)")])
        case ("api.\(zone)", "/health"):
            return DemoScript.apiFails(at: now)
                ? DemoResponse(status: 503, headers: [("Content-Type", "application/json")],
                               body: #"{"status":"degraded","checks":{"database":"timeout"}}"#)
                : DemoResponse(status: 200, headers: [("Content-Type", "application/json")],
                               body: #"{"status":"ok","version":"2026.11.28","checks":{"database":"ok"}}"#)
        case ("ws.\(zone)", "/socket"):
            guard request.headers["upgrade"]?.lowercased() == "websocket", let key = request.headers["sec-websocket-key"] else {
                return DemoResponse(status: 426, headers: [("Upgrade", "websocket")])
            }
            return DemoResponse(status: 101, headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                                       ("Sec-WebSocket-Accept", webSocketAccept(key: key))])
        case ("stream.\(zone)", "/live/index.m3u8"):
            return DemoResponse(status: 200, headers: [("Content-Type", "application/vnd.apple.mpegurl")], body: """
                #EXTM3U
                #EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720
                720p/index.m3u8

                """)
        case ("stream.\(zone)", "/live/720p/index.m3u8"):
            let sequence = DemoScript.mediaSequence(at: now)
            let segments = (sequence..<sequence + 5).map { "#EXTINF:2.000,\nsegment\($0).ts\n" }.joined()
            return DemoResponse(status: 200, headers: [("Content-Type", "application/vnd.apple.mpegurl")],
                                body: "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:\(sequence)\n\(segments)")
        default:
            return DemoResponse(status: 404, body: "not found\n")
        }
    }

    /// Port 80's only answer: go to HTTPS.
    func plain(_ request: DemoRequest, httpsPort: UInt16) -> DemoResponse {
        DemoResponse(status: 301, headers: [("Location", "https://\(request.host):\(httpsPort)\(request.path)")])
    }

    /// The AWS the launch runs on, as far as its checks ask (ECS's JSON API, told apart by
    /// X-Amz-Target), and its Prometheus (an instant query's answer): a simulation of their
    /// answers, in their shapes.
    func cloud(_ request: DemoRequest) -> DemoResponse {
        let now = clock.world
        func json(_ object: Any) -> DemoResponse {
            var response = DemoResponse(status: 200, headers: [("Content-Type", "application/json")])
            response.body = Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8))
            return response
        }
        if request.path.hasPrefix("/api/v1/query") {
            return json(["status": "success", "data": ["resultType": "vector", "result": [
                ["metric": ["job": "api"], "value": [Date().timeIntervalSince1970, String(DemoScript.apiP95(at: now))]],
            ]]])
        }
        switch request.headers["x-amz-target"] ?? "" {
        case "AmazonEC2ContainerServiceV20141113.DescribeServices":
            let running = DemoScript.apiTasksRunning(at: now)
            return json(["services": [["serviceName": "api", "status": "ACTIVE", "desiredCount": 4, "runningCount": running, "pendingCount": 4 - running,
                                       "deployments": [["status": "PRIMARY", "rolloutState": running == 4 ? "COMPLETED" : "IN_PROGRESS",
                                                        "desiredCount": 4, "runningCount": running]]]], "failures": [Any]()])
        case "AmazonEC2ContainerServiceV20141113.ListTasks":
            return json(["taskArns": [String]()])
        default:
            return DemoResponse(status: 400, headers: [("Content-Type", "application/x-amz-json-1.1")],
                                body: #"{"__type":"UnknownOperationException","message":"the demo's AWS answers ECS only"}"#)
        }
    }

    /// Alertmanager's API v2 alert list, holding the checkout alert while it fires.
    func alertmanager(_ request: DemoRequest) -> DemoResponse {
        guard request.path.hasPrefix("/api/v2/alerts") else { return DemoResponse(status: 404) }
        var alerts: [[String: Any]] = []
        let now = clock.world
        if DemoScript.checkoutAlertFiring(at: now) {
            let started = Date() - clock.real(now - DemoScript.checkoutAlert.lowerBound).timeInterval
            alerts.append([
                "labels": ["alertname": "CheckoutErrorRate", "service": "directfanz", "severity": "critical", "check": "web-home"],
                "annotations": ["summary": "checkout 5xx rate 4.2% for 5m (threshold 2%)"],
                "startsAt": started.formatted(.iso8601), "endsAt": Date().addingTimeInterval(300).formatted(.iso8601),
                "updatedAt": Date().formatted(.iso8601), "fingerprint": "8c1f2e4a9b7d3c60",
                "status": ["state": "active", "silencedBy": [String](), "inhibitedBy": [String]()],
                "receivers": [["name": "launch-war-room"]],
            ])
        }
        let body = (try? JSONSerialization.data(withJSONObject: alerts)) ?? Data("[]".utf8)
        var response = DemoResponse(status: 200, headers: [("Content-Type", "application/json")])
        response.body = Array(body)
        return response
    }
}
