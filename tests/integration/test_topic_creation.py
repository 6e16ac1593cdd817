#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The daemon's topic check at start, against the Kafka protocol test double
(tests/kafka/kafka_double.py; librdkafka's mock cluster has no CreateTopics).

The double holds "short" with 2 partitions; parsed_recipes is missing and
may be created, raw_recipes is missing and refused (TOPIC_AUTHORIZATION_
FAILED), "wide" (a consumer topic) is missing and refused by policy. The
daemon runs with [producer] partitions = 12 and replication_factor = 1 and
must log, on stderr with the syslog priority prefix (the journal fields,
MESSAGE_ID included, only go to the journal):

- <5> Created Kafka topic parsed_recipes with 12 partitions, replication factor 1
- <4> Kafka topic short has 2 partitions, fewer than [producer] partitions = 12 ...
- <3> Cannot create Kafka topic raw_recipes: TOPIC_AUTHORIZATION_FAILED: ...;
  this client may not create topics. ... (ACL operation CREATE)
- <3> Cannot create Kafka topic wide: POLICY_VIOLATION: ...; the cluster's
  topic creation policy refused it. ... (no ACL advice)

and the double must have been asked for exactly the three missing topics,
with 12 partitions, replication factor 1, and max.message.bytes on the raw
one. The double implements no Produce: the daemon's producer cannot deliver
(it may even stop on a fatal error, the double lacking idempotence
support); only the check is asserted. The daemon is then stopped with
SIGTERM; everything is bounded.

usage: test_topic_creation.py BINARY KAFKA_DOUBLE
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 60
PAGE_BYTES = 1 << 20
RAW_OVERHEAD = 65536  # src/kafka/topics.c RAW_OVERHEAD_BYTES


CONFIG = """[daemon]
state_dir = {dir}/state
shutdown_timeout_s = 2
[scraper]
start_urls = http://127.0.0.1:9/
allow_private_addresses = on
max_page_bytes = {page}
[kafka]
brokers = 127.0.0.1:{port}
[producer]
topic = parsed_recipes
raw_topic = raw_recipes
partitions = 12
replication_factor = 1
[consumer]
enabled = on
group_id = topic-creation
topics = parsed_recipes, short, wide
[journal]
sink = stdout
"""

WANTED = {
    "<5>Created Kafka topic parsed_recipes with 12 partitions, replication factor 1",
    "<4>Kafka topic short has 2 partitions, fewer than [producer] partitions = 12",
    "<3>Cannot create Kafka topic raw_recipes: TOPIC_AUTHORIZATION_FAILED: Not authorized to "
    "create raw_recipes; this client may not create topics.",
    "<3>Cannot create Kafka topic wide: POLICY_VIOLATION: Topic names may not be wide; "
    "the cluster's topic creation policy refused it.",
}


def read_lines(proc, deadline, wanted):
    """stderr lines of proc until every wanted prefix was seen, proc ended,
    or the deadline passed."""
    lines, buf = [], b""
    while any(not any(l.startswith(w) for l in lines) for w in wanted):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([proc.stderr], [], [], left)[0]:
            break
        chunk = os.read(proc.stderr.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [l.decode(errors="replace") for l in done]
    return lines


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the daemon did not stop within 20 s of SIGTERM")


def run_daemon(binary, port, deadline):
    """The daemon's stderr lines, up to the wanted ones; it is stopped."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rsd.ini")
        with open(path, "w") as f:
            f.write(CONFIG.format(dir=tmp, page=PAGE_BYTES, port=port))
        env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET")}
        proc = subprocess.Popen([binary, "-c", path], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            return read_lines(proc, deadline, WANTED)
        finally:
            stop(proc)


def problems(lines, asked):
    """What is wrong with the daemon's log lines and the topics the double
    was asked to create."""
    out = ["no log line " + w for w in sorted(WANTED) if not any(l.startswith(w) for l in lines)]
    refusals = {t: [l for l in lines if l.startswith("<3>Cannot create Kafka topic " + t + ":")]
                for t in ("raw_recipes", "wide")}
    if not all("ACL operation CREATE" in l for l in refusals["raw_recipes"]):
        out.append("the authorization refusal does not say how to allow it")
    if not all("ACL" not in l and "settings the policy accepts" in l for l in refusals["wide"]):
        out.append("the policy refusal points elsewhere than the policy")
    requests = [a for a in asked if "name" in a]
    if sorted(a["name"] for a in requests) != ["parsed_recipes", "raw_recipes", "wide"]:
        out.append("asked to create %s" % requests)
    for a in requests:
        want = {"max.message.bytes": str(PAGE_BYTES + RAW_OVERHEAD)} if a["name"] == "raw_recipes" else {}
        if (a["partitions"], a["replication_factor"], a["configs"]) != (12, 1, want):
            out.append("request %s" % a)
    return out


def main():
    binary, double = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + DEADLINE_S
    dbl = subprocess.Popen(
        [sys.executable, double, "--timeout", str(DEADLINE_S + 30), "--topic", "short:2",
         "--refuse", "raw_recipes:29:Not authorized to create raw_recipes.",
         "--refuse", "wide:44:Topic names may not be wide."],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = int(dbl.stdout.readline().split()[1])
        lines = run_daemon(binary, port, deadline)
    finally:
        dbl.stdin.close()  # ends the double
    asked = [json.loads(l) for l in dbl.stdout.read().decode().splitlines()]
    dbl.wait(timeout=10)
    found = problems(lines, asked)
    for p in found:
        print("FAIL:", p)
    if found:
        print("daemon stderr:\n" + "\n".join(lines), flush=True)
    print("%d failure(s)" % len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
