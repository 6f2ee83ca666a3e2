#!/usr/bin/env python3
"""Probe agents at scale: AGENTS agents, each probing CHECKS HTTP checks every 5 s and
publishing every outcome into the launch's shared state, and a session following them.

Both engines in one run, one after the other: SQLite (vantages.sqlite in the state
directory, the sessions look every 250 ms) and a temporary PostgreSQL cluster on loopback
(each publication NOTIFYs). For each: how long after its publication a session reads an
outcome (by the database's clock: the publication's transaction start to the read's),
p50 and p99; the agents' CPU and the database server's CPU per 1,000 outcomes; and how the
storage grows per hour once warm, under the retention rule (the latest outcome of each
check per vantage, replaced in place; each change of status kept 7 days in the timeline). Every tenth
check flaps (503 in even minutes), so changes of status are written as on a launch day.
Growth is judged over the second half of the measured window, once the tables have reached
the size their churn settles at (PostgreSQL's autovacuum looks once a minute).
The agents are the real `flightdeck agent` (release build) against nginx on loopback.

    python3 Benchmarks/vantages.py [--checks 500] [--agents 3] [--seconds 150] [--warmup 30] [--engines sqlite,postgresql]
"""
import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, build_bench, cpu_with_children, free_port, postgresql, proc_cpu_seconds, run_nginx


def start_nginx(directory, port):
    """nginx answering /ok/ with 200, and /flap/ with 503 in even minutes and 200 in odd ones."""
    return run_nginx(directory, f"""
  map $time_iso8601 $down {{ "~T..:.[02468]:" 1; default ""; }}
  server {{ listen 127.0.0.1:{port} backlog=4096;
    location /ok/ {{ return 200 "ok\\n"; }}
    location /flap/ {{ if ($down) {{ return 503; }} return 200 "flap\\n"; }} }}""", [port])


