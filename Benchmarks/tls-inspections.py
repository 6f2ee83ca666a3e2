#!/usr/bin/env python3
"""TLS benchmark: Flightdeck's TLS inspection beside blackbox_exporter's TLS probe.

Both make a full TLS handshake to the same nginx on loopback each time, 32 in flight:
Flightdeck also reads the whole chain, verifies it and checks host name coverage;
blackbox_exporter (tcp prober with tls: true) verifies the chain. Interleaved three times;
the median run of each is shown with inspections per second, CPU seconds per 1,000 and the
ratio. nginx's own handshake cost is shown for scale.

    python3 Benchmarks/tls-inspections.py [--count 3000] [--concurrency 32] [--repeats 3]
"""
import argparse
import json
import os
import subprocess

from benchlib import Blackbox, build_bench, median_run, nginx_on_loopback, print_table, proc_cpu_seconds, require


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    require("nginx", "openssl", "curl", "prometheus-blackbox-exporter")
    binary = build_bench()
    with nginx_on_loopback("flightdeck-tlsbench-") as (directory, _, https_port, ca, nginx_pid):
        target = f"127.0.0.1:{https_port}"
        blackbox = Blackbox([target] * arguments.count, arguments.concurrency, directory, "tls_connect",
                            f"    prober: tcp\n    timeout: 5s\n    tcp:\n      preferred_ip_protocol: ip4\n"
                            f"      tls: true\n      tls_config:\n        ca_file: {ca}\n        server_name: 127.0.0.1\n")
        runs = {"flightdeck": [], "blackbox_exporter": []}
        server_cpu = []
        try:
            for _ in range(arguments.repeats):
                before = proc_cpu_seconds(nginx_pid)
                result = subprocess.run([binary, "tls", target, "bench.test", str(arguments.count), str(arguments.concurrency), ca],
                                        capture_output=True, text=True, check=True)
                server_cpu.append((proc_cpu_seconds(nginx_pid) - before) / arguments.count * 1000)
                data = json.loads(result.stdout.strip().splitlines()[-1])
                if data["failures"]:
                    print(f"  warning: {result.stderr.strip()}")
                runs["flightdeck"].append((data["inspections"], data["seconds"], data["cpu_seconds"], data["peak_rss_kib"]))
                runs["blackbox_exporter"].append(blackbox.bench(1))
        finally:
            blackbox.stop()
        rows = [(name, *median_run(values)) for name, values in runs.items()]
        per = {name: cpu / count * 1000 for name, count, _, cpu, _ in rows}
        rate = {name: count / seconds for name, count, seconds, _, _ in rows}
        print_table(f"TLS: a full handshake per inspection to nginx on loopback, {arguments.concurrency} in flight; "
                    f"median of {arguments.repeats} interleaved runs", rows, [
                        f"nginx's own CPU per 1,000 handshakes: {sorted(server_cpu)[len(server_cpu) // 2]:.3f} s",
                        f"target: at most blackbox_exporter's CPU per inspection: {per['flightdeck'] / per['blackbox_exporter']:.2f}x",
                        f"inspections per second vs blackbox_exporter: {rate['flightdeck'] / rate['blackbox_exporter']:.2f}x",
                    ])


if __name__ == "__main__":
    main()
