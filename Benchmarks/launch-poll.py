#!/usr/bin/env python3
"""Whole-launch poll benchmark: one full poll of a realistic launch (the built-in demo's 18
checks and its alarm source) with `flightdeck check`, beside the same checks scripted with
the tools a team reaches for instead: dig, curl and openssl s_client.

`flightdeck demo --headless --speed 60` serves the launch on loopback; once its story has
played out (about 4 s), the world is steady and both sides poll it --polls times,
interleaved. Flightdeck runs one process per poll, as CI runs `flightdeck check`; the
script runs each poll's commands --concurrency at a time, as `xargs -P` would. Both build
or use release binaries. Prints wall and CPU time per poll, and the ratios.

    python3 Benchmarks/launch-poll.py [--polls 20] [--concurrency 16]
"""
import argparse
import concurrent.futures
import os
import re
import resource
import shlex
import subprocess
import sys
import time

import yaml

from benchlib import ROOT, child_rusage_delta, require


def script_for(plan, plan_directory):
    """The commands that check what the plan checks, one argv list each."""
    zone = plan["launch"]["zone"]
    commands = []

    def dig(server, name, qtype, recurse, tcp=False):
        host, port = server.rsplit(":", 1)
        return ["dig", f"@{host}", "-p", port, name, qtype, "+recurse" if recurse else "+norecurse",
                "+time=2", "+tries=1"] + (["+tcp"] if tcp else [])

    nameservers = plan["dns"]["nameservers"]
    authorities = [address for group in ("expected", "previous") for server in nameservers[group] for address in server["addresses"]]
    for record in plan["dns"]["records"]:
        name = zone if record["name"] == "@" else f"{record['name']}.{zone}"
        for resolver in plan["resolvers"]:
            commands.append(dig(resolver["address"], name, record["type"], True, resolver.get("transport") == "tcp"))
        for address in authorities:
            commands.append(dig(address, name, record["type"], False))
    for parent in plan["dns"]["parent"]:
        commands += [dig(address, zone, "NS", False) for address in parent["addresses"]]
    for address in authorities:
        commands += [dig(address, zone, "NS", False), dig(address, zone, "SOA", False)]

    for check in plan["http"]:
        url = re.sub(r"^wss://", "https://", check["url"])
        base = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total}\\n", "-m", "2",
                "--connect-to", f"::{check['connect_to']}"]
        if "ca_file" in check:
            base += ["--cacert", os.path.join(plan_directory, check["ca_file"])]
        if check.get("mode") == "websocket":
            base += ["--http1.1", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                     "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
        if check.get("mode") == "websocket":
            # curl without its WebSocket support waits past the 101 for a response that never
            # comes (exit 52); the 101 it printed is the check.
            commands.append(["sh", "-c", shlex.join(base + [url]) + " | grep -q '^101 '"])
        else:
            commands.append(base + [url])
        if check.get("mode") == "hls":
            commands.append(base + [url.replace("index.m3u8", "720p/index.m3u8")])

    for endpoint in plan["tls"]:
        connect = f"{endpoint['address']}:{endpoint['port']}"
        commands.append(["sh", "-c", f"openssl s_client -connect {connect} -servername {endpoint['host']} "
                                     f"-CAfile {endpoint['ca_file']} -verify_return_error </dev/null 2>/dev/null "
                                     f"| openssl x509 -noout -enddate -ext subjectAltName"])
    for source in plan["alarms"]["sources"]:
        commands.append(["curl", "-sS", "-o", "/dev/null", "-m", "2", f"{source['url']}/api/v2/alerts?active=true"])
    return commands


def timed(run):
    """Wall and child CPU seconds of `run()`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    run()
    wall = time.monotonic() - start
    cpu, _ = child_rusage_delta(before)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    require("dig", "curl", "openssl")
    print("building flightdeck (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    flightdeck = os.path.join(ROOT, ".build", "release", "flightdeck")

    demo = subprocess.Popen([flightdeck, "demo", "--headless", "--speed", "60"], stdout=subprocess.PIPE, text=True)
    try:
        plan_path = None
        for line in demo.stdout:
            if line.startswith("Plan: "):
                plan_path = line.split()[1]
                break
        if not plan_path:
            sys.exit("the demo did not start")
        # The story takes 210 world seconds: 3.5 s at 60x. Let it play out.
        time.sleep(6)
        with open(plan_path) as f:
            plan = yaml.safe_load(f)
        commands = script_for(plan, os.path.dirname(plan_path))

        def flightdeck_poll():
            result = subprocess.run([flightdeck, "check", plan_path, "--json"], capture_output=True, text=True)
            if '"verdict" : "go"' not in result.stdout:
                sys.exit(f"flightdeck check did not say GO: {result.stdout[-400:]}{result.stderr}")

        def script_poll():
            def one(command):
                return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            with concurrent.futures.ThreadPoolExecutor(arguments.concurrency) as pool:
                failed = [command for command, code in zip(commands, pool.map(one, commands)) if code != 0]
            if failed:
                sys.exit(f"the script's commands failed: {failed[:3]}")

        results = {"flightdeck check": [], "dig + curl + openssl": []}
        for _ in range(arguments.polls):
            results["flightdeck check"].append(timed(flightdeck_poll))
            results["dig + curl + openssl"].append(timed(script_poll))
    finally:
        demo.terminate()
        demo.wait()

    def median(values):
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    print(f"\nOne full poll of the demo launch ({len(plan['dns']['records'])} DNS records x "
          f"{len(plan['resolvers'])} resolvers and {len(plan['dns']['nameservers']['expected']) + len(plan['dns']['nameservers']['previous'])} "
          f"nameservers, the delegation, {len(plan['http'])} HTTP, {len(plan['tls'])} TLS, 1 alarm source); "
          f"median of {arguments.polls}; the script runs {len(commands)} commands, {arguments.concurrency} at a time")
    base_wall = median([wall for wall, _ in results["flightdeck check"]])
    base_cpu = median([cpu for _, cpu in results["flightdeck check"]])
    print(f"{'':24} {'wall ms':>9} {'CPU ms':>9} {'wall x':>7} {'CPU x':>7}")
    for name, runs in results.items():
        wall, cpu = median([w for w, _ in runs]), median([c for _, c in runs])
        print(f"{name:24} {wall * 1000:9.1f} {cpu * 1000:9.1f} {wall / base_wall:7.2f} {cpu / base_cpu:7.2f}")


if __name__ == "__main__":
    main()
