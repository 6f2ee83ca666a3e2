#!/usr/bin/env python3
"""Memory you can account for: RSS, PSS and private memory (/proc/PID/smaps_rollup) of the
sessions a war room runs on one host, on the built-in demo launch.

The demo runs headless (its servers and its own watch) in one process. Then, on its plan:
one `flightdeck watch`; one cockpit; then COCKPITS cockpits at once (the bastion case), each
in a pseudo-terminal of its own at 120x40. After SETTLE seconds each is read: RSS (what top
shows), PSS (each shared page split between the processes that map it: what the host
really spends on each), and private memory (what one more such process costs). The peer is
an idle blackbox_exporter, when installed.

    python3 Benchmarks/sessions.py [--cockpits 10] [--settle 20]
"""
import argparse
import os
import pty
import shutil
import signal
import subprocess
import tempfile
import time

from benchlib import ROOT, free_port, smaps_rollup, wait_listening


def rollup(pid):
    """smaps_rollup's totals in KiB: Rss, Pss, private (clean + dirty), anonymous."""
    values = smaps_rollup(pid)
    return {"rss": values["Rss"], "pss": values["Pss"], "private": values["Private_Clean"] + values["Private_Dirty"],
            "anonymous": values["Anonymous"]}


def in_terminal(arguments):
    """A process in a 120x40 pseudo-terminal whose output is read and dropped; (pid, fd)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(arguments[0], arguments)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    return pid, fd


def drain(descriptors):
    import select
    ready, _, _ = select.select(descriptors, [], [], 0)
    for fd in ready:
        try:
            os.read(fd, 1 << 16)
        except OSError:
            pass


def settle(seconds, descriptors):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        drain(descriptors)
        time.sleep(0.05)


def row(name, readings):
    count = len(readings)
    total = {key: sum(reading[key] for reading in readings) for key in ["rss", "pss", "private", "anonymous"]}
    each = {key: value / count / 1024 for key, value in total.items()}
    print(f"  {name:<34} {count:>3} {each['rss']:>9.1f} {each['pss']:>9.1f} {each['private']:>9.1f} {each['anonymous']:>9.1f}"
          f" {total['pss'] / 1024:>10.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cockpits", type=int, default=10)
    parser.add_argument("--settle", type=float, default=20)
    arguments = parser.parse_args()
    print("building flightdeck (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "flightdeck")
    scratch = tempfile.mkdtemp(prefix="flightdeck-sessions-")
    output = open(os.path.join(scratch, "demo.out"), "w+")
    demo = subprocess.Popen([binary, "demo", "--headless"], stdout=output, stderr=subprocess.STDOUT)
    processes = []
    try:
        deadline = time.monotonic() + 60
        plan = None
        while plan is None and time.monotonic() < deadline:
            time.sleep(0.2)
            with open(output.name) as f:
                plan = next((line.split()[1] for line in f if line.startswith("Plan: ")), None)
        if plan is None:
            raise SystemExit("the demo printed no plan")

        watch = subprocess.Popen([binary, "watch", plan], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(watch.pid)
        one = in_terminal([binary, plan])
        processes.append(one[0])
        settle(arguments.settle, [one[1]])
        readings = {"demo (servers and its watch)": [rollup(demo.pid)], "watch": [rollup(watch.pid)], "cockpit, alone": [rollup(one[0])]}

        many = [in_terminal([binary, plan]) for _ in range(arguments.cockpits)]
        processes += [pid for pid, _ in many]
        settle(arguments.settle, [one[1]] + [fd for _, fd in many])
        readings[f"cockpits, {arguments.cockpits + 1} at once"] = [rollup(one[0])] + [rollup(pid) for pid, _ in many]

        if shutil.which("prometheus-blackbox-exporter"):
            port = free_port()
            config = os.path.join(scratch, "blackbox.yml")
            with open(config, "w") as f:
                f.write("modules:\n  http_2xx:\n    prober: http\n")
            blackbox = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(blackbox.pid)
            wait_listening(port)
            time.sleep(2)
            readings["blackbox_exporter, idle (the peer)"] = [rollup(blackbox.pid)]

        print(f"\nMemory per process on the demo launch (MiB; after {arguments.settle:g} s)")
        print(f"  {'':<34} {'n':>3} {'RSS':>9} {'PSS':>9} {'private':>9} {'anon':>9} {'PSS, all':>10}")
        for name, values in readings.items():
            row(name, values)
        alone = readings["cockpit, alone"][0]
        crowd = readings[f"cockpits, {arguments.cockpits + 1} at once"]
        print(f"\n  each further cockpit costs the host about {sum(r['private'] for r in crowd) / len(crowd) / 1024:.1f} MiB private; "
              f"one alone shows {alone['rss'] / 1024:.1f} MiB RSS, of which {alone['private'] / 1024:.1f} MiB is its own")
    finally:
        for pid in processes:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in processes:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
