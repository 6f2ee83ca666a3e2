#!/usr/bin/env python3
"""Evidence benchmark: one poll of 50 AWS resource checks against moto, Flightdeck beside
the AWS CLI making the same read-only calls; and a JUnit report of 10,000 test cases read
by Flightdeck beside Python's ElementTree (what junitparser and most CI scripts use).

The AWS CLI runs one process per call, as a shell script checking a launch would, with the
same concurrency as Flightdeck's poll (32). Both sides make the calls each check needs:
RDS DescribeDBInstances; SSM DescribeParameters; S3 GetBucketEncryption,
GetPublicAccessBlock and GetBucketReplication; ECS DescribeServices and ListTasks;
CloudWatch DescribeAlarms and SNS ListSubscriptionsByTopic.

    python3 Benchmarks/evidence.py [--runs 3] [--cases 10000]
"""
import argparse
import concurrent.futures
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

from benchlib import build_bench, free_port, require, wait_listening

CHECKS_PER_KIND = 10


def setup(endpoint):
    """Ten resources of each of five kinds, made through boto3 (moto's own client)."""
    import boto3
    kwargs = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    rds, ssm, s3, ecs, cloudwatch, sns = (boto3.client(name, **kwargs) for name in ("rds", "ssm", "s3", "ecs", "cloudwatch", "sns"))
    topic = sns.create_topic(Name="bench-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@bench.test")
    ecs.create_cluster(clusterName="bench")
    ecs.register_task_definition(family="api", containerDefinitions=[{"name": "api", "image": "nginx", "memory": 128}])
    for n in range(CHECKS_PER_KIND):
        rds.create_db_instance(DBInstanceIdentifier=f"db-{n}", DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="app",
                               MasterUserPassword="correct-horse-1", AllocatedStorage=20, BackupRetentionPeriod=30, MultiAZ=True,
                               StorageEncrypted=True)
        ssm.put_parameter(Name=f"/bench/param-{n}", Value="x", Type="SecureString")
        s3.create_bucket(Bucket=f"bench-media-{n}")
        ecs.create_service(cluster="bench", serviceName=f"svc-{n}", taskDefinition="api", desiredCount=2)
        cloudwatch.put_metric_alarm(AlarmName=f"alarm-{n}", MetricName="5XXError", Namespace="AWS/ApplicationELB", Statistic="Sum",
                                    Period=60, EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold",
                                    AlarmActions=[topic])


def plan_text(endpoint):
    checks = []
    for n in range(CHECKS_PER_KIND):
        checks += [f"    - {{ id: rds-{n}, resource: rds-instance, instance: db-{n}, backup_retention_days: 30 }}",
                   f"    - {{ id: ssm-{n}, resource: ssm-parameters, names: [/bench/param-{n}] }}",
                   f"    - {{ id: s3-{n}, resource: s3-bucket, bucket: bench-media-{n}, replication_to: bench-dr }}",
                   f"    - {{ id: ecs-{n}, resource: ecs-service, cluster: bench, service: svc-{n} }}",
                   f"    - {{ id: alarm-{n}, resource: cloudwatch-alarms, alarms: [alarm-{n}] }}"]
    return ("launch: { name: bench, zone: bench.test, t0: 2030-01-01T00:00Z, timezone: UTC }\n"
            f"polling: {{ concurrency: 32, timeout: 10s }}\naws:\n  region: us-east-1\n  endpoint: \"{endpoint}\"\n  checks:\n"
            + "\n".join(checks) + "\n")


def cli_calls(endpoint):
    """The AWS CLI commands the same checks need, one process each."""
    base = ["aws", "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"]
    topic = "arn:aws:sns:us-east-1:123456789012:bench-alerts"
    calls = []
    for n in range(CHECKS_PER_KIND):
        calls += [base + ["rds", "describe-db-instances", "--db-instance-identifier", f"db-{n}"],
                  base + ["ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Option=Equals,Values=/bench/param-{n}"],
                  base + ["s3api", "get-bucket-encryption", "--bucket", f"bench-media-{n}"],
                  base + ["s3api", "get-public-access-block", "--bucket", f"bench-media-{n}"],
                  base + ["s3api", "get-bucket-replication", "--bucket", f"bench-media-{n}"],
                  base + ["ecs", "describe-services", "--cluster", "bench", "--services", f"svc-{n}"],
                  base + ["ecs", "list-tasks", "--cluster", "bench", "--service-name", f"svc-{n}", "--desired-status", "STOPPED"],
                  base + ["cloudwatch", "describe-alarms", "--alarm-names", f"alarm-{n}"],
                  base + ["sns", "list-subscriptions-by-topic", "--topic-arn", topic]]
    return calls


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(calls, environment):
    before = children_cpu()
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda call: subprocess.run(call, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), calls))
    return time.monotonic() - start, children_cpu() - before


