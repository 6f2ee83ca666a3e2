#!/usr/bin/env python3
"""The launch timeline: what it costs per change of status, and how big it grows.

1. The demo's whole story: the real `flightdeck demo --headless` at 60x, driven through the
   cutover and the whole go/no-go poll to the final GO, as the demo test drives it. Then
   `flightdeck timeline PLAN --json` counts what it recorded, and timeline.sqlite is measured
   (its pages, and the files with the WAL) before the demo removes it.
2. A compressed launch day: `flightdeck-bench timeline` polls CHECKS checks every 30 s of
   virtual time for HOURS hours through the cockpit's own state and alarm rules, with an
   incident each hour and lone failed polls the thresholds absorb; the recorder keeps the
   changes and the real store writes them, once per poll round, into SQLite and into
   PostgreSQL (a temporary cluster on loopback). Reported: the changes kept, the CPU per
   change written, the size, and reading the day back (`flightdeck timeline`, the review, a
   cockpit opening mid-launch).
3. The peer: storing every poll, as an uptime monitor keeps a heartbeat table (one row per
   check per poll: status, message, latency, time), written by Python's sqlite3 in one
   transaction per round, for the same day. Printed as size and CPU ratios.

    python3 Benchmarks/timeline.py [--checks 1000] [--hours 24] [--engines sqlite,postgresql] [--skip-demo]
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, build_bench, postgresql


def sqlite_bytes(base):
    return sum(os.path.getsize(base + suffix) for suffix in ["", "-wal"] if os.path.exists(base + suffix))


def demo_story(flightdeck):
    """Runs the demo to its final GO; returns what its timeline holds and weighs."""
    output = tempfile.NamedTemporaryFile("w+", prefix="flightdeck-timeline-demo-", suffix=".out", delete=False)
    demo = subprocess.Popen([flightdeck, "demo", "--headless", "--speed", "60"], stdout=output, stderr=subprocess.STDOUT)

    def lines():
        with open(output.name) as f:
            return f.read().splitlines()

    def wait_for(what, condition, seconds=120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition(lines()):
                return
            if demo.poll() is not None:
                sys.exit(f"the demo ended while waiting for {what}:\n" + "\n".join(lines()[-20:]))
            time.sleep(0.1)
        sys.exit(f"the demo never showed {what}")

    try:
        wait_for("its plan", lambda seen: any(line.startswith("Plan: ") for line in seen))
        plan = next(line for line in lines() if line.startswith("Plan: ")).split()[1]
        pins = dict(re.findall(r"^  (\S+ \S+) +\S+ +PIN (\d+)$", "\n".join(lines()), re.MULTILINE))
        wait_for("the story's end", lambda seen: any("alarm RESOLVED critical alertmanager/CheckoutErrorRate" in line for line in seen)
                 and any("check dns-apex PASS: converged" in line for line in seen)
                 and "verdict GO: all 21 blocking checks pass" in next((line for line in reversed(seen) if " verdict " in line), ""))

        def act(arguments, approver):
            subprocess.run([flightdeck] + arguments + ["--approver", approver], input=pins[approver] + "\n", text=True,
                           check=True, capture_output=True)
        act(["poll", "open", plan], "Dana Whitfield")
        for role, approver in [("infrastructure", "Dana Whitfield"), ("application", "Miguel Soto"),
                               ("security", "Priya Raman"), ("business", "Sam Okafor")]:
            act(["vote", plan, "--role", role, "go"], approver)
        act(["checklist", plan, "rollback", "done"], "Dana Whitfield")
        act(["checklist", plan, "support-ready", "done"], "Sam Okafor")
        act(["vote", plan, "--role", "launch-director", "go"], "Alex Moreau")
        wait_for("the final GO", lambda seen: any(line.endswith(" launch GO") for line in seen))
        time.sleep(2)  # the session's keeper writes what it saw within a second
        recorded = json.loads(subprocess.run([flightdeck, "timeline", plan, "--json"], check=True, capture_output=True,
                                             text=True).stdout)
        state = os.path.join(os.path.dirname(plan), "demo.flightdeck")
        on_disk = sqlite_bytes(os.path.join(state, "timeline.sqlite"))
        database = sqlite3.connect(f"file:{os.path.join(state, 'timeline.sqlite')}?mode=ro", uri=True)
        changes = database.execute("SELECT count(*) FROM timeline").fetchone()[0]
        pages = database.execute("PRAGMA page_count").fetchone()[0] * database.execute("PRAGMA page_size").fetchone()[0]
        database.close()
        kinds = {}
        for entry in recorded["entries"]:
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
        return {"changes": changes, "entries": len(recorded["entries"]), "kinds": kinds, "red_checks": len(recorded["red"]),
                "alarm_occurrences": len(recorded["alarms"]), "bytes": pages, "on_disk": on_disk}
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        os.unlink(output.name)


def compressed_day(bench, engine, checks, hours):
    """flightdeck-bench timeline into a fresh SQLite directory or PostgreSQL cluster."""
    if engine == "sqlite":
        directory = tempfile.mkdtemp(prefix="flightdeck-timeline-bench-")
        try:
            result = run_bench(bench, directory, checks, hours)
            result["bytes"] = sqlite_bytes(os.path.join(directory, "timeline.sqlite"))
            return result
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    with postgresql() as (url, _):
        result = run_bench(bench, url, checks, hours)
        schema = psql(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'flightdeck_bench_test_%'")
        result["bytes"] = int(psql(url, f"SELECT pg_total_relation_size('{schema}.timeline')"
                                        f" + pg_total_relation_size('{schema}.timeline_watchers')"))
        return result


def run_bench(bench, state, checks, hours):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run([bench, "timeline", state, str(checks), str(hours)], check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(output)
    result["process_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def psql(url, query):
    return subprocess.run(["psql", "-X", "-At", "-d", url, "-c", query], check=True, capture_output=True, text=True).stdout.strip()


def heartbeat_table(checks, hours):
    """Every poll kept, one row each, as an uptime monitor's heartbeat table holds them."""
    directory = tempfile.mkdtemp(prefix="flightdeck-timeline-peer-")
    try:
        path = os.path.join(directory, "heartbeats.sqlite")
        db = sqlite3.connect(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE heartbeat (id INTEGER PRIMARY KEY, monitor_id INTEGER NOT NULL, status INTEGER NOT NULL,"
                   " msg TEXT, time TEXT NOT NULL, ping INTEGER, duration INTEGER)")
        db.execute("CREATE INDEX monitor_time ON heartbeat (monitor_id, time)")
        rounds = int(hours * 3600 / 30)
        generator = random.Random(2026)
        start = time.time() - rounds * 30
        cpu_before = time.process_time()
        for round_index in range(rounds):
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + round_index * 30))
            with db:
                db.executemany("INSERT INTO heartbeat (monitor_id, status, msg, time, ping, duration) VALUES (?, ?, ?, ?, ?, ?)",
                               [(check, 0, "HTTP 503 from 127.0.0.1:9", at, 21, 30) if generator.random() < 1 / 300
                                else (check, 1, "200 in 21 ms", at, 21, 30) for check in range(checks)])
        cpu = time.process_time() - cpu_before
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        return {"polls": rounds * checks, "bytes": sqlite_bytes(path), "cpu_s": cpu}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--skip-demo", action="store_true")
    arguments = parser.parse_args()
    bench = build_bench()
    print("building flightdeck (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    flightdeck = os.path.join(ROOT, ".build", "release", "flightdeck")

    if not arguments.skip_demo:
        story = demo_story(flightdeck)
        print("\nThe demo's whole story (60x, through the poll to the final GO):")
        print(f"  {story['changes']} changes kept in {story['bytes'] / 1024:.0f} KiB of pages "
              f"({story['on_disk'] / 1024:.0f} KiB on disk with the WAL SQLite has not yet folded in); "
              f"`flightdeck timeline` lists {story['entries']} entries {story['kinds']}, "
              f"{story['red_checks']} checks red at some time, {story['alarm_occurrences']} alarm occurrences")

    print(f"\nA compressed launch day: {arguments.checks} checks polled every 30 s for {arguments.hours:g} h "
          f"({int(arguments.hours * 120 * arguments.checks):,} polls)")
    print(f"  {'store':<22} {'kept':>7} {'size':>10} {'B/change':>9} {'write CPU/change':>17} {'ms/batch':>9}"
          f" {'read all':>9} {'review':>8} {'open':>8}")
    days = {}
    for engine in arguments.engines.split(","):
        day = compressed_day(bench, engine, arguments.checks, arguments.hours)
        days[engine] = day
        print(f"  {'flightdeck ' + engine:<22} {day['kept']:>7} {day['bytes'] / 2**20:>6.2f} MiB {day['bytes'] / day['kept']:>9.0f}"
              f" {day['write_cpu_us_per_change']:>14.0f} µs {day['write_ms_per_batch']:>9.2f} {day['read_all_ms']:>6.1f} ms"
              f" {day['review_ms']:>5.1f} ms {day['cockpit_open_ms']:>5.1f} ms")
    first = next(iter(days.values()))
    print(f"  the recorder: {first['recorder_cpu_us_per_round']:.0f} µs CPU per poll round of {arguments.checks} checks; "
          f"{first['red_checks']} checks were red at some time, {first['alarm_occurrences']} alarm occurrences")

    peer = heartbeat_table(arguments.checks, arguments.hours)
    print(f"  {'every poll (sqlite3)':<22} {peer['polls']:>7} {peer['bytes'] / 2**20:>6.2f} MiB {peer['bytes'] / peer['polls']:>9.0f}"
          f" {peer['cpu_s'] * 1e6 / peer['polls']:>14.1f} µs   (per poll)")
    if "sqlite" in days:
        ours = days["sqlite"]
        write_cpu = ours["write_cpu_us_per_change"] * ours["written"] / 1e6
        print(f"\n  every poll kept takes {peer['bytes'] / ours['bytes']:.0f}x the timeline's size "
              f"and {peer['cpu_s'] / write_cpu:.0f}x its write CPU ({peer['cpu_s']:.1f} s against {write_cpu:.2f} s for the day)")


if __name__ == "__main__":
    main()
