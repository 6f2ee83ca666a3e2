@testable import FlightdeckCore
import Testing

/// The smallest valid plan; each case below breaks it in one way. Lines 1 to 14.
private let base = """
    launch:
      name: Test launch
      zone: example.test
      t0: 2026-12-01T14:00Z
      timezone: UTC
    roles:
      - id: ops
    approvers:
      - name: Ada
        role: ops
        users: [ada]
    poll:
      order: [ops]
      director: ops

    """

/// The base plan with `section` appended from line 15.
private func appending(_ section: String) -> String { base + section }

/// The base plan with one piece of text replaced (on the same line, so lines stay put).
private func replacing(_ original: String, with replacement: String) -> String {
    precondition(base.contains(original), "the base plan has no `\(original)`")
    return base.replacingOccurrences(of: original, with: replacement)
}

struct MalformedPlan: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    /// The first diagnostic's `FILE:LINE:COLUMN: key.path: message`.
    let headline: String
    /// A piece of the hint, when the case has one worth checking.
    let hint: String?
    var environment: [String: String] = [:]

    var testDescription: String { name }
}

private let cases: [MalformedPlan] = [
    MalformedPlan(
        name: "YAML syntax: unclosed quote",
        yaml: replacing("name: Test launch", with: "name: \"Test launch"),
        headline: "plan.yaml:15:1: YAML syntax: found unexpected end of stream",
        hint: "a quoted value is not closed"),
    MalformedPlan(
        name: "YAML syntax: a value with a colon",
        yaml: replacing("name: Test launch", with: "name: Launch: the sequel"),
        headline: "plan.yaml:2:15: YAML syntax: mapping values are not allowed in this context",
        hint: "must be quoted"),
    MalformedPlan(
        name: "tab in the indentation",
        yaml: replacing("  zone: example.test", with: "\tzone: example.test"),
        headline: "plan.yaml:3:1: a tab in the indentation",
        hint: "spaces only"),
    MalformedPlan(
        name: "duplicate key",
        yaml: replacing("  timezone: UTC", with: "  timezone: UTC\n  zone: example.org"),
        headline: "plan.yaml:6:3: duplicate key `zone` (first at line 3)",
        hint: "keep only one"),
    MalformedPlan(
        name: "bare no where text is meant",
        yaml: appending("checklist:\n  - { id: c1, phase: no, title: Norway region, owner: ops }\n"),
        headline: "plan.yaml:16:22: checklist[0].phase: `no` is read by YAML as a boolean, not as text",
        hint: "quote it: \"no\""),
    MalformedPlan(
        name: "bare on where text is meant",
        yaml: replacing("name: Test launch", with: "name: on"),
        headline: "plan.yaml:2:9: launch.name: `on` is read by YAML as a boolean, not as text",
        hint: "quote it"),
    MalformedPlan(
        name: "unknown key with a suggestion",
        yaml: replacing("timezone: UTC", with: "timezon: UTC"),
        headline: "plan.yaml:5:3: launch: unknown key `timezon`",
        hint: "did you mean `timezone`?"),
    MalformedPlan(
        name: "unknown top-level key",
        yaml: appending("resolver:\n  - { name: a, address: 127.0.0.1 }\n"),
        headline: "plan.yaml:15:1: unknown key `resolver`",
        hint: "did you mean `resolvers`?"),
    MalformedPlan(
        name: "a mapping where a list is meant",
        yaml: appending("resolvers:\n  name: a\n  address: 127.0.0.1\n"),
        headline: "plan.yaml:16:3: resolvers: expected a list, got a mapping",
        hint: "- "),
    MalformedPlan(
        name: "text where a number is meant",
        yaml: appending("polling:\n  concurrency: many\n"),
        headline: "plan.yaml:16:16: polling.concurrency: expected a whole number from 1 to 4096, got `many`",
        hint: nil),
    MalformedPlan(
        name: "missing required key",
        yaml: replacing("  zone: example.test", with: "  # zone: example.test"),
        headline: "plan.yaml:2:3: launch: missing required key `zone`",
        hint: nil),
    MalformedPlan(
        name: "missing required section",
        yaml: base.replacingOccurrences(of: "poll:\n  order: [ops]\n  director: ops\n", with: ""),
        headline: "plan.yaml:1:1: missing required key `poll`",
        hint: nil),
    MalformedPlan(
        name: "duplicate check id",
        yaml: appending("""
            http:
              - { id: api, url: "https://api.example.test/health" }
              - { id: api, url: "https://api.example.test/ready" }

            """),
        headline: "plan.yaml:17:11: http[1].id: duplicate check id `api` (first declared at line 16)",
        hint: "its own id"),
    MalformedPlan(
        name: "checklist links a check that does not exist",
        yaml: appending("""
            http:
              - { id: api-health, url: "https://api.example.test/health" }
            checklist:
              - { id: c1, phase: Go, title: API up, owner: ops, checks: [api-helth] }

            """),
        headline: "plan.yaml:18:62: checklist[0].checks[0]: no check has the id `api-helth`",
        hint: "did you mean `api-health`?"),
    MalformedPlan(
        name: "approver with an undeclared role",
        yaml: replacing("    role: ops", with: "    role: opps"),
        headline: "plan.yaml:10:11: approvers[0].role: no role has the id `opps`",
        hint: "did you mean `ops`?"),
    MalformedPlan(
        name: "poll order names an unknown role",
        yaml: replacing("order: [ops]", with: "order: [ops, security]"),
        headline: "plan.yaml:13:16: poll.order[1]: no role has the id `security`",
        hint: "declared: ops"),
    MalformedPlan(
        name: "a role nobody can vote for",
        yaml: replacing("  - id: ops\n", with: "  - id: ops\n  - id: qa\n").replacingOccurrences(of: "order: [ops]", with: "order: [ops, qa]"),
        headline: "plan.yaml:14:16: poll.order[1]: no approver holds the role `qa`",
        hint: "add an approver with role: qa"),
    MalformedPlan(
        name: "invalid URL",
        yaml: appending("http:\n  - { id: api, url: \"https://\" }\n"),
        headline: "plan.yaml:16:21: http[0].url: `https://` is not a URL",
        hint: "https://api.example.com/health"),
    MalformedPlan(
        name: "unsupported URL scheme",
        yaml: appending("http:\n  - { id: api, url: \"ftp://files.example.test/\" }\n"),
        headline: "plan.yaml:16:21: http[0].url: `ftp` URLs are not supported here",
        hint: "use http or https"),
    MalformedPlan(
        name: "invalid address",
        yaml: appending("resolvers:\n  - { name: a, address: 127.0.0.256 }\n"),
        headline: "plan.yaml:16:25: resolvers[0].address: `127.0.0.256` is not an IP address",
        hint: "192.0.2.10:8443"),
    MalformedPlan(
        name: "invalid port",
        yaml: appending("resolvers:\n  - { name: a, address: \"127.0.0.1:70000\" }\n"),
        headline: "plan.yaml:16:25: resolvers[0].address: `70000` is not a port",
        hint: "1 to 65535"),
    MalformedPlan(
        name: "invalid TLS port",
        yaml: appending("tls:\n  - { id: t, host: example.test, port: 0 }\n"),
        headline: "plan.yaml:16:40: tls[0].port: expected a whole number from 1 to 65535, got `0`",
        hint: nil),
    MalformedPlan(
        name: "duration without a unit",
        yaml: appending("polling:\n  interval: 10\n"),
        headline: "plan.yaml:16:13: polling.interval: `10` has no unit",
        hint: "10s"),
    MalformedPlan(
        name: "duration in words",
        yaml: appending("polling:\n  timeout: 10 seconds\n"),
        headline: "plan.yaml:16:12: polling.timeout: `10 seconds` is not a duration",
        hint: "250ms, 10s, 5m, 2h, 14d"),
    MalformedPlan(
        name: "unknown record type",
        yaml: appending("dns:\n  records:\n    - { id: r, name: www, type: AAA, expected: [\"2001:db8::1\"] }\n"),
        headline: "plan.yaml:17:33: dns.records[0].type: `AAA` is not a DNS record type",
        hint: "A, AAAA, CNAME"),
    MalformedPlan(
        name: "record value that does not fit its type",
        yaml: appending("dns:\n  records:\n    - { id: r, name: www, type: A, expected: [\"2001:db8::1\"] }\n"),
        headline: "plan.yaml:17:47: dns.records[0].expected[0]: `2001:db8::1` is not an IPv4 address",
        hint: "192.0.2.10"),
    MalformedPlan(
        name: "record outside the zone",
        yaml: appending("dns:\n  records:\n    - { id: r, name: www.example.org., type: A, expected: [192.0.2.1] }\n"),
        headline: "plan.yaml:17:22: dns.records[0].name: `www.example.org.` is outside the zone example.test",
        hint: nil),
    MalformedPlan(
        name: "a relative record name that looks like a full one",
        yaml: appending("dns:\n  records:\n    - { id: r, name: www.other.test, type: A, expected: [192.0.2.1] }\n"),
        headline: "plan.yaml:17:22: dns.records[0].name: `www.other.test` looks like a full name, but names without a final dot are relative to the zone: it would mean www.other.test.example.test",
        hint: "end it with a dot (`www.other.test.`)"),
    MalformedPlan(
        name: "a TXT record of two strings written as two YAML items without a comma",
        yaml: appending("dns:\n  records:\n    - { id: r, name: \"@\", type: TXT, expected: [\"v=DKIM1; \" \"p=abc\"] }\n"),
        headline: "plan.yaml:17:61: YAML syntax: did not find expected ',' or ']'",
        hint: "a TXT record of several strings (DKIM) is one value"),
    MalformedPlan(
        name: "a section's key that lost its indentation says where it belongs",
        yaml: appending("polling:\n  interval: 5s\ntimeout: 2s\n"),
        headline: "plan.yaml:17:1: unknown key `timeout`",
        hint: "`timeout` is a key of `polling`: indent it under `polling:`"),
    MalformedPlan(
        name: "the declared ids a hint lists say when there are more",
        yaml: appending("http:\n" + (1...14).map { "  - { id: check-\($0), url: \"http://127.0.0.1:9/\" }\n" }.joined()
                        + "checklist: [{ id: c, phase: P, title: T, owner: ops, checks: [zzzzzzzz] }]\n"),
        headline: "plan.yaml:30:63: checklist[0].checks[0]: no check has the id `zzzzzzzz`",
        hint: "declared: check-1, check-10, check-11, check-12, check-13, check-14, check-2, check-3, check-4, check-5, check-6, check-7 and 2 more"),
    MalformedPlan(
        name: "a bracket never closed is reported where it opens, not at the end of the file",
        yaml: appending("http:\n  - { id: a, url: \"http://127.0.0.1:9/\"\n  - { id: b, url: \"http://127.0.0.1:9/b\" }\n"),
        headline: "plan.yaml:16:5: YAML syntax: this { is never closed",
        hint: "close it with } on this line, or put a comma between its items"),
    MalformedPlan(
        name: "an unknown convergence rule",
        yaml: appending("dns:\n  converged_when: most\n"),
        headline: "plan.yaml:16:19: dns.converged_when: `most` is not a convergence rule",
        hint: "all answering"),
    MalformedPlan(
        name: "a WebSocket check on an http:// URL",
        yaml: appending("http:\n  - { id: w, mode: websocket, url: \"https://ws.example.test/socket\" }\n"),
        headline: "plan.yaml:16:36: http[0].url: a WebSocket check's URL is ws:// or wss://, not https://",
        hint: "wss://"),
    MalformedPlan(
        name: "a TLS port given twice",
        yaml: appending("tls:\n  - { id: t, host: example.test, address: \"127.0.0.1:8443\", port: 443 }\n"),
        headline: "plan.yaml:16:67: tls[0].port: port is given twice: `port` and the port in `address` (8443)",
        hint: "give it once"),
    MalformedPlan(
        name: "unknown time zone",
        yaml: replacing("timezone: UTC", with: "timezone: Europe/Londn"),
        headline: "plan.yaml:5:13: launch.timezone: `Europe/Londn` is not a time zone",
        hint: "did you mean `Europe/London`?"),
    MalformedPlan(
        name: "T-0 that is not a time",
        yaml: replacing("t0: 2026-12-01T14:00Z", with: "t0: next tuesday"),
        headline: "plan.yaml:4:7: launch.t0: `next tuesday` is not a date and time",
        hint: "2026-12-01T16:00"),
    MalformedPlan(
        name: "T-0 inside a daylight-saving gap",
        yaml: replacing("t0: 2026-12-01T14:00Z", with: "t0: 2026-03-29T01:30").replacingOccurrences(of: "timezone: UTC", with: "timezone: Europe/London"),
        headline: "plan.yaml:4:7: launch.t0: `2026-03-29T01:30` does not exist in Europe/London: the clocks skip it (daylight saving)",
        hint: nil),
    MalformedPlan(
        name: "T-0 at a wall time the clocks pass twice",
        yaml: replacing("t0: 2026-12-01T14:00Z", with: "t0: 2026-11-01T01:30").replacingOccurrences(of: "timezone: UTC", with: "timezone: America/New_York"),
        headline: "plan.yaml:4:7: launch.t0: `2026-11-01T01:30` happens twice in America/New_York: the clocks go back (daylight saving ends)",
        hint: "add the offset: 2026-11-01T01:30-04:00 (the first) or 2026-11-01T01:30-05:00 (the second)"),
    MalformedPlan(
        name: "secret whose environment variable is unset",
        yaml: appending("http:\n  - id: api\n    url: \"https://api.example.test/\"\n    headers: { Authorization: \"Bearer ${API_TOKEN}\" }\n"),
        headline: "plan.yaml:18:31: http[0].headers.Authorization: the environment variable API_TOKEN is not set",
        hint: "export API_TOKEN"),
    MalformedPlan(
        name: "secret written literally",
        yaml: appending("http:\n  - id: api\n    url: \"https://api.example.test/\"\n    headers: { X-Api-Key: sk_live_123 }\n"),
        headline: "plan.yaml:18:27: http[0].headers.X-Api-Key: the header `X-Api-Key` carries a credential written literally in the plan",
        hint: "${ENV_NAME}"),
    MalformedPlan(
        name: "malformed secret reference",
        yaml: appending("http:\n  - id: api\n    url: \"https://api.example.test/\"\n    body: \"token=${API TOKEN}\"\n"),
        headline: "plan.yaml:18:11: http[0].body: `${API TOKEN}` is not an environment variable name",
        hint: "${API_TOKEN}"),
    MalformedPlan(
        name: "wildcard as part of a label",
        yaml: appending("tls:\n  - { id: t, host: example.test, covers: [\"api*.example.test\"] }\n"),
        headline: "plan.yaml:16:43: tls[0].covers[0]: `api*.example.test`: a wildcard must be a whole label (`*.example.com`), not part of one",
        hint: nil),
    MalformedPlan(
        name: "critical days above warning days",
        yaml: appending("tls:\n  - { id: t, host: example.test, warning_days: 7, critical_days: 14 }\n"),
        headline: "plan.yaml:16:66: tls[0].critical_days: critical_days (14) is more than warning_days (7)",
        hint: "warning_days must be the larger"),
    MalformedPlan(
        name: "invalid status",
        yaml: appending("http:\n  - { id: api, url: \"https://api.example.test/\", expect: { status: [200, 2000] } }\n"),
        headline: "plan.yaml:16:74: http[0].expect.status[1]: `2000` is not an HTTP status",
        hint: "200-299"),
    MalformedPlan(
        name: "enumeration value with a typo",
        yaml: appending("resolvers:\n  - { name: a, address: 127.0.0.1, transport: udpp }\n"),
        headline: "plan.yaml:16:47: resolvers[0].transport: `udpp` is not a DNS transport (did you mean `udp`?)",
        hint: "udp, tcp, tls, https"),
    MalformedPlan(
        name: "weak PIN hash",
        yaml: replacing("    users: [ada]", with: "    pin_hash: \"pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==\""),
        headline: "plan.yaml:11:15: approvers[0].pin_hash: PBKDF2 with 1000 iterations is too weak for a 4 to 8 digit PIN",
        hint: "100000"),
    MalformedPlan(
        name: "one login for two approvers",
        yaml: replacing("    users: [ada]", with: "    users: [ada]\n  - { name: Bob, role: ops, users: [ada] }"),
        headline: "plan.yaml:12:37: approvers[1].users[0]: the login `ada` already belongs to approver `Ada`",
        hint: "one person, one vote"),
    MalformedPlan(
        name: "hold time not before T-0",
        yaml: appending("holds:\n  - { name: Final hold, at: 5m, duration: 5m }\n"),
        headline: "plan.yaml:16:29: holds[0].at: `5m` is not a time before T-0",
        hint: "T-30m"),
    MalformedPlan(
        name: "a check id Flightdeck reserves",
        yaml: appending("http:\n  - { id: dns-delegation, url: \"https://api.example.test/\" }\n"),
        headline: "plan.yaml:16:11: http[0].id: `dns-delegation` is the id of a check Flightdeck adds itself",
        hint: "another id"),
    MalformedPlan(
        name: "empty file",
        yaml: "",
        headline: "plan.yaml:1:1: the file is empty",
        hint: nil),
    MalformedPlan(
        name: "not a mapping at the top",
        yaml: "- launch\n- roles\n",
        headline: "plan.yaml:1:1: expected a mapping of keys to values, got a list",
        hint: nil),
    MalformedPlan(
        name: "control character",
        yaml: replacing("name: Test launch", with: "name: Test\u{7}launch"),
        headline: "plan.yaml:2:13: the file cannot be read as text: control characters are not allowed",
        hint: "UTF-8"),
    MalformedPlan(
        name: "aliases that expand without end",
        yaml: appending("""
            x1: &a1 [a, a, a, a, a, a, a, a, a, a]
            x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
            x3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
            x4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
            x5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
            x6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]

            """),
        headline: "plan.yaml:1:1: the file expands to more than 200000 values",
        hint: "aliases"),
    MalformedPlan(
        name: "notification: an unknown kind",
        yaml: appending("notifications:\n  - { id: pager, kind: opsgenie, url: \"https://events.example.test/\" }\n"),
        headline: "plan.yaml:16:24: notifications[0].kind: `opsgenie` is not a notification kind",
        hint: "email, pagerduty, slack, sns, webhook"),
    MalformedPlan(
        name: "notification: not an SNS topic ARN",
        yaml: appending("notifications:\n  - { id: sns, kind: sns, topic_arn: \"arn:aws:sqs:us-east-1:123456789012:q\", region: us-east-1 }\n"),
        headline: "plan.yaml:16:38: notifications[0].topic_arn: `arn:aws:sqs:us-east-1:123456789012:q` is not an SNS topic ARN",
        hint: "arn:aws:sns:REGION:ACCOUNT:TOPIC"),
    MalformedPlan(
        name: "notification: a recipient that is not an address",
        yaml: appending("notifications:\n  - { id: mail, kind: email, url: \"smtp://127.0.0.1:25\", from: a@example.test, to: [oncall] }\n"),
        headline: "plan.yaml:16:85: notifications[0].to[0]: `oncall` is not an email address",
        hint: nil),
    MalformedPlan(
        name: "notification: something that is not news",
        yaml: appending("notifications:\n  - { id: hook, kind: webhook, url: \"http://127.0.0.1:9/\", on: [lunch] }\n"),
        headline: "plan.yaml:16:65: notifications[0].on[0]: `lunch` is not something to notify on",
        hint: "critical-alarm, no-go, hold, go, scrub"),
    MalformedPlan(
        name: "alarm rule: a severity that does not exist",
        yaml: appending("alarms:\n  rules: { severity: apocalyptic }\n"),
        headline: "plan.yaml:16:22: alarms.rules.severity: `apocalyptic` is not an alarm severity",
        hint: "critical, warning or info"),
    MalformedPlan(
        name: "a command's run written as a line without shell",
        yaml: appending("commands:\n  - id: suite\n    run: pytest -q tests\n"),
        headline: "plan.yaml:17:10: commands[0].run: `run` is a list of the program and its arguments, unless `shell: true`",
        hint: "write run: [pytest, -q, tests]"),
    MalformedPlan(
        name: "a command's pass_rate without a report to count",
        yaml: appending("commands:\n  - id: suite\n    run: [pytest]\n    pass_rate: 95%\n"),
        headline: "plan.yaml:18:16: commands[0].pass_rate: `pass_rate` needs a test report to count",
        hint: "junit: report.xml"),
    MalformedPlan(
        name: "a pass rate over 100%",
        yaml: appending("commands:\n  - id: suite\n    run: [pytest]\n    junit: r.xml\n    pass_rate: 105%\n"),
        headline: "plan.yaml:19:16: commands[0].pass_rate: `105%` is not a share",
        hint: "from 0% to 100%"),
    MalformedPlan(
        name: "a command's timeout longer than its interval",
        yaml: appending("commands:\n  - id: suite\n    run: [pytest]\n    interval: 5m\n    timeout: 10m\n"),
        headline: "plan.yaml:19:14: commands[0].timeout: the timeout (10m) is longer than the interval (5m)",
        hint: "interval longer than its timeout"),
    MalformedPlan(
        name: "exit codes of which none passes",
        yaml: appending("commands:\n  - id: drift\n    run: [terraform, plan, -detailed-exitcode]\n    exit_codes: {2: fail, 1: unknown}\n"),
        headline: "plan.yaml:18:17: commands[0].exit_codes: no exit code passes",
        hint: "0: pass"),
    MalformedPlan(
        name: "an exit code mapped to a status that does not exist",
        yaml: appending("commands:\n  - id: drift\n    run: [terraform]\n    exit_codes: {0: pass, 2: drift}\n"),
        headline: "plan.yaml:18:30: commands[0].exit_codes.2: `drift` is not a status",
        hint: "pass, warn, fail, unknown"),
    MalformedPlan(
        name: "a misspelt command key",
        yaml: appending("commands:\n  - id: suite\n    run: [pytest]\n    junt: r.xml\n"),
        headline: "plan.yaml:18:5: commands[0]: unknown key `junt`",
        hint: "did you mean `junit`?"),
    MalformedPlan(
        name: "a secret in a command's arguments",
        yaml: appending("commands:\n  - id: suite\n    run: [curl, -H, \"Authorization: ${TOKEN}\"]\n"),
        headline: "plan.yaml:17:21: commands[0].run[2]: `${...}` is not expanded here",
        hint: "secrets are expanded only"),
    MalformedPlan(
        name: "a metric threshold in a unit that does not fit",
        yaml: appending("metrics:\n  - id: p95\n    prometheus: { url: \"http://127.0.0.1:9090\", query: up }\n    unit: seconds\n    fail_above: 85%\n"),
        headline: "plan.yaml:19:17: metrics[0].fail_above: a percentage does not fit a metric in seconds",
        hint: "the metric's unit"),
    MalformedPlan(
        name: "a metric's warning line beyond its failure line",
        yaml: appending("metrics:\n  - id: hit\n    prometheus: { url: \"http://127.0.0.1:9090\", query: up }\n    unit: percent\n    fail_below: 85%\n    warn_below: 80%\n"),
        headline: "plan.yaml:20:17: metrics[0].warn_below: warn_below (80%) must come before fail_below (85%)",
        hint: "make warn_below the larger"),
    MalformedPlan(
        name: "a CloudWatch metric without a region",
        yaml: appending("metrics:\n  - id: hit\n    cloudwatch: { namespace: AWS/ElastiCache, metric: CacheHitRate }\n    unit: percent\n    fail_below: 85%\n"),
        headline: "plan.yaml:17:17: metrics[0].cloudwatch: no AWS region for this metric",
        hint: "aws: { region: ... }"),
    MalformedPlan(
        name: "a misspelt CloudWatch statistic",
        yaml: appending("aws: { region: us-east-1 }\nmetrics:\n  - id: hit\n    cloudwatch: { namespace: AWS/RDS, metric: ReadLatency, statistic: Avergae }\n    unit: seconds\n    fail_above: 50ms\n"),
        headline: "plan.yaml:18:71: metrics[0].cloudwatch.statistic: `Avergae` is not a CloudWatch statistic",
        hint: "did you mean `Average`?"),
    MalformedPlan(
        name: "a metric without a threshold",
        yaml: appending("metrics:\n  - id: hit\n    prometheus: { url: \"http://127.0.0.1:9090\", query: up }\n    unit: count\n"),
        headline: "plan.yaml:16:5: metrics[0]: a metric needs its threshold",
        hint: "fail_above: 200ms"),
    MalformedPlan(
        name: "a misspelt AWS resource kind",
        yaml: appending("aws:\n  region: us-east-1\n  checks:\n    - { id: db, resource: rds-instanse, instance: main }\n"),
        headline: "plan.yaml:18:27: aws.checks[0].resource: `rds-instanse` is not a resource kind Flightdeck checks (did you mean `rds-instance`?)",
        hint: "ecs-service"),
    MalformedPlan(
        name: "a field of another resource kind",
        yaml: appending("aws:\n  region: us-east-1\n  checks:\n    - { id: db, resource: rds-instance, instance: main, backup_retention_day: 30 }\n"),
        headline: "plan.yaml:18:57: aws.checks[0]: unknown key `backup_retention_day`",
        hint: "did you mean `backup_retention_days`?"),
    MalformedPlan(
        name: "an AWS check without a region",
        yaml: appending("aws:\n  checks:\n    - { id: db, resource: rds-instance, instance: main }\n"),
        headline: "plan.yaml:17:7: aws.checks[0]: no AWS region for this check",
        hint: "region: us-east-1"),
]