def run_flightdeck(bench, plan, environment):
    before = children_cpu()
    start = time.monotonic()
    out = subprocess.run([bench, "aws", plan], env=environment, check=True, capture_output=True, text=True).stdout
    return time.monotonic() - start, children_cpu() - before, json.loads(out)


def junit_file(directory, cases):
    path = os.path.join(directory, "junit.xml")
    rng = random.Random(7)
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="bench">\n')
        for suite in range(cases // 100):
            out.write(f'  <testsuite name="suite{suite}" tests="100">\n')
            for case in range(100):
                name = f'test_endpoint_{suite}_{case}'
                if rng.random() < 0.03:
                    out.write(f'    <testcase classname="tests.api.s{suite}" name="{name}" time="0.01"><failure message="assert 500 == 200">'
                              f'Traceback: expected 200 &lt;OK&gt;, got 500</failure></testcase>\n')
                else:
                    out.write(f'    <testcase classname="tests.api.s{suite}" name="{name}" time="0.01"/>\n')
            out.write("  </testsuite>\n")
        out.write("</testsuites>\n")
    return path


PEER_JUNIT = r"""
import resource, sys, time, xml.etree.ElementTree as ET
start = time.process_time()
root = ET.parse(sys.argv[1]).getroot()
passed = failed = skipped = 0
names = []
for case in root.iter("testcase"):
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
        names.append(case.get("classname", "") + "." + case.get("name", ""))
    elif case.find("skipped") is not None:
        skipped += 1
    else:
        passed += 1
print(passed, failed, skipped, (time.process_time() - start) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    require("moto_server", "aws")
    bench = build_bench()
    directory = tempfile.mkdtemp(prefix="flightdeck-evidence-")
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, 30)
        endpoint = f"http://127.0.0.1:{port}"
        setup(endpoint)
        plan = os.path.join(directory, "aws.yaml")
        with open(plan, "w") as out:
            out.write(plan_text(endpoint))
        environment = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_PAGER="")
        calls = cli_calls(endpoint)
        flightdeck, peer, statuses = [], [], {}
        for _ in range(args.runs):
            wall, cpu, result = run_flightdeck(bench, plan, environment)
            flightdeck.append((wall, cpu))
            statuses = result["statuses"]
            peer.append(run_cli(calls, environment))
        fd_wall, fd_cpu = (statistics.median(x) for x in zip(*flightdeck))
        cli_wall, cli_cpu = (statistics.median(x) for x in zip(*peer))
        print(f"\nOne poll of 50 AWS checks against moto ({len(calls)} API calls), median of {args.runs}:")
        print(f"  {'':12} {'wall s':>8} {'CPU s':>8}")
        print(f"  {'flightdeck':12} {fd_wall:8.3f} {fd_cpu:8.3f}   statuses: {statuses}")
        print(f"  {'aws CLI':12} {cli_wall:8.3f} {cli_cpu:8.3f}")
        print(f"  ratio (flightdeck / aws CLI): wall {fd_wall / cli_wall:.3f}x, CPU {fd_cpu / cli_cpu:.3f}x")

        junit = junit_file(directory, args.cases)
        ours = json.loads(subprocess.run([bench, "junit", junit], check=True, capture_output=True, text=True).stdout)
        theirs = subprocess.run(["python3", "-c", PEER_JUNIT, junit], check=True, capture_output=True, text=True).stdout.split()
        print(f"\nA JUnit report of {args.cases} test cases ({os.path.getsize(junit) >> 10} KiB):")
        print(f"  {'':12} {'passed':>7} {'failed':>7} {'CPU ms':>8} {'peak RSS MiB':>13}")
        print(f"  {'flightdeck':12} {ours['passed']:7} {ours['failed']:7} {ours['cpu_ms']:8.1f} {ours['peak_rss_kib'] / 1024:13.1f}")
        print(f"  {'ElementTree':12} {theirs[0]:>7} {theirs[1]:>7} {float(theirs[3]):8.1f} {int(theirs[4]) / 1024:13.1f}")
        print(f"  ratio (flightdeck / ElementTree): CPU {ours['cpu_ms'] / float(theirs[3]):.3f}x, "
              f"memory {ours['peak_rss_kib'] / int(theirs[4]):.3f}x")
        assert (ours["passed"], ours["failed"]) == (int(theirs[0]), int(theirs[1])), "the two readers disagree"
    finally:
        moto.kill()
        moto.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
