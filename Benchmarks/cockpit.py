#!/usr/bin/env python3
"""Cockpit benchmark: frame time, idle bytes to the terminal, keypress to screen.

1. Renders and diffs 200x60 frames of a plan with 500 checks (flightdeck-bench render).
2. Runs the cockpit in a pseudo-terminal (`script`) at 80x24, and at 200x60 (the wall of
   six panes), on a plan whose only moving part is the clock, and counts the bytes it writes
   per second once the first frame is out.
3. Runs it in tmux at 120x40 and times a keypress (switching panes) until the screen shows it,
   polling the screen every 2 ms; tmux's own capture time is included, so this is an upper bound.

    python3 Benchmarks/cockpit.py [--idle-seconds 10] [--keypresses 30]
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import ROOT, build_bench, require

QUIET_PLAN = """launch: { name: Idle cockpit, zone: bench.test, t0: 2030-01-01T00:00Z, timezone: UTC }
roles: [{ id: ops }]
approvers: [{ name: Ada, role: ops, users: [ada] }]
poll: { order: [ops], director: ops }
"""


def build_flightdeck():
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "flightdeck")


def idle_bytes(binary, plan, seconds, cols=80, rows=24):
    output = tempfile.mktemp(prefix="flightdeck-idle-")
    process = subprocess.Popen(["script", "-q", "-f", "-c", f"stty rows {rows} cols {cols}; exec {binary} {plan}", output],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ, "TERM": "xterm-256color"})
    try:
        time.sleep(3)
        start = os.path.getsize(output)
        time.sleep(seconds)
        end = os.path.getsize(output)
        return (end - start) / seconds, start
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        os.remove(output)


def keypress_latency(binary, plan, presses):
    socket_name = f"flightdeck-bench-{os.getpid()}"
    tmux = ["tmux", "-L", socket_name]
    subprocess.run(tmux + ["new-session", "-d", "-s", "bench", "-x", "120", "-y", "40", f"{binary} {plan}"],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def title():
            screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "bench"], capture_output=True, text=True).stdout
            lines = screen.split("\n")
            return lines[3] if len(lines) > 3 else ""
        time.sleep(2)
        samples = []
        panes = ["Checklist", "Health", "DNS", "Certificates", "Alarms", "Go/no-go"]
        for press in range(presses):
            target = panes[press % len(panes)]
            key = str(press % len(panes) + 1)
            start = time.monotonic()
            subprocess.run(tmux + ["send-keys", "-t", "bench", key], check=True)
            while not title().strip().startswith(target):
                if time.monotonic() - start > 2:
                    sys.exit(f"the screen never showed {target}")
                time.sleep(0.002)
            samples.append((time.monotonic() - start) * 1000)
        return samples
    finally:
        subprocess.run(tmux + ["kill-server"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--idle-seconds", type=int, default=10)
    parser.add_argument("--keypresses", type=int, default=30)
    arguments = parser.parse_args()
    require("script", "tmux")
    bench = build_bench()
    binary = build_flightdeck()
    render = json.loads(subprocess.run([bench, "render", os.path.join(ROOT, "Themes/default.yaml"),
                                        os.path.join(ROOT, "Keymaps/default.yaml"), "2000"],
                                       capture_output=True, text=True, check=True).stdout)
    print(f"\nrender and diff a 200x60 frame, {render['checks']} checks: {render['milliseconds_per_frame']:.2f} ms per frame "
          f"({render['changed_cells_per_frame']:.0f} cells changed per frame; target: under 2 ms)")

    directory = tempfile.mkdtemp(prefix="flightdeck-cockpit-bench-")
    try:
        plan = os.path.join(directory, "idle.yaml")
        with open(plan, "w") as f:
            f.write(QUIET_PLAN)
        rate, first = idle_bytes(binary, plan, arguments.idle_seconds)
        print(f"idle at 80x24 with only the clock moving: {rate:.0f} bytes per second after a first frame of {first} bytes "
              f"(target: under 300)")
        rate, first = idle_bytes(binary, plan, arguments.idle_seconds, cols=200, rows=60)
        print(f"idle on the 200x60 wall (all six panes) with only the clock moving: {rate:.0f} bytes per second after a first frame "
              f"of {first} bytes (target: under 100)")
        samples = keypress_latency(binary, plan, arguments.keypresses)
        print(f"keypress to updated screen, through tmux: median {statistics.median(samples):.1f} ms, "
              f"worst {max(samples):.1f} ms over {len(samples)} presses (target: under 50 ms)")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