def write_plan(directory, port, checks, state):
    lines = ["launch: { name: Vantage bench, zone: bench.test, t0: 2030-01-01T00:00Z, timezone: UTC"
             + (f', state: "{state}"' if state else "") + " }",
             "polling: { interval: 5s, timeout: 2s, concurrency: 32, failure_threshold: 1 }",
             "http:"]
    for index in range(checks):
        kind = "flap" if index % 10 == 0 else "ok"
        lines.append(f'  - {{ id: check-{index}, url: "http://127.0.0.1:{port}/{kind}/{index}", expect: {{ status: 200 }} }}')
    path = os.path.join(directory, "plan.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def storage_bytes(engine, directory, url, schema):
    """The vantages' latest outcomes and the timeline the agents write their changes into."""
    if engine == "sqlite":
        bases = [os.path.join(directory, "plan.flightdeck", name) for name in ["vantages.sqlite", "timeline.sqlite"]]
        return sum(os.path.getsize(base + suffix) for base in bases for suffix in ["", "-wal"] if os.path.exists(base + suffix))
    tables = ["vantage_agents", "vantage_results", "timeline", "timeline_watchers"]
    return int(psql(url, "SELECT " + " + ".join(f"pg_total_relation_size('{schema}.{table}')" for table in tables)))


def rows(engine, directory, url, schema):
    """How many latest outcomes, and how many changes the timeline keeps."""
    if engine == "sqlite":
        import sqlite3
        state = os.path.join(directory, "plan.flightdeck")
        return [sqlite3.connect(os.path.join(state, name)).execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for name, table in [("vantages.sqlite", "results"), ("timeline.sqlite", "timeline")]]
    return [int(psql(url, f"SELECT count(*) FROM {schema}.{table}")) for table in ["vantage_results", "timeline"]]


def psql(url, query):
    return subprocess.run(["psql", "-X", "-At", "-d", url, "-c", query], check=True, capture_output=True, text=True).stdout.strip()


def run_engine(engine, arguments, flightdeck, bench, url=None, postmaster=None):
    directory = tempfile.mkdtemp(prefix=f"flightdeck-vantage-bench-{engine}-")
    nginx = None
    agents = []
    try:
        port = free_port()
        nginx = start_nginx(directory, port)
        plan = write_plan(directory, port, arguments.checks, url)
        agents = [subprocess.Popen([flightdeck, "agent", plan, "--vantage", f"agent-{index}"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True) for index in range(arguments.agents)]
        time.sleep(arguments.warmup)
        for agent in agents:
            if agent.poll() is not None:
                sys.exit(f"an agent ended: {agent.stderr.read()}")
        schema = psql(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'flightdeck_bench_test_%'") if url else None
        size_before = storage_bytes(engine, directory, url, schema)
        agents_before = sum(proc_cpu_seconds(agent.pid) for agent in agents)
        server_before = cpu_with_children(postmaster) if postmaster else 0
        window = arguments.seconds - arguments.warmup
        started = time.monotonic()
        reading = subprocess.Popen([bench, "vantage-reader", plan, str(window)], stdout=subprocess.PIPE, text=True)
        # The storage's size every 10 s: growth is judged over the second half of the window,
        # once the tables have reached the size their churn settles at.
        sizes = []
        while reading.poll() is None:
            sizes.append((time.monotonic() - started, storage_bytes(engine, directory, url, schema)))
            with contextlib.suppress(subprocess.TimeoutExpired):
                reading.wait(timeout=10)
        reader = json.loads(reading.stdout.read())
        elapsed = time.monotonic() - started
        agents_cpu = sum(proc_cpu_seconds(agent.pid) for agent in agents) - agents_before
        server_cpu = (cpu_with_children(postmaster) - server_before) if postmaster else None
        size_after = storage_bytes(engine, directory, url, schema)
        middle = min(sizes, key=lambda sample: abs(sample[0] - elapsed / 2))
        latest, changes = rows(engine, directory, url, schema)
        published = arguments.agents * arguments.checks * elapsed / 5
        return {"engine": engine, "outcomes_per_s": published / elapsed, "read": reader["outcomes"], "p50_ms": reader["p50_ms"],
                "p99_ms": reader["p99_ms"], "max_ms": reader["max_ms"], "agents_cpu_ms_per_1000": agents_cpu * 1e6 / published,
                "server_cpu_ms_per_1000": None if server_cpu is None else server_cpu * 1e6 / published,
                "reader_cpu_ms_per_1000": reader["cpu_s"] * 1e6 / max(1, reader["outcomes"]),
                "growth_mib_per_hour": (size_after - middle[1]) / (elapsed - middle[0]) * 3600 / 2**20, "size_mib": size_after / 2**20,
                "warm_size_mib": size_before / 2**20,
                "latest_rows": latest, "change_rows": changes}
    finally:
        for agent in agents:
            agent.send_signal(signal.SIGTERM)
        for agent in agents:
            with contextlib.suppress(subprocess.TimeoutExpired):
                agent.wait(timeout=10)
        if nginx:
            nginx.kill()
            nginx.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=150, help="each engine's run, warm-up included")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--engines", default="sqlite,postgresql", help="which of sqlite,postgresql to run")
    arguments = parser.parse_args()
    engines = arguments.engines.split(",")
    bench = build_bench()
    print("building flightdeck (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    flightdeck = os.path.join(ROOT, ".build", "release", "flightdeck")
    results = [run_engine("sqlite", arguments, flightdeck, bench)] if "sqlite" in engines else []
    if "postgresql" in engines:
        with postgresql() as (url, postmaster):
            results.append(run_engine("postgresql", arguments, flightdeck, bench, url, postmaster))

    print(f"\n{arguments.agents} agents x {arguments.checks} HTTP checks every 5 s, {arguments.seconds - arguments.warmup} s measured "
          f"after {arguments.warmup} s of warm-up, each engine")
    print(f"  {'engine':<11} {'outcomes/s':>10} {'read p50':>9} {'read p99':>9} {'max':>8} {'agents CPU':>11} {'server CPU':>11} "
          f"{'session CPU':>12} {'growth':>11} {'size':>13} {'rows: latest, changes':>22}")
    print(f"  {'':<11} {'':>10} {'ms':>9} {'ms':>9} {'ms':>8} {'ms/1000':>11} {'ms/1000':>11} {'ms/1000':>12} {'MiB/hour':>11} {'MiB warm, end':>13}")
    for r in results:
        server = "-" if r["server_cpu_ms_per_1000"] is None else f"{r['server_cpu_ms_per_1000']:.0f}"
        print(f"  {r['engine']:<11} {r['outcomes_per_s']:>10.0f} {r['p50_ms']:>9.1f} {r['p99_ms']:>9.1f} {r['max_ms']:>8.1f} "
              f"{r['agents_cpu_ms_per_1000']:>11.0f} {server:>11} {r['reader_cpu_ms_per_1000']:>12.1f} "
              f"{r['growth_mib_per_hour']:>11.2f} {r['warm_size_mib']:>6.2f}, {r['size_mib']:>5.2f} {r['latest_rows']:>11}, {r['change_rows']}")
    if len(results) == 2:
        sqlite, pg = results
        print(f"\nPostgreSQL / SQLite: read p99 {pg['p99_ms'] / max(sqlite['p99_ms'], 0.001):.2f}x, "
              f"agents' CPU {pg['agents_cpu_ms_per_1000'] / sqlite['agents_cpu_ms_per_1000']:.2f}x")
    for r in results:
        if r["engine"] == "postgresql":
            print(f"Target: publication to session p99 under 250 ms on PostgreSQL: {'met' if r['p99_ms'] < 250 else 'NOT met'} ({r['p99_ms']:.1f} ms)")


if __name__ == "__main__":
    main()
