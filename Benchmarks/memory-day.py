#!/usr/bin/env python3
"""Memory of one process over a compressed launch day of 1,000 checks.

A plan of CHECKS checks on loopback: four in five are DNS record checks (each asks one
resolver and the expected nameserver, both a knot serving the zone), the rest HTTP health
checks against nginx. `flightdeck watch` follows it with the plan's interval at 100 ms, so
every check is polled as fast as the process can go instead of every 5 s: the real
code paths (probes, check board, alarm rules, timeline, journal, watch output), in
compressed time. The probes run so far are read from the watch's own metrics endpoint;
as many probe runs as the plan has checks is one round, 5 s of a real launch at a 5 s
interval, so 17,280 rounds is 24 hours. Anonymous memory (the heap, stacks and relocated
library data: what the process itself holds; its private memory also counts the pages of a
binary no other process maps), RSS and descriptors are read after warm-up and at every
--every rounds, and the growth per 1,000 rounds after warm-up is printed. Each check keeps
its latencies of the last 5 minutes, up to 512: polled every 5 s that is 60, here the 512,
so this holds more than a real day would.

    python3 Benchmarks/memory-day.py [--checks 1000] [--hours 24] [--every 1000] [--binary PATH]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from benchlib import ROOT, free_port, require, run_nginx, smaps_rollup, start_knot

WARM_UP_ROUNDS = 600  # each check's latency window full (512) at the rate this runs
REAL_INTERVAL_SECONDS = 5


def write_plan(directory, checks, dns_port, http_port):
    dns_checks = checks * 4 // 5
    records = "\n".join(f"r{i} A 127.0.{i // 250}.{i % 250 + 1}" for i in range(dns_checks))
    with open(os.path.join(directory, "bench.test.zone"), "w") as f:
        f.write(f"$TTL 300\n@ SOA ns.bench.test. hostmaster.bench.test. 1 60 60 600 60\n@ NS ns.bench.test.\n"
                f"ns A 127.0.0.1\n{records}\n")
    dns = "\n".join(f"    - {{ id: r{i}, name: r{i}, type: A, expected: [127.0.{i // 250}.{i % 250 + 1}] }}"
                    for i in range(dns_checks))
    http = "\n".join(f"""  - id: h{i}
    url: http://127.0.0.1:{http_port}/p/{i}
    expect: {{ status: 200, body_contains: ok }}""" for i in range(checks - dns_checks))
    plan = os.path.join(directory, "day.yaml")
    with open(plan, "w") as f:
        f.write(f"""version: 1
launch: {{ name: A day of {checks} checks, zone: bench.test, t0: 2026-12-08T14:00Z, timezone: UTC }}
polling: {{ interval: 100ms, timeout: 2s, concurrency: 64 }}
resolvers:
  - {{ name: resolver, address: "127.0.0.1:{dns_port}" }}
dns:
  nameservers:
    expected:
      - {{ name: ns.bench.test, addresses: ["127.0.0.1:{dns_port}"] }}
  records:
{dns}
http:
{http}
""")
    return plan


def probes_run(metrics_port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    return sum(float(value) for value in re.findall(r'^flightdeck_check_probes_total\{[^}]*\} (\S+)$', text, re.MULTILINE))


def reading(pid):
    values = smaps_rollup(pid)
    return {"anonymous": values["Anonymous"], "rss": values["Rss"], "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--every", type=int, default=1000, help="rounds between readings")
    parser.add_argument("--binary", default=None, help="a flightdeck binary (default: build release)")
    arguments = parser.parse_args()
    require("knotd", "nginx")
    binary = arguments.binary
    if binary is None:
        print("building flightdeck (release)...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "flightdeck")
    total_rounds = int(arguments.hours * 3600 / REAL_INTERVAL_SECONDS)
    if total_rounds < WARM_UP_ROUNDS:
        parser.error(f"--hours must cover the warm-up: at least {WARM_UP_ROUNDS * REAL_INTERVAL_SECONDS / 3600:.2f}")
    scratch = tempfile.mkdtemp(prefix="flightdeck-day-")
    servers = []
    watch = None
    try:
        dns_port, http_port, metrics_port = free_port(), free_port(), free_port()
        plan = write_plan(scratch, arguments.checks, dns_port, http_port)
        servers.append(start_knot(scratch, dns_port, ["127.0.0.1"]))
        servers.append(run_nginx(scratch, f'  server {{ listen 127.0.0.1:{http_port} backlog=4096; location /p/ {{ return 200 "ok\\n"; }} }}',
                                 [http_port]))
        watch = subprocess.Popen([binary, "watch", plan, "--metrics", f"127.0.0.1:{metrics_port}"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = time.monotonic()
        readings = []
        next_reading = WARM_UP_ROUNDS
        print(f"{arguments.checks} checks, {total_rounds} rounds ({arguments.hours:g} h at a {REAL_INTERVAL_SECONDS} s interval)\n")
        print(f"  {'rounds':>7} {'launch time':>11} {'wall':>7} {'anon MiB':>9} {'RSS MiB':>8} {'fds':>4}", flush=True)
        while next_reading <= total_rounds:
            if watch.poll() is not None:
                raise SystemExit(f"the watch exited ({watch.returncode})")
            try:
                rounds = probes_run(metrics_port) / arguments.checks
            except OSError:
                rounds = 0
            if rounds >= next_reading:
                value = reading(watch.pid)
                readings.append((rounds, value))
                hours = rounds * REAL_INTERVAL_SECONDS / 3600
                print(f"  {rounds:>7.0f} {hours:>9.1f} h {time.monotonic() - start:>6.0f}s"
                      f" {value['anonymous'] / 1024:>9.1f} {value['rss'] / 1024:>8.1f} {value['fds']:>4}", flush=True)
                next_reading = (int(rounds) // arguments.every + 1) * arguments.every
            time.sleep(0.5)
        (first_rounds, first), (last_rounds, last) = readings[0], readings[-1]
        per_thousand = (last["anonymous"] - first["anonymous"]) / max(last_rounds - first_rounds, 1) * 1000
        print(f"\n  anonymous memory after warm-up: {first['anonymous'] / 1024:.1f} MiB at {first_rounds:.0f} rounds, "
              f"{last['anonymous'] / 1024:.1f} MiB at {last_rounds:.0f}: {per_thousand:+.0f} KiB per 1,000 rounds "
              f"({arguments.checks * (last_rounds - first_rounds) / 1e6:.1f} M probe runs in {time.monotonic() - start:.0f} s)")
    finally:
        if watch is not None:
            watch.send_signal(signal.SIGTERM)
            watch.wait(timeout=30)
        for server in servers:
            server.kill()
            server.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
