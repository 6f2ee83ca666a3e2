#!/usr/bin/env python3
"""Memory over a launch day, in accelerated time: `flightdeck demo --headless --speed 60`
serves the demo launch, and `flightdeck watch` on its plan (a process of its own, so the
demo's servers are not counted) polls its 18 checks and its alarm source every 100 ms
(2 s at 1x), with the whole live loop a user runs (probes, check board, alarm rules,
journal, watch output). Reads the watch's anonymous memory and RSS from
/proc/PID/smaps_rollup, and its open descriptors, after warm-up and every --every polls up
to --polls, and prints the growth per 1,000 polls. 10,000 polls of the demo is about 5.5
hours of a real launch at its 2 s interval. With --agent, a probe agent on the same plan
publishes every outcome into the state directory and the watch follows it too: the same
readings for the agent beside the watch's.

    python3 Benchmarks/memory.py [--polls 10000] [--every 1000] [--binary PATH] [--agent]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

from benchlib import ROOT, smaps_rollup

# The demo plan's interval at --speed 60 (2 s world time, floored at 100 ms).
POLL_SECONDS = 0.1
WARM_UP_POLLS = 300


def reading(pid):
    values = smaps_rollup(pid)
    return {"rss": values["Rss"], "anonymous": values["Anonymous"], "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=10000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--binary", default=None, help="a flightdeck binary (default: build release)")
    parser.add_argument("--agent", action="store_true", help="also run a probe agent on the plan, and read its memory too")
    options = parser.parse_args()
    binary = options.binary
    if binary is None:
        print("building flightdeck (release)...", flush=True)
        subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "flightdeck")
    demo = subprocess.Popen([binary, "demo", "--headless", "--speed", "60"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    watch = agent = None
    try:
        plan = None
        while plan is None:
            line = demo.stdout.readline()
            if not line:
                sys.exit("the demo printed no plan")
            if line.startswith("Plan: "):
                plan = line.split()[1]
        # Keep reading the demo's output so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in demo.stdout], daemon=True).start()
        watch = subprocess.Popen([binary, "watch", plan], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if options.agent:
            agent = subprocess.Popen([binary, "agent", plan, "--vantage", "second-look"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        measured = {"watch": watch} | ({"agent": agent} if agent else {})
        started = time.monotonic()

        def wait_until(polls):
            time.sleep(max(0, started + polls * POLL_SECONDS - time.monotonic()))
            for process in [demo] + list(measured.values()):
                if process.poll() is not None:
                    sys.exit(f"{process.args[1]} exited ({process.returncode})")
            return {name: reading(process.pid) for name, process in measured.items()}

        def row(polls, readings, note=""):
            cells = "".join(f" {r['anonymous']:>14} {r['rss']:>9} {r['fds']:>4}" for r in readings.values())
            print(f"{polls:>7}{cells}{note}", flush=True)

        base = wait_until(WARM_UP_POLLS)
        print(f"{'':>7}" + "".join(f" {name:>29}" for name in measured))
        print(f"{'polls':>7}" + f" {'anonymous KiB':>14} {'RSS KiB':>9} {'fds':>4}" * len(measured))
        row(WARM_UP_POLLS, base, "  (after warm-up)")
        last = base
        for polls in range(options.every, options.polls + 1, options.every):
            if polls <= WARM_UP_POLLS:
                continue
            last = wait_until(polls)
            row(polls, last)
        for name in measured:
            growth = last[name]["anonymous"] - base[name]["anonymous"]
            per_thousand = growth * 1000 / max(1, options.polls - WARM_UP_POLLS)
            print(f"{name}: anonymous memory growth after warm-up: {growth} KiB over {options.polls - WARM_UP_POLLS} polls "
                  f"({per_thousand:.0f} KiB per 1,000 polls); descriptors {base[name]['fds']} -> {last[name]['fds']}")
    finally:
        for process in (agent, watch, demo):
            if process:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