@Suite("Malformed plans")
struct MalformedPlanTests {
    @Test("each class of mistake is reported precisely", arguments: cases)
    func reportsTheMistake(_ malformed: MalformedPlan) throws {
        let result = PlanLoader(environment: malformed.environment).load(text: malformed.yaml, file: "plan.yaml")
        guard case .failure(let error) = result else {
            Issue.record("the plan loaded, but should have been refused")
            return
        }
        let first = try #require(error.diagnostics.first)
        #expect(first.headline == malformed.headline)
        if let hint = malformed.hint {
            #expect(first.hint?.contains(hint) == true, "hint was: \(first.hint ?? "none")")
        }
    }

    @Test("the base plan the cases break is itself valid")
    func baseIsValid() throws {
        let plan = try PlanLoader(environment: [:]).load(text: base, file: "plan.yaml").get()
        #expect(plan.name == "Test launch")
        #expect(plan.poll.order == ["ops"])
    }

    @Test("every problem is reported in one run, in file order")
    func reportsEveryProblem() throws {
        let yaml = replacing("timezone: UTC", with: "timezone: Mars/Olympus")
            .replacingOccurrences(of: "    role: ops", with: "    role: nobody")
            + "polling:\n  interval: soon\n  concurrency: 0\n"
        guard case .failure(let error) = PlanLoader(environment: [:]).load(text: yaml, file: "plan.yaml") else {
            Issue.record("the plan loaded")
            return
        }
        #expect(error.diagnostics.map(\.headline) == [
            "plan.yaml:5:13: launch.timezone: `Mars/Olympus` is not a time zone",
            "plan.yaml:10:11: approvers[0].role: no role has the id `nobody`",
            // True, and worth saying: with Ada's role mistyped, nobody can vote for ops.
            "plan.yaml:13:11: poll.order[0]: no approver holds the role `ops`",
            "plan.yaml:14:13: poll.director: no approver holds the role `ops`",
            "plan.yaml:16:13: polling.interval: `soon` is not a duration",
            "plan.yaml:17:16: polling.concurrency: expected a whole number from 1 to 4096, got `0`",
        ])
    }

    @Test("a secret's value never appears in a diagnostic")
    func secretsStayOutOfDiagnostics() throws {
        let yaml = appending("http:\n  - id: api\n    url: \"ftp://u:${PASS}@files.example.test/\"\n")
        guard case .failure(let error) = PlanLoader(environment: ["PASS": "hunter2"]).load(text: yaml, file: "plan.yaml") else {
            Issue.record("the plan loaded")
            return
        }
        #expect(error.description.contains("`ftp` URLs are not supported"))
        #expect(!error.description.contains("hunter2"))
    }
}

