#!/usr/bin/env python3
"""Alarm sources benchmark: reading a real Alertmanager with Flightdeck's alarm source,
beside amtool (Alertmanager's own CLI, what an on-call engineer would run) and curl (the
bare HTTP floor), then the cost of the alarm rules over 500 checks.

Alertmanager runs on loopback holding --alerts active alerts. Flightdeck reads them
--fetches times in one process (as the cockpit does, on an interval); amtool and curl run
once per read, as people and scripts run them. Each reports wall and CPU time per read.

    python3 Benchmarks/alarm-sources.py [--alerts 200] [--fetches 100]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
import urllib.request

from benchlib import build_bench, child_rusage_delta, free_port, require, wait_listening


def post_alerts(url, count):
    alerts = [{"labels": {"alertname": f"Bench{index}", "severity": ["critical", "warning", "info"][index % 3], "team": "bench"},
               "annotations": {"summary": f"benchmark alert {index}"}} for index in range(count)]
    request = urllib.request.Request(f"{url}/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


def per_invocation(command, fetches):
    """Runs `command` `fetches` times; wall and child CPU per run, in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    for _ in range(fetches):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    cpu, _ = child_rusage_delta(before)
    return wall * 1000 / fetches, cpu * 1000 / fetches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--fetches", type=int, default=100)
    arguments = parser.parse_args()
    require("prometheus-alertmanager", "amtool")
    bench = build_bench()
    directory = tempfile.mkdtemp(prefix="flightdeck-alarm-bench-")
    port = free_port()
    with open(os.path.join(directory, "am.yml"), "w") as f:
        f.write("route: { receiver: quiet }\nreceivers: [{ name: quiet }]\n")
    alertmanager = subprocess.Popen(["prometheus-alertmanager", f"--config.file={directory}/am.yml", f"--storage.path={directory}/data",
                                     f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        url = f"http://127.0.0.1:{port}"
        post_alerts(url, arguments.alerts)
        time.sleep(1)
        rows = []
        result = json.loads(subprocess.run([bench, "alerts", url, str(arguments.fetches)], check=True, capture_output=True, text=True).stdout)
        rows.append(("flightdeck", result["wall_ms_per_fetch"], result["cpu_ms_per_fetch"], result["alarms"]))
        wall, cpu = per_invocation(["amtool", f"--alertmanager.url={url}", "alert", "query", "-o", "json"], arguments.fetches)
        rows.append(("amtool", wall, cpu, None))
        if shutil.which("curl"):
            wall, cpu = per_invocation(["curl", "-s", f"{url}/api/v2/alerts?active=true&silenced=false&inhibited=false"], arguments.fetches)
            rows.append(("curl", wall, cpu, None))
        print(f"\n{arguments.alerts} active alerts, {arguments.fetches} reads each\n")
        print(f"{'':12}{'wall ms/read':>14}{'CPU ms/read':>13}")
        for name, wall, cpu, _ in rows:
            print(f"{name:12}{wall:14.2f}{cpu:13.2f}")
        ours = rows[0]
        print(f"\nFlightdeck read {ours[3]} alarms per read; " + ", ".join(
            f"{name}: {ours[1] / wall:.2f}x its wall time, {ours[2] / cpu:.2f}x its CPU" for name, wall, cpu, _ in rows[1:]))
        rules = json.loads(subprocess.run([bench, "alarm-rules", "500", "200"], check=True, capture_output=True, text=True).stdout)
        print(f"alarm rules over 500 checks: {rules['us_per_outcome']:.1f} µs per outcome, {rules['ms_per_evaluation']:.2f} ms per poll round")
    finally:
        alertmanager.kill()
        alertmanager.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
