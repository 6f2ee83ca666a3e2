#!/usr/bin/env python3
"""DNSSEC benchmark: the cost of verifying one signed record set, Flightdeck beside
ldns-verify-zone, for RSA-2048 (RSASHA256) and ECDSA P-256 (ECDSAP256SHA256).

Each algorithm gets a zone of RECORDS A records signed by ldns-signzone (one key that
signs everything). ldns-verify-zone checks every signature of the signed file; its CPU
less that of ldns-read-zone reading the same file is its cost of verifying, divided by
the file's RRSIG count. Flightdeck's side: knot serves the presigned file on loopback,
flightdeck-bench asks for the DNSKEY set and every A set with DO once, then verifies
every set's signature ROUNDS times as the dns-dnssec check does (canonical form, then
OpenSSL with the key from its DNSKEY record); its CPU is measured inside the process, so
asking is not counted. Three runs each, the median shown.

    python3 Benchmarks/dnssec.py [--records 500] [--rounds 20]

Needs knot and ldnsutils (scripts/install-deps --bench installs them).
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

from benchlib import build_bench, child_rusage_delta, free_port, require, start_knot

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def signed_zone(directory, algorithm, records):
    zone = "bench.test"
    lines = "\n".join(f"r{i} A 127.0.{i // 250}.{i % 250 + 1}" for i in range(records))
    with open(os.path.join(directory, "zone"), "w") as f:
        f.write(f"$ORIGIN {zone}.\n$TTL 300\n@ SOA ns.bench.test. hostmaster.bench.test. 1 60 60 600 60\n"
                f"@ NS ns.bench.test.\nns A 127.0.0.1\n{lines}\n")
    bits = ["-b", "2048"] if algorithm.startswith("RSA") else []
    key = subprocess.run(["ldns-keygen", "-a", algorithm, "-k", *bits, zone], cwd=directory, check=True,
                         capture_output=True, text=True).stdout.strip()
    subprocess.run(["ldns-signzone", "-o", zone, "zone", key], cwd=directory, check=True)
    path = os.path.join(directory, "zone.signed")
    with open(path) as f:
        signatures = sum(1 for line in f if "\tRRSIG\t" in line or " RRSIG " in line)
    return path, signatures


def cpu_of(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return child_rusage_delta(before)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    require("knotd", "ldns-verify-zone", "ldns-read-zone", "ldns-signzone")
    bench = build_bench()
    print(f"\nDNSSEC: CPU per signature verified, {options.records} A records (+ SOA, NS, DNSKEY, NSEC)")
    print(f"  {'algorithm':<18} {'ldns-verify-zone':>17} {'flightdeck':>11} {'flightdeck vs ldns':>19}")
    for algorithm, label in [("RSASHA256", "RSA-2048"), ("ECDSAP256SHA256", "ECDSA P-256")]:
        directory = tempfile.mkdtemp(prefix="flightdeck-dnssec-bench-")
        knot = None
        try:
            signed, signatures = signed_zone(directory, algorithm, options.records)
            ldns = []
            for _ in range(3):
                verify = cpu_of(["ldns-verify-zone", signed])
                read = cpu_of(["ldns-read-zone", signed])
                ldns.append(max(verify - read, 0) / signatures)
            names = os.path.join(directory, "names")
            with open(names, "w") as f:
                f.write("\n".join(f"r{i}.bench.test" for i in range(options.records)) + "\n")
            port = free_port()
            knot_directory = os.path.join(directory, "knot")
            os.makedirs(knot_directory)
            shutil.copy(signed, os.path.join(knot_directory, "bench.test.zone"))
            knot = start_knot(knot_directory, port, ["127.0.0.1"])
            ours = []
            for _ in range(3):
                result = json.loads(subprocess.run([bench, "dnssec", f"127.0.0.1:{port}", "bench.test", names, str(options.rounds)],
                                                   check=True, capture_output=True, text=True).stdout)
                if result["failed"]:
                    sys.exit(f"{result['failed']} signatures did not verify")
                ours.append(result["cpu_seconds"] / result["verified"])
            ldns_median, ours_median = sorted(ldns)[1], sorted(ours)[1]
            print(f"  {label:<18} {ldns_median * 1e6:>14.1f} µs {ours_median * 1e6:>8.1f} µs {ours_median / ldns_median:>18.2f}x")
        finally:
            if knot:
                knot.kill()
                knot.wait()
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
