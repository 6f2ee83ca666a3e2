"""Helpers shared by the benchmarks: free ports, certificates, nginx, blackbox_exporter,
process CPU and memory readings, and the table they print."""
import collections
import contextlib
import glob
import os
import pwd
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def require(*tools):
    """Exits with the install hint when a tool the benchmark compares with is missing."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: run scripts/install-deps --bench")


LoopbackNginx = collections.namedtuple("LoopbackNginx", "directory http_port https_port ca pid")


@contextlib.contextmanager
def nginx_on_loopback(prefix):
    """A scratch directory with certificates and nginx serving /p/ over HTTP and HTTPS, as a
    LoopbackNginx; everything is stopped and removed after."""
    directory = tempfile.mkdtemp(prefix=prefix)
    nginx = None
    try:
        make_certificates(directory)
        http_port, https_port = free_port(), free_port()
        nginx = start_nginx(directory, http_port, https_port)
        yield LoopbackNginx(directory, http_port, https_port, os.path.join(directory, "ca.pem"), nginx.pid)
    finally:
        if nginx:
            nginx.kill()
            nginx.wait()
        shutil.rmtree(directory, ignore_errors=True)


def build_bench():
    """Builds flightdeck-bench in release mode and returns its path."""
    print("building flightdeck-bench (release)...", flush=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "flightdeck-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build", "release", "flightdeck-bench")


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


def run_measured(command, environment=None):
    """Runs a command to completion, with `environment` added to this one's; returns
    (stdout, stderr, wall seconds)."""
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **environment} if environment else None)
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


def smaps_rollup(pid):
    """/proc/PID/smaps_rollup's totals in KiB, by name (Rss, Pss, Anonymous, Private_Dirty...)."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            fields = line.split()
            if len(fields) >= 3 and fields[2] == "kB":
                values[fields[0].rstrip(":")] = int(fields[1])
    return values


def proc_peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def make_certificates(directory):
    """A CA and a leaf for 127.0.0.1 and bench.test, valid 90 days: long enough that an
    inspection passes (a leaf within the warning window would be judged a warning)."""
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "90", "-subj", "/CN=bench CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:bench.test\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "90", "-extfile", "server.ext")


def start_nginx(directory, http_port, https_port):
    """nginx answering /p/ with 200 over HTTP and HTTPS (the certificates in `directory`)."""
    return run_nginx(directory, f"""
  server {{ listen 127.0.0.1:{http_port} backlog=4096; location /p/ {{ return 200 "ok\\n"; }} }}
  server {{ listen 127.0.0.1:{https_port} ssl backlog=4096;
    ssl_certificate {directory}/server.pem; ssl_certificate_key {directory}/server.key;
    location /p/ {{ return 200 "ok\\n"; }} }}""", [http_port, https_port])


def run_nginx(directory, http_body, ports):
    """nginx in the foreground, one process, no access log, its scratch files in `directory`,
    with `http_body` inside its http block; returns once each of `ports` accepts."""
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
{http_body}
}}
"""
    path = os.path.join(directory, "nginx.conf")
    with open(path, "w") as f:
        f.write(config)
    process = subprocess.Popen(["nginx", "-p", directory, "-c", path, "-e", f"{directory}/error.log"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for port in ports:
        wait_listening(port)
    return process


class Blackbox:
    """A running blackbox_exporter, driven by curl --parallel; only the exporter is measured."""

    def __init__(self, targets, concurrency, directory, module, config_text):
        """`config_text` is the module's YAML body; `targets` are what each probe is given."""
        self.port = free_port()
        self.concurrency = concurrency
        self.directory = directory
        config = os.path.join(directory, f"{module}.yml")
        with open(config, "w") as f:
            f.write(f"modules:\n  {module}:\n{config_text}")
        self.process = subprocess.Popen(["prometheus-blackbox-exporter", f"--config.file={config}",
                                         f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=error"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port)
        self.probe_urls = [f"http://127.0.0.1:{self.port}/probe?module={module}&target={target}" for target in targets]
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


def wait_for_udp_dns(host, port):
    """Until a DNS server answers on host:port over UDP (any answer to a query for `.` SOA)."""
    query = bytes.fromhex("abcd01000001000000000000000006" "0001")
    deadline = time.time() + 10
    while time.time() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, (host, port))
                s.recv(512)
                return
            except OSError:
                time.sleep(0.05)
    sys.exit(f"knot did not answer on {host}:{port}")


def start_knot(directory, port, addresses, single_worker=False):
    """knotd serving bench.test. from DIRECTORY/bench.test.zone on each address at port, once it answers."""
    listen = ", ".join(f'"{address}@{port}"' for address in addresses)
    workers = "    udp-workers: 1\n    tcp-workers: 1\n" if single_worker else ""
    with open(os.path.join(directory, "knot.conf"), "w") as f:
        f.write(f"""server:
    rundir: "{directory}"
    listen: [ {listen} ]
{workers}log:
  - target: stderr
    any: error
database:
    storage: "{directory}"
template:
  - id: default
    storage: "{directory}"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: bench.test.
    file: "bench.test.zone"
""")
    process = subprocess.Popen(["knotd", "-c", os.path.join(directory, "knot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_udp_dns(addresses[0], port)
    return process


@contextlib.contextmanager
def postgresql():
    """A fresh cluster (trust on loopback) run as the postgres user: its URL and its postmaster's pid."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    directory = tempfile.mkdtemp(prefix="flightdeck-journal-bench-pg-")
    account = pwd.getpwnam("postgres")
    os.chown(directory, account.pw_uid, account.pw_gid)
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]
    subprocess.run(as_postgres + [f"{binaries}/initdb", "-D", f"{directory}/data", "-U", "bench", "-A", "trust", "--no-sync"],
                   check=True, capture_output=True, cwd=directory)
    port = free_port()
    server = subprocess.Popen(as_postgres + [f"{binaries}/postgres", "-D", f"{directory}/data", "-k", directory, "-p", str(port),
                                             "-c", "listen_addresses=127.0.0.1", "-c", "synchronous_commit=off"],
                              stderr=subprocess.DEVNULL, cwd=directory)
    try:
        wait_listening(port, seconds=30)
        yield f"postgresql://bench@127.0.0.1:{port}/postgres", server.pid
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


def cpu_with_children(pid):
    """CPU seconds of a process, of the children it has reaped (the postmaster reaps each
    backend), and of those still running (its background writers, open sessions)."""
    def fields(process):
        with open(f"/proc/{process}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    total = sum(int(value) for value in fields(pid)[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                child = fields(entry)
                if child[1] == str(pid):
                    total += int(child[11]) + int(child[12])
    return total / os.sysconf("SC_CLK_TCK")
