#!/usr/bin/env python3
"""Launch journal benchmark: Flightdeck's hash-chained journal beside the smallest thing
that does the same job by hand.

The peer is Python's sqlite3 module writing the same rows (canonical JSON with sorted
keys, SHA-256 of the previous entry, one IMMEDIATE transaction per entry, WAL), then
reading them all back and recomputing the chain: what a team would script instead.
Flightdeck's numbers include the workflow check on every append (the state is folded and
the event judged inside the transaction) and decoding every entry into typed events.

With --postgresql (as root, with Debian's postgresql installed) Flightdeck's journal also
runs on a temporary PostgreSQL cluster on loopback, in the same run: the client's and the
server's CPU per append. Its commits are not flushed one by one (synchronous_commit=off),
as SQLite's WAL at GRDB's synchronous=NORMAL does not sync each commit either.

    python3 Benchmarks/journal.py [--entries 2000] [--runs 3] [--postgresql]
"""
import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time

from benchlib import build_bench, cpu_with_children, postgresql


def peer(directory, entries):
    path = os.path.join(directory, "peer.sqlite")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, record TEXT NOT NULL, hash TEXT NOT NULL)")
    actor = {"login": "ada", "effectiveUser": "ada", "loginUID": 1000, "sshConnection": "127.0.0.1 50000 127.0.0.1 22",
             "tty": "/dev/pts/3", "pid": os.getpid(), "host": "bastion", "approver": "Ada", "pinUsed": False}
    cpu_before = time.process_time()
    start = time.monotonic()
    previous = "0" * 64
    for seq in range(1, entries + 1):
        db.execute("BEGIN IMMEDIATE")
        last = db.execute("SELECT hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        previous = last[0] if last else previous
        record = json.dumps({"seq": seq, "at": "2026-11-25T17:00:00.000Z", "actor": actor, "prev": previous,
                             "event": {"checklistMarked": {"item": "legal", "mark": "pending", "note": f"rehearsal note {seq}"}}},
                            sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(record.encode()).hexdigest()
        db.execute("INSERT INTO events VALUES (?, ?, ?)", (seq, record, digest))
        db.execute("COMMIT")
    appending = time.monotonic() - start
    append_cpu = time.process_time() - cpu_before
    start = time.monotonic()
    rows = [json.loads(record) for (record,) in sqlite3.connect(path).execute("SELECT record FROM events ORDER BY seq")]
    folding = time.monotonic() - start
    start = time.monotonic()
    previous = "0" * 64
    for seq, record, digest in sqlite3.connect(path).execute("SELECT seq, record, hash FROM events ORDER BY seq"):
        assert hashlib.sha256(record.encode()).hexdigest() == digest and json.loads(record)["prev"] == previous
        previous = digest
    verifying = time.monotonic() - start
    assert len(rows) == entries
    return {"appends_per_s": entries / appending, "append_cpu_ms": append_cpu * 1000 / entries,
            "fold_ms": folding * 1000, "verify_ms": verifying * 1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true", help="also run Flightdeck's journal on a temporary PostgreSQL")
    arguments = parser.parse_args()
    bench = build_bench()
    results = {"flightdeck": [], "python sqlite3": []}
    with contextlib.ExitStack() as stack:
        if arguments.postgresql:
            url, postmaster = stack.enter_context(postgresql())
            results["flightdeck on pg"] = []
        run_all(arguments, bench, results, url if arguments.postgresql else None, postmaster if arguments.postgresql else None)
    report(arguments, results)


def run_all(arguments, bench, results, url, postmaster):
    for run in range(arguments.runs):
        directory = tempfile.mkdtemp(prefix="flightdeck-journal-bench-")
        try:
            output = subprocess.run([bench, "journal", os.path.join(directory, "state"), str(arguments.entries)],
                                    check=True, capture_output=True, text=True).stdout
            results["flightdeck"].append(json.loads(output))
            results["python sqlite3"].append(peer(directory, arguments.entries))
            if url:
                # A launch of its own each run (the plan's name is the same, so a new database).
                database = f"bench{run}"
                subprocess.run(["psql", "-X", "-q", "-d", url, "-c", f"CREATE DATABASE {database}"], check=True)
                server_before = cpu_with_children(postmaster)
                output = subprocess.run([bench, "journal", os.path.join(directory, "state-pg"), str(arguments.entries)],
                                        check=True, capture_output=True, text=True,
                                        env=dict(os.environ, FLIGHTDECK_STATE=url.rsplit("/", 1)[0] + "/" + database)).stdout
                measured = json.loads(output)
                measured["server_cpu_ms"] = (cpu_with_children(postmaster) - server_before) * 1000 / arguments.entries
                results["flightdeck on pg"].append(measured)
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def report(arguments, results):
    print(f"\n{arguments.entries} entries, median of {arguments.runs} interleaved runs\n")
    print(f"{'':16}{'appends/s':>12}{'CPU ms/append':>15}{'fold ms':>10}{'verify ms':>11}")
    medians = {}
    for tool, runs in results.items():
        medians[tool] = {key: statistics.median(run[key] for run in runs) for key in ["appends_per_s", "append_cpu_ms", "fold_ms", "verify_ms"]}
        m = medians[tool]
        print(f"{tool:16}{m['appends_per_s']:12.0f}{m['append_cpu_ms']:15.3f}{m['fold_ms']:10.1f}{m['verify_ms']:11.1f}")
    ours, theirs = medians["flightdeck"], medians["python sqlite3"]
    print(f"\nFlightdeck / peer: append rate {ours['appends_per_s'] / theirs['appends_per_s']:.2f}x, "
          f"CPU per append {ours['append_cpu_ms'] / theirs['append_cpu_ms']:.2f}x, "
          f"fold {ours['fold_ms'] / theirs['fold_ms']:.2f}x, verify {ours['verify_ms'] / theirs['verify_ms']:.2f}x")
    if "flightdeck on pg" in medians:
        pg, sqlite = medians["flightdeck on pg"], medians["flightdeck"]
        server = statistics.median(run["server_cpu_ms"] for run in results["flightdeck on pg"])
        print(f"PostgreSQL / SQLite: append rate {pg['appends_per_s'] / sqlite['appends_per_s']:.2f}x, "
              f"client CPU per append {pg['append_cpu_ms'] / sqlite['append_cpu_ms']:.2f}x, "
              f"plus the server's {server:.3f} ms per append; fold {pg['fold_ms'] / sqlite['fold_ms']:.2f}x, "
              f"verify {pg['verify_ms'] / sqlite['verify_ms']:.2f}x")
    print(f"Flightdeck: a look for changes from another process costs {statistics.median(r['change_poll_us'] for r in results['flightdeck']):.0f} µs "
          f"(the cockpit looks 4 times a second)")


if __name__ == "__main__":
    main()
