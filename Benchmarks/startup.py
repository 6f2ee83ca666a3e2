#!/usr/bin/env python3
"""Start-up: how long from starting Flightdeck to its first probe, to its exit, and to the
cockpit's first frame, beside curl fetching the same URL (the floor: a process that starts,
connects and leaves).

A listener on loopback (this script) answers HTTP/1.1 200 and notes when each connection
arrives. `flightdeck check` runs a plan of one HTTP check against it; `curl -o /dev/null`
fetches the same URL; `flightdeck version` starts and exits without a plan. The cockpit
runs in a pseudo-terminal at 120x40 on the same plan, and its first frame is the first
output that holds the plan's name. Each is run RUNS times, interleaved; medians are printed,
with the wall time and the CPU time of the process.

    python3 Benchmarks/startup.py [--runs 20]
"""
import argparse
import os
import pty
import resource
import select
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

from benchlib import ROOT, require


class Listener:
    """An HTTP server on loopback that answers 200 and records when each connection arrives."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.arrivals = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            connection, _ = self.socket.accept()
            self.arrivals.append(time.monotonic())
            threading.Thread(target=self.answer, args=(connection,), daemon=True).start()

    @staticmethod
    def answer(connection):
        with connection:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                data += chunk
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")

    def first_after(self, moment):
        return next((arrival for arrival in self.arrivals if arrival >= moment), None)


def timed(command, listener):
    """(seconds to the first connection or None, seconds to exit, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.monotonic()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}): {result.stderr}")
    first = listener.first_after(start) if listener else None
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (first - start if first else None), end - start, cpu


def first_frame(binary, plan, name):
    """Seconds from starting the cockpit in a 120x40 pseudo-terminal to a frame with `name`."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
        os.execv(binary, [binary, plan])
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    start = time.monotonic()
    seen = b""
    shown = None
    try:
        while time.monotonic() - start < 10:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if name.encode() in seen:
                    shown = time.monotonic() - start
                    break
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    if shown is None:
        raise SystemExit("the cockpit showed no frame with the plan's name in 10 s")
    return shown


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    require("curl")
    print("building flightdeck (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "flightdeck")
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}/health"
    directory = tempfile.mkdtemp(prefix="flightdeck-startup-")
    plan = os.path.join(directory, "plan.yaml")
    with open(plan, "w") as f:
        f.write(f"""launch: {{ name: Start-up bench, zone: bench.test, t0: 2030-01-01T00:00Z, timezone: UTC }}
roles: [{{ id: ops }}]
approvers: [{{ name: Ada, role: ops, users: [ada] }}]
poll: {{ order: [ops], director: ops }}
http:
  - {{ id: health, url: "{url}", expect: {{ status: 200 }} }}
""")
    runs = {"curl": [], "flightdeck version": [], "flightdeck check": [], "cockpit": []}
    timed([binary, "check", plan], listener)  # the state directory is made once, outside the runs
    for _ in range(arguments.runs):
        runs["curl"].append(timed(["curl", "-s", "-o", "/dev/null", url], listener))
        runs["flightdeck version"].append(timed([binary, "version"], None))
        runs["flightdeck check"].append(timed([binary, "check", plan], listener))
        runs["cockpit"].append(first_frame(binary, plan, "Start-up bench"))

    def median(values):
        return statistics.median(values) * 1000

    print(f"\nStart-up, median of {arguments.runs} interleaved runs (ms)")
    print(f"  {'':<22} {'first probe':>12} {'exit':>8} {'CPU':>8}")
    for name in ["curl", "flightdeck version", "flightdeck check"]:
        first = [run[0] for run in runs[name] if run[0] is not None]
        print(f"  {name:<22} {median(first) if first else float('nan'):>12.1f} {median([run[1] for run in runs[name]]):>8.1f}"
              f" {median([run[2] for run in runs[name]]):>8.1f}")
    print(f"  {'cockpit first frame':<22} {median(runs['cockpit']):>12.1f}")
    curl_first = median([run[0] for run in runs["curl"]])
    check_first = median([run[0] for run in runs["flightdeck check"]])
    print(f"\n  flightdeck check reaches its first probe {check_first / curl_first:.1f}x as late as curl connects,"
          f" and exits {median([r[1] for r in runs['flightdeck check']]) / median([r[1] for r in runs['curl']]):.1f}x as late")


if __name__ == "__main__":
    main()