/// Inputs built to cost: each must be judged quickly, whatever is in it.
@Suite("Plans that cost too much")
struct CostlyPlanTests {
    static func judge(_ text: String) -> (ContinuousClock.Duration, [PlanDiagnostic]) {
        let clock = ContinuousClock()
        var diagnostics: [PlanDiagnostic] = []
        let elapsed = clock.measure {
            if case .failure(let error) = PlanLoader(environment: [:]).load(text: text, file: "costly.yaml") { diagnostics = error.diagnostics }
        }
        return (elapsed, diagnostics)
    }

    @Test("a 1 MB value is refused at once, by its length", arguments: [100_000, 1_000_000])
    func longValue(length: Int) {
        let (elapsed, diagnostics) = Self.judge("launch: { name: x, zone: example.test, t0: 2030-01-01T00:00Z, timezone: \(String(repeating: "A", count: length)) }")
        #expect(diagnostics.first?.message == "a value of \(length) characters: no value in a plan is longer than 16384")
        #expect(elapsed < .seconds(1), "\(elapsed)")
    }

    @Test("8,000 checklist items each naming an unknown check among 8,000 checks: the search is bounded, the cost linear")
    func manyUnknownReferences() {
        var text = "launch: { name: x, zone: example.test, t0: 2030-01-01T00:00Z, timezone: UTC }\nhttp:\n"
        for index in 0..<8000 { text += "  - { id: check-\(index), url: \"http://127.0.0.1:9/\" }\n" }
        text += "checklist:\n"
        for index in 0..<8000 { text += "  - { id: item-\(index), phase: p, title: t, owner: ops, checks: [chekc-\(index)] }\n" }
        text += "roles: [{ id: ops }]\napprovers: [{ name: A, role: ops, users: [a] }]\npoll: { order: [ops], director: ops }\n"
        #expect(text.utf8.count < 4 << 20)
        let (elapsed, diagnostics) = Self.judge(text)
        #expect(diagnostics.count == 8000)
        #expect(diagnostics.first?.hint == "did you mean `check-0`?")
        // Linear work takes about 4 s in a debug build (under 1 s released); the unbounded
        // search took 34 s released.
        #expect(elapsed < .seconds(12), "\(elapsed)")
    }
}

@Suite("YAML documents")
struct YAMLDocumentTests {
    @Test("a document and its nodes are freed once read (found by the fuzzer: every plan load leaked its whole tree)")
    func freedAfterReading() {
        weak var weakDocument: YAMLDocument?
        do {
            let document = YAMLDocument(file: "t.yaml", text: "launch: { name: x, zone: example.test }\nlist: [a, b, c]\n")
            weakDocument = document
            #expect(document.root?.mapping(keys: ["launch", "list"]) != nil)
        }
        #expect(weakDocument == nil, "the document outlived its last use: a reference cycle")
    }
}
