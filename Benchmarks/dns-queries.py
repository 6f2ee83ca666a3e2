#!/usr/bin/env python3
"""DNS benchmark: Flightdeck's DNS client beside dnsperf, against one knot on loopback.

Both send the same queries (50 names, round robin) to the same knot server over UDP,
interleaved three times; the median run of each is shown with queries per second, CPU
seconds per 1,000 queries and the ratio. Flightdeck runs twice: as a propagation check asks
(each name to 20 resolver addresses at once, one call per name: the goal's row), and one
call per query (as a single lookup asks). Then Flightdeck fills a 50-record x 20-resolver
propagation grid (1,000 queries) and the time it took is shown.

    python3 Benchmarks/dns-queries.py [--queries 200000] [--in-flight 256] [--repeats 3]

Needs knot and dnsperf (scripts/install-deps --bench installs them).
"""
import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import build_bench, free_port, require, start_knot
RECORDS = 50
RESOLVERS = 20


def start_knot_with_records(directory, port, addresses):
    records = "\n".join(f"r{i} A 127.0.{i // 250}.{i % 250 + 1}" for i in range(RECORDS))
    with open(os.path.join(directory, "bench.test.zone"), "w") as f:
        f.write(f"$TTL 300\n@ SOA ns.bench.test. hostmaster.bench.test. 1 60 60 600 60\n@ NS ns.bench.test.\n"
                f"ns A 127.0.0.1\n{records}\n")
    return start_knot(directory, port, addresses, single_worker=True)


def run_flightdeck(binary, server, query_file, queries, in_flight):
    result = subprocess.run([binary, "dns", server, query_file, str(queries), str(in_flight)],
                            capture_output=True, text=True, check=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["failed"]:
        print(f"  warning: flightdeck: {data['failed']} queries unanswered")
    return data["queries"], data["seconds"], data["cpu_seconds"]


def run_dnsperf(host, port, query_file, queries, in_flight):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(["dnsperf", "-s", host, "-p", str(port), "-d", query_file, "-n", str(queries // RECORDS),
                             "-q", str(in_flight), "-c", "1", "-T", "1", "-t", "2"],
                            capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    completed = int(re.search(r"Queries completed:\s+(\d+)", result.stdout).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", result.stdout).group(1))
    if lost:
        print(f"  warning: dnsperf: {lost} queries lost")
    elapsed = float(re.search(r"Run time \(s\):\s+([\d.]+)", result.stdout).group(1))
    return completed, elapsed or wall, cpu


def median(runs):
    ordered = sorted(runs, key=lambda run: run[1] / run[0])
    return ordered[len(ordered) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=200_000)
    parser.add_argument("--in-flight", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    require("knotd", "dnsperf")
    binary = build_bench()

    directory = tempfile.mkdtemp(prefix="flightdeck-dnsbench-")
    knot = None
    try:
        port = free_port()
        resolvers = [f"127.77.0.{i + 1}" for i in range(RESOLVERS)]
        knot = start_knot_with_records(directory, port, ["127.0.0.1"] + resolvers)
        query_file = os.path.join(directory, "queries")
        with open(query_file, "w") as f:
            f.write("".join(f"r{i}.bench.test A\n" for i in range(RECORDS)))

        fan_out = ",".join(f"{address}:{port}" for address in resolvers)
        runs = {"flightdeck, fan-out": [], "flightdeck, single": [], "dnsperf": []}
        for _ in range(arguments.repeats):
            runs["flightdeck, fan-out"].append(run_flightdeck(binary, fan_out, query_file, arguments.queries, arguments.in_flight))
            runs["flightdeck, single"].append(run_flightdeck(binary, f"127.0.0.1:{port}", query_file, arguments.queries, arguments.in_flight))
            runs["dnsperf"].append(run_dnsperf("127.0.0.1", port, query_file, arguments.queries, arguments.in_flight))
        rows = {name: median(values) for name, values in runs.items()}
        print(f"\nUDP queries to knot on loopback, {arguments.in_flight} in flight; median of {arguments.repeats} interleaved runs")
        print(f"  {'tool':<20} {'queries':>9} {'queries/s':>11} {'CPU s/1000':>11}")
        for name, (queries, seconds, cpu) in rows.items():
            print(f"  {name:<20} {queries:>9} {queries / seconds:>11.0f} {cpu / queries * 1000:>11.4f}")
        dnsperf = rows["dnsperf"]
        for name in ("flightdeck, fan-out", "flightdeck, single"):
            queries, seconds, cpu = rows[name]
            rate = (queries / seconds) / (dnsperf[0] / dnsperf[1])
            cpu_ratio = (cpu / queries) / (dnsperf[2] / dnsperf[0])
            target = " (target: at least 0.6x the rate, at most 1.0x the CPU)" if name.endswith("fan-out") else ""
            print(f"  {name} / dnsperf: {rate:.2f}x the rate, {cpu_ratio:.2f}x the CPU per query{target}")

        plan = os.path.join(directory, "grid.yaml")
        with open(plan, "w") as f:
            f.write("launch: { name: grid, zone: bench.test, t0: 2026-12-01T14:00Z, timezone: UTC }\n"
                    "roles: [{ id: ops }]\napprovers: [{ name: Ada, role: ops, users: [ada] }]\n"
                    "poll: { order: [ops], director: ops }\nresolvers:\n")
            for index, address in enumerate(resolvers):
                f.write(f'  - {{ name: r{index}, address: "{address}:{port}" }}\n')
            f.write("dns:\n  records:\n")
            for i in range(RECORDS):
                f.write(f'    - {{ id: r{i}, name: r{i}, type: A, expected: ["127.0.{i // 250}.{i % 250 + 1}"] }}\n')
        grid = json.loads(subprocess.run([binary, "grid", plan], capture_output=True, text=True, check=True).stdout)
        print(f"\nPropagation grid: {grid['records']} records x {grid['resolvers']} resolvers = "
              f"{grid['records'] * grid['resolvers']} queries, {grid['matching_cells']} cells matching, "
              f"filled in {grid['seconds'] * 1000:.0f} ms (target: under 1 s)")
    finally:
        if knot:
            knot.kill()
            knot.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
