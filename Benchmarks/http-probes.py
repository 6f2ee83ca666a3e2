#!/usr/bin/env python3
"""HTTP probe benchmark: Flightdeck beside blackbox_exporter and curl --parallel.

All three probe the same 200 loopback URLs served by one nginx, a new connection (and a
full TLS handshake) per probe, 32 in flight: plain HTTP; HTTPS trusting the benchmark's CA
file; and HTTPS trusting the system's store, as a check without `ca_file` does (Debian's
bundle with the benchmark's CA added, named by SSL_CERT_FILE, and by CURL_CA_BUNDLE for
curl, which reads that first). For each it prints probes per second, CPU seconds per 1,000
probes, peak RSS, and the CPU ratio to Flightdeck.

    python3 Benchmarks/http-probes.py [--rounds-http 10] [--rounds-https 5] [--concurrency 32] [--only https]

It builds flightdeck-bench in release mode first. Needs nginx, openssl, curl and
prometheus-blackbox-exporter (scripts/install-deps --bench installs them).
"""
import argparse
import json
import os
import resource
import subprocess

from benchlib import (Blackbox, build_bench, child_rusage_delta, median_run, nginx_on_loopback, print_table, require,
                      run_measured)

URL_COUNT = 200


SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def bench_flightdeck(binary, urls_file, rounds, concurrency, ca, environment):
    command = [binary, "http", urls_file, str(rounds), str(concurrency)] + ([ca] if ca else [])
    stdout, stderr, _ = run_measured(command, environment)
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["failures"]:
        print(f"  warning: flightdeck saw {result['failures']} failures: {stderr.strip()}")
    return result["probes"], result["seconds"], result["cpu_seconds"], result["peak_rss_kib"]


def bench_curl(urls, rounds, concurrency, ca, environment, directory):
    config = os.path.join(directory, "curl.config")
    with open(config, "w") as f:
        for _ in range(rounds):
            for url in urls:
                f.write(f'url = "{url}"\noutput = "/dev/null"\n')
    command = ["curl", "--parallel", "--parallel-max", str(concurrency), "--no-sessionid", "--no-progress-meter", "--fail",
               "-H", "Connection: close", "-K", config] + (["--cacert", ca] if ca else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, _, wall = run_measured(command, environment)
    cpu, _ = child_rusage_delta(before)
    # RUSAGE_CHILDREN's maxrss is the largest child so far; run curl alone to read its own.
    return rounds * len(urls), wall, cpu, peak_rss_of(command, environment)


def peak_rss_of(command, environment):
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True,
                            env={**os.environ, **environment})
    return int(result.stderr.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds-http", type=int, default=10)
    parser.add_argument("--rounds-https", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per tool; the median is shown")
    parser.add_argument("--only", choices=["http", "https", "https-system"], help="run this scenario alone")
    arguments = parser.parse_args()

    require("nginx", "openssl", "curl", "prometheus-blackbox-exporter", "/usr/bin/time")
    binary = build_bench()
    with nginx_on_loopback("flightdeck-bench-") as (directory, http_port, https_port, ca, _):
        system = os.path.join(directory, "system-and-bench.pem")
        with open(system, "w") as f:
            f.write(open(SYSTEM_BUNDLE).read() + open(ca).read())
        scenarios = [
            # name, scheme, port, rounds, CA file given, environment, CPU goal against curl
            ("http", "http", http_port, arguments.rounds_http, None, {}, 1.5),
            ("https", "https", https_port, arguments.rounds_https, ca, {}, 1.0),
            ("https-system", "https", https_port, arguments.rounds_https, None,
             {"SSL_CERT_FILE": system, "CURL_CA_BUNDLE": system}, 1.0),
        ]
        for name, scheme, port, rounds, cafile, environment, limit in scenarios:
            if arguments.only and name != arguments.only:
                continue
            urls = [f"{scheme}://127.0.0.1:{port}/p/{i}" for i in range(URL_COUNT)]
            urls_file = os.path.join(directory, f"{scheme}.urls")
            with open(urls_file, "w") as f:
                f.write("\n".join(urls))
            trusted = cafile or environment.get("SSL_CERT_FILE")
            tls_config = f"\n      tls_config:\n        ca_file: {trusted}" if trusted else ""
            blackbox = Blackbox(urls, arguments.concurrency, directory, f"{scheme}_2xx",
                                f"    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4{tls_config}\n")
            runs = {"flightdeck": [], "blackbox_exporter": [], "curl --parallel": []}
            try:
                # Interleaved repeats: the machine's other load falls on every tool alike.
                for _ in range(arguments.repeats):
                    runs["flightdeck"].append(bench_flightdeck(binary, urls_file, rounds, arguments.concurrency, cafile, environment))
                    runs["blackbox_exporter"].append(blackbox.bench(rounds))
                    runs["curl --parallel"].append(bench_curl(urls, rounds, arguments.concurrency, cafile, environment, directory))
            finally:
                blackbox.stop()
            flightdeck, blackbox_row, curl = (median_run(runs[tool]) for tool in runs)
            rows = [("flightdeck", *flightdeck), ("blackbox_exporter", *blackbox_row), ("curl --parallel", *curl)]
            per = {tool: cpu / probes * 1000 for tool, probes, _, cpu, _ in rows}
            rate = {tool: probes / seconds for tool, probes, seconds, _, _ in rows}
            targets = [
                f"target: CPU within {limit}x of curl --parallel: {per['flightdeck'] / per['curl --parallel']:.2f}x",
                f"target: at least blackbox_exporter's probes/s: {rate['flightdeck'] / rate['blackbox_exporter']:.2f}x",
            ]
            trust = {"https": ", trusting the CA file", "https-system": ", trusting the system store"}.get(name, "")
            print_table(f"{scheme.upper()}{trust}: {URL_COUNT} URLs x {rounds} rounds, {arguments.concurrency} in flight, "
                        f"a new connection per probe; median of {arguments.repeats} interleaved runs", rows, targets)


if __name__ == "__main__":
    main()
