#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The cost of cluster mode against single-node on the same crawl.

One daemon crawls HOSTS x PAGES recipe pages (127.0.0.1 .. 127.0.0.HOSTS,
one threaded Python server each, an index on the first) into a standalone
`recipe-scraperd broker`, once single-node and once with [cluster]
frontier_topic set (every URL then makes the round trip through the
frontier topic and every settled page writes its state), rounds
interleaved so that the machine's load hits both alike. Each run has
topics of its own. Reported per mode (median of the rounds): wall time from
the start to the last record written by the daemon's own consumer, CPU
time of the daemon at that point (utime + stime), and the crawl phase: first
to last recipe request seen by the servers.

Usage: bench/cluster.py [--binary build/recipe-scraperd] [--rounds 3]
"""

import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HOSTS = 6
PAGES = 100
RECIPE = """<!doctype html><html><head><meta charset="utf-8"><title>R{i}</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Recipe",
"name":"Bench Recipe {i}","recipeIngredient":["{i} g flour","1 egg"],
"recipeInstructions":[{{"@type":"HowToStep","text":"Mix and bake."}}],
"nutrition":{{"@type":"NutritionInformation","calories":"{i} kcal"}}}}</script>
</head><body><h1>Bench Recipe {i}</h1></body></html>"""


class Site:
    """HOSTS threaded servers; request times of recipe pages are kept."""

    def __init__(self):
        self.times = []
        self.lock = threading.Lock()
        self.servers = []
        pages = {}
        links = []
        for k in range(HOSTS):
            srv = http.server.ThreadingHTTPServer(("127.0.0.%d" % (k + 1), 0), self.handler(pages))
            self.servers.append(srv)
            port = srv.server_address[1]
            for i in range(PAGES):
                n = k * PAGES + i
                pages[("127.0.0.%d" % (k + 1), "/r%d.html" % n)] = RECIPE.format(i=n).encode()
                links.append('<a href="http://127.0.0.%d:%d/r%d.html">%d</a>' % (k + 1, port, n, n))
        pages[("127.0.0.1", "/")] = ("<html><body>%s</body></html>" % "".join(links)).encode()
        self.start_url = "http://127.0.0.1:%d/" % self.servers[0].server_address[1]
        self.allowed = " ".join("127.0.0.%d" % (k + 1) for k in range(HOSTS))
        for srv in self.servers:
            threading.Thread(target=srv.serve_forever, daemon=True).start()

    def handler(self, pages):
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get((self.server.server_address[0], self.path))
                if self.path != "/":
                    with site.lock:
                        site.times.append(time.monotonic())
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        return Handler


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def config(site, workdir, run, cluster, bootstrap):
    text = f"""[daemon]
state_dir = {workdir}/state-{run}
[scraper]
start_urls = {site.start_url}
allowed_hosts = {site.allowed}
allow_private_addresses = on
robots = off
delay_ms = 0
threads = 2
max_connections = 16
max_connections_per_host = 4
recrawl_interval_s = 3600
[ring]
capacity = 256
[kafka]
brokers = {bootstrap}
session.timeout.ms = 6000
heartbeat.interval.ms = 500
[producer]
topic = recipes_{run}
raw_topic =
[consumer]
group_id = records_{run}
[journal]
sink = stdout
"""
    if cluster:
        text += f"""[cluster]
frontier_topic = frontier_{run}
state_topic = state_{run}
group_id = crawl_{run}
"""
    path = f"{workdir}/{run}.ini"
    with open(path, "w") as f:
        f.write(text)
    return path


def run_once(binary, site, broker, workdir, run, cluster):
    for topic in [f"recipes_{run}"] + ([f"frontier_{run}", f"state_{run}"] if cluster else []):
        broker.stdin.write(f"topic {topic} {12 if cluster and topic != f'recipes_{run}' else 6}\n")
        broker.stdin.flush()
        assert broker.stdout.readline().strip() == "ok"
    ini = config(site, workdir, run, cluster, broker.bootstrap)
    # The daemon's own file description: a shared one would share the
    # offset that reading moves.
    out = open(f"{workdir}/{run}.jsonl", "w")
    with site.lock:
        site.times.clear()
    t0 = time.monotonic()
    err = open(f"{workdir}/{run}.log", "w")
    proc = subprocess.Popen([binary, "-c", ini], stdout=out, stderr=err)
    want = HOSTS * PAGES
    deadline = t0 + 120
    while time.monotonic() < deadline:
        with open(f"{workdir}/{run}.jsonl") as lines:
            if sum(1 for _ in lines) >= want:
                break
        time.sleep(0.05)
    wall = time.monotonic() - t0
    cpu = cpu_seconds(proc.pid)
    proc.terminate()
    proc.wait(60)
    with site.lock:
        crawl = max(site.times) - min(site.times) if site.times else float("nan")
        fetched = len(site.times)
    return {"wall": wall, "cpu": cpu, "crawl": crawl, "fetched": fetched}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build/recipe-scraperd")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    site = Site()
    broker = subprocess.Popen([args.binary, "broker", "--stdin-commands"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    broker.bootstrap = broker.stdout.readline().strip()
    results = {"single-node": [], "cluster": []}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as workdir:
        for r in range(args.rounds):
            for mode in results:
                results[mode].append(run_once(args.binary, site, broker, workdir,
                                              f"{mode.replace('-', '')}{r}", mode == "cluster"))
    broker.stdin.close()
    broker.wait(30)
    pages = HOSTS * PAGES
    print(f"{pages} recipe pages on {HOSTS} hosts, one daemon, standalone broker, "
          f"{args.rounds} interleaved rounds; load average {load[0]:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")
    print("| mode | wall s (to last record written) | crawl phase s | CPU s | CPU ms/page | pages fetched |")
    print("|---|--:|--:|--:|--:|--:|")
    med = {}
    for mode, rs in results.items():
        m = {k: statistics.median(r[k] for r in rs) for k in ("wall", "crawl", "cpu", "fetched")}
        med[mode] = m
        print(f"| {mode} | {m['wall']:.2f} ({min(r['wall'] for r in rs):.2f}..{max(r['wall'] for r in rs):.2f}) "
              f"| {m['crawl']:.2f} | {m['cpu']:.2f} | {1000 * m['cpu'] / pages:.2f} | {m['fetched']:.0f} |")
    s, c = med["single-node"], med["cluster"]
    print(f"cluster / single-node: wall {c['wall'] / s['wall']:.2f}x, crawl phase "
          f"{c['crawl'] / s['crawl']:.2f}x, CPU {c['cpu'] / s['cpu']:.2f}x")
    json.dump(results, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
