#!/usr/bin/env python3
"""HTTP probe benchmark: Flightdeck beside blackbox_exporter and curl --parallel.

All three probe the same 200 loopback URLs served by one nginx, plain HTTP and then HTTPS,
a new connection (and a full TLS handshake) per probe, 32 in flight. For each it prints
probes per second, CPU seconds per 1,000 probes, peak RSS, and the CPU ratio to Flightdeck.

    python3 Benchmarks/http-probes.py [--rounds-http 10] [--rounds-https 5] [--concurrency 32]

It builds flightdeck-bench in release mode first. Needs nginx, openssl, curl and
prometheus-blackbox-exporter (scripts/install-deps --bench installs them).
"""
import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URL_COUNT = 200


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listening on 127.0.0.1:{port}")


def run_measured(command):
    """Runs a command to completion; returns (stdout, stderr, wall seconds)."""
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr}")
    return result.stdout, result.stderr, wall


def child_rusage_delta(before):
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, after.ru_maxrss


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def make_certificates(directory):
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext")


def start_nginx(directory, http_port, https_port):
    for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"]:
        os.makedirs(os.path.join(directory, "tmp", sub), exist_ok=True)
    config = f"""
daemon off; master_process off; worker_processes 1;
pid {directory}/nginx.pid; error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {directory}/tmp/body; proxy_temp_path {directory}/tmp/proxy;
  fastcgi_temp_path {directory}/tmp/fastcgi; uwsgi_temp_path {directory}/tmp/uwsgi; scgi_temp_path {directory}/tmp/scgi;
  server {{ listen 127.0.0.1:{http_port} backlog=4096; location /p/ {{ return 200 "ok\\n"; }} }}
  server {{ listen 127.0.0.1:{https_port} ssl backlog=4096;
    ssl_certificate {directory}/server.pem; ssl_certificate_key {directory}/server.key;
    location /p/ {{ return 200 "ok\\n"; }} }}
}}
"""
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write(config)
    process = subprocess.Popen(["nginx", "-p", directory, "-c", path, "-e", f"{directory}/error.log"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(http_port)
    wait_listening(https_port)
    return process


def bench_flightdeck(binary, urls_file, rounds, concurrency, ca):
    command = [binary, "http", urls_file, str(rounds), str(concurrency)] + ([ca] if ca else [])
    stdout, stderr, _ = run_measured(command)
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["failures"]:
        print(f"  warning: flightdeck saw {result['failures']} failures: {stderr.strip()}")
    return result["probes"], result["seconds"], result["cpu_seconds"], result["peak_rss_kib"]


def bench_curl(urls, rounds, concurrency, ca, directory):
    config = os.path.join(directory, "curl.config")
    with open(config, "w") as f:
        for _ in range(rounds):
            for url in urls:
                f.write(f'url = "{url}"\noutput = "/dev/null"\n')
    command = ["curl", "--parallel", "--parallel-max", str(concurrency), "--no-sessionid", "--no-progress-meter", "--fail",
               "-H", "Connection: close", "-K", config] + (["--cacert", ca] if ca else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, _, wall = run_measured(command)
    cpu, _ = child_rusage_delta(before)
    # RUSAGE_CHILDREN's maxrss is the largest child so far; run curl alone to read its own.
    return rounds * len(urls), wall, cpu, peak_rss_of(command)


def peak_rss_of(command):
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True)
    return int(result.stderr.strip().splitlines()[-1])


class Blackbox:
    """A running blackbox_exporter, driven by curl --parallel; only the exporter is measured."""

    def __init__(self, urls, concurrency, ca, directory, module):
        self.port = free_port()
        self.concurrency = concurrency
        self.directory = directory
        config = os.path.join(directory, f"{module}.yml")
        tls = f"\n      tls_config:\n        ca_file: {ca}" if ca else ""
        with open(config, "w") as f:
            f.write(f"modules:\n  {module}:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4{tls}\n")
        self.process = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={config}",
                                         f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=error"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port)
        self.probe_urls = [f"http://127.0.0.1:{self.port}/probe?module={module}&target={url}" for url in urls]
        sample = urllib.request.urlopen(self.probe_urls[0]).read().decode()
        if "probe_success 1" not in sample:
            self.stop()
            sys.exit(f"blackbox_exporter probe failed:\n{sample}")
        self.drive(1)  # warm-up, as for Flightdeck

    def drive(self, rounds):
        driver = os.path.join(self.directory, "driver.config")
        with open(driver, "w") as f:
            for _ in range(rounds):
                for url in self.probe_urls:
                    f.write(f'url = "{url}"\noutput = "/dev/null"\n')
        subprocess.run(["curl", "--parallel", "--parallel-max", str(self.concurrency), "--no-progress-meter", "--fail",
                        "-K", driver], check=True, stdout=subprocess.DEVNULL)

    def bench(self, rounds):
        cpu_before = proc_cpu_seconds(self.process.pid)
        start = time.monotonic()
        self.drive(rounds)
        wall = time.monotonic() - start
        cpu = proc_cpu_seconds(self.process.pid) - cpu_before
        return rounds * len(self.probe_urls), wall, cpu, proc_peak_rss_kib(self.process.pid)

    def stop(self):
        self.process.kill()
        self.process.wait()


def median_run(runs):
    """The run with the median CPU per probe, so the row is one real measurement."""
    ordered = sorted(runs, key=lambda run: run[2] / run[0])
    return ordered[len(ordered) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds-http", type=int, default=10)
    parser.add_argument("--rounds-https", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs per tool; the median is shown")
    arguments = parser.parse_args()

    for tool in ["nginx", "openssl", "curl", "prometheus-blackbox-exporter", "/usr/bin/time"]:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run scripts/install-deps --bench")
    print("building flightdeck-bench (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "flightdeck-bench")

    directory = tempfile.mkdtemp(prefix="flightdeck-bench-")
    nginx = None
    try:
        make_certificates(directory)
        http_port, https_port = free_port(), free_port()
        nginx = start_nginx(directory, http_port, https_port)
        ca = os.path.join(directory, "ca.pem")
        for scheme, port, rounds, tls in [("http", http_port, arguments.rounds_http, False),
                                          ("https", https_port, arguments.rounds_https, True)]:
            urls = [f"{scheme}://127.0.0.1:{port}/p/{i}" for i in range(URL_COUNT)]
            urls_file = os.path.join(directory, f"{scheme}.urls")
            with open(urls_file, "w") as f:
                f.write("\n".join(urls))
            cafile = ca if tls else None
            blackbox = Blackbox(urls, arguments.concurrency, cafile, directory, f"{scheme}_2xx")
            runs = {"flightdeck": [], "blackbox_exporter": [], "curl --parallel": []}
            try:
                # Interleaved repeats: the machine's other load falls on every tool alike.
                for _ in range(arguments.repeats):
                    runs["flightdeck"].append(bench_flightdeck(binary, urls_file, rounds, arguments.concurrency, cafile))
                    runs["blackbox_exporter"].append(blackbox.bench(rounds))
                    runs["curl --parallel"].append(bench_curl(urls, rounds, arguments.concurrency, cafile, directory))
            finally:
                blackbox.stop()
            flightdeck, blackbox_row, curl = (median_run(runs[name]) for name in runs)
            rows = [("flightdeck", *flightdeck), ("blackbox_exporter", *blackbox_row), ("curl --parallel", *curl)]
            per = {name: cpu / probes * 1000 for name, probes, _, cpu, _ in rows}
            rate = {name: probes / seconds for name, probes, seconds, _, _ in rows}
            limit = 1.5 if scheme == "http" else 1.2
            targets = [
                f"target: CPU within {limit}x of curl --parallel: {per['flightdeck'] / per['curl --parallel']:.2f}x",
                f"target: at least blackbox_exporter's probes/s: {rate['flightdeck'] / rate['blackbox_exporter']:.2f}x",
            ]
            print_table(f"{scheme.upper()}: {URL_COUNT} URLs x {rounds} rounds, {arguments.concurrency} in flight, "
                        f"a new connection per probe; median of {arguments.repeats} interleaved runs", rows, targets)
    finally:
        if nginx:
            nginx.kill()
            nginx.wait()
        shutil.rmtree(directory, ignore_errors=True)


def print_table(title, rows, targets):
    print(f"\n{title}")
    print(f"  {'tool':<20} {'probes':>7} {'probes/s':>10} {'CPU s/1000':>11} {'peak RSS':>12} {'CPU vs flightdeck':>18}")
    base = rows[0][3] / rows[0][1] * 1000
    for name, probes, seconds, cpu, rss in rows:
        per_thousand = cpu / probes * 1000
        print(f"  {name:<20} {probes:>7} {probes / seconds:>10.0f} {per_thousand:>11.3f} {rss / 1024:>8.1f} MiB"
              f" {per_thousand / base:>17.2f}x")
    for line in targets:
        print(f"  {line}")


if __name__ == "__main__":
    main()
