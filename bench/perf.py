#!/usr/bin/python3
"""recipe-scraperd benchmarks: regenerate the numbers of docs/performance.md.

usage: bench/perf.py [--build DIR] [--runs N] [--out JSON] [--suffix S] [PART...]
       bench/perf.py --report JSON [--doc docs/performance.md]

PART: machine e2e pipeline codec profile scaling resources idle journal frontier extract
ring
(default: all of them). Results go to --out (default bench/results/latest.json,
merged with what is already there, so parts can be re-run alone); --report
renders the tables into docs/performance.md between the <!-- bench:NAME -->
and <!-- /bench:NAME --> markers, leaving the prose alone.

Benchmarks report numbers; nothing here passes or fails on a timing. The
machine is shared: every comparison is measured in the same run, configurations
are interleaved round by round, and the tables give medians (with min..max)
and the load average before and after each part.

Needs root for the journal parts (a private journald in a mount namespace, as
tests/system/test_journal.py does); without root they are skipped. Every child
(nginx, brokers, daemons, journald) is started here, bounded by a timeout, and
stopped by its own pid.
"""
import argparse, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SHARED = "/work/shared"
SITE_SH = f"{SHARED}/bench/site.sh"
SEED = f"{SHARED}/bench/seed_pipeline.py"
MOCKBROKER_C = f"{SHARED}/bench/mockbroker.c"
CORPUS = os.environ.get("RSD_BENCH_CORPUS", f"{SHARED}/corpus/dev")
SCORE = f"{SHARED}/eval/score.py"
PY = "/usr/bin/python3"  # Debian's, where python3-recipe-scrapers & co. live
TICK = os.sysconf("SC_CLK_TCK")
PORT = int(os.environ.get("RSD_BENCH_PORT", "18300"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def med(xs):
    return statistics.median(xs) if xs else None


def summary(xs):
    """median, min, max of a list (None-safe)."""
    xs = [x for x in xs if x is not None]
    return {"median": med(xs), "min": min(xs) if xs else None, "max": max(xs) if xs else None,
            "n": len(xs)}


# ---- children -----------------------------------------------------------------------------

def stop_pid(pid, sig=signal.SIGTERM, wait_s=10):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    end = time.time() + wait_s
    while time.time() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Site:
    """nginx serving CORPUS linked `copies` times (site.sh)."""

    def __init__(self, port, copies):
        self.port, self.copies = port, copies
        out = subprocess.run(["bash", SITE_SH, CORPUS, str(port), str(copies)], check=True,
                             capture_output=True, text=True, timeout=60).stdout
        self.pid = int(out.split()[-1])
        self.index = f"http://127.0.0.1:{port}/index.html"
        self.pages = copies * count_pages()

    def stop(self):
        stop_pid(self.pid)  # nginx master: its worker exits with it


_pages = None


def count_pages():
    global _pages
    if _pages is None:
        _pages = sum(1 for d, _, fs in os.walk(CORPUS) for f in fs if f.endswith(".html"))
    return _pages


class Broker:
    """A standalone in-memory Kafka: `recipe-scraperd broker` or the shared mockbroker."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.bootstrap = self.p.stdout.readline().strip()
        if not self.bootstrap:
            raise RuntimeError(f"{argv[0]} printed no bootstrap servers")

    def stop(self):
        stop_pid(self.p.pid)
        self.p.wait(timeout=15)


def build_mockbroker(work):
    exe = os.path.join(work, "mockbroker")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "rdkafka"], capture_output=True,
                           text=True, check=True).stdout.split()
    subprocess.run(["cc", "-O2", MOCKBROKER_C, "-o", exe] + flags, check=True, timeout=120)
    return exe


# ---- measuring a process: per-thread CPU, peak RSS, wall -----------------------------------

def thread_times(pid):
    """{tid: (name, cpu_ticks)} of a live process."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return out
    for tid in tids:
        try:
            s = open(f"/proc/{pid}/task/{tid}/stat").read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = s[s.index("(") + 1:s.rindex(")")]
        f = s[s.rindex(")") + 2:].split()
        out[tid] = (name, int(f[11]) + int(f[12]))
    return out


def thread_group(name):
    """Threads by role: each scraper apart, librdkafka's threads pooled by kind."""
    if name.startswith("rdk:broker"):
        return "rdk:broker*"
    return name


def run_measured(argv, timeout, stdout=subprocess.DEVNULL, env=None, sample_s=0.01, wire=None):
    """Runs argv to completion, sampling its threads. Returns wall, exit code,
    rusage CPU and peak RSS (exact, from wait4), per-thread-group CPU seconds
    (from the last sample of each thread), the time of the last scraper CPU
    tick (end of the crawl phase) and stderr."""
    err = tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout, stderr=err, env=env)
    last = {}
    scraper_end = 0.0
    prev_scraper = 0
    deadline = t0 + timeout
    status = rusage = None
    next_wire = 0.0
    while True:
        pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if now > deadline:
            p.kill()
            pid, status, rusage = os.wait4(p.pid, 0)
            break
        tt = thread_times(p.pid)
        last.update(tt)
        if wire and now >= next_wire:
            wire.sample()
            next_wire = now + 0.5
        sc = sum(c for n, c in tt.values() if n.startswith("rsd-scraper"))
        if sc != prev_scraper:
            scraper_end, prev_scraper = now - t0, sc
        time.sleep(sample_s)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    groups = {}
    for name, ticks in last.values():
        g = thread_group(name)
        groups[g] = groups.get(g, 0) + ticks / TICK
    cpu = rusage.ru_utime + rusage.ru_stime
    return {"wall_s": wall, "rc": p.returncode, "cpu_s": cpu, "maxrss_kb": rusage.ru_maxrss,
            "threads_cpu_s": groups, "unattributed_cpu_s": max(0.0, cpu - sum(groups.values())),
            "crawl_end_s": scraper_end, "stderr": stderr, "timed_out": wall >= timeout,
            "wire_bytes": wire.total() if wire else None}


class WireBytes:
    """Bytes sent to the given TCP ports (the brokers), from the kernel's per-socket
    bytes_acked (ss -ti), sampled: the largest value seen of each connection is summed,
    so a connection's last half second before it closes may be missing."""

    def __init__(self, ports):
        self.filter = "( " + " or ".join(f"dport = :{p}" for p in ports) + " )"
        self.seen = {}

    def sample(self):
        out = subprocess.run(["ss", "-tinH", "state", "established", self.filter],
                             capture_output=True, text=True, timeout=10).stdout
        sock = None
        for line in out.splitlines():
            if not line[:1].isspace():
                sock = " ".join(line.split()[2:4])
                continue
            m = re.search(r"bytes_acked:(\d+)", line)
            if sock and m:
                self.seen[sock] = max(self.seen.get(sock, 0), int(m.group(1)))

    def total(self):
        return sum(self.seen.values())


# The refused and skipped counts by cause sit between "failed)" and the records.
SUMMARY_RE = re.compile(r"Stopped after ([\d.]+)s: (\d+) pages fetched \((\d+) failed\), (?:.*?, )?(\d+) records "
                        r"produced, (\d+) acknowledged, (\d+) undelivered, (\d+) consumed")


def parse_summary(stderr):
    m = SUMMARY_RE.search(stderr)
    if not m:
        return None
    keys = ["daemon_s", "pages", "failed", "produced", "acked", "undelivered", "consumed"]
    return {k: float(v) if k == "daemon_s" else int(v) for k, v in zip(keys, m.groups())}


# ---- the daemon's configuration -------------------------------------------------------------

def daemon_ini(work, site, brokers, sink="stdout", threads=2, ring=1024, consumer=True,
               max_conn=64, depth=1, start_url=None, once_group="bench", per_host=None,
               raw=False, producer_props=()):
    state = tempfile.mkdtemp(prefix="state.", dir=work)
    text = f"""[daemon]
state_dir = {state}
watchdog = off
[scraper]
start_urls = {start_url or site.index}
delay_ms = 0
robots = off
allow_private_addresses = on
# site.sh links each corpus page COPIES times under distinct paths; every
# copy declares the page's canonical URL. Publish every copy, as the seed
# pipeline does, so both sides do the same work.
dedup_canonical = off
threads = {threads}
max_connections = {max_conn}
max_connections_per_host = {per_host or max_conn}
max_depth = {depth}
[ring]
capacity = {ring}
[kafka]
brokers = {brokers}
[producer]
{"" if raw else "raw_topic ="}
{chr(10).join(f"{k} = {v}" for k, v in producer_props)}
[consumer]
enabled = {"on" if consumer else "off"}
group_id = {once_group}
[journal]
sink = {sink}
identifier = rsd-bench
"""
    fd, path = tempfile.mkstemp(suffix=".ini", dir=work)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def run_daemon(binary, ini, timeout=120, wire=None):
    r = run_measured([binary, "--once", "-c", ini], timeout, wire=wire)
    s = parse_summary(r["stderr"])
    r["summary"] = s
    pages = s["pages"] if s else 0
    r["pages"] = pages
    r["pages_per_s"] = pages / r["wall_s"] if r["rc"] == 0 and pages else None
    r["crawl_pages_per_s"] = pages / r["crawl_end_s"] if r["crawl_end_s"] and pages else None
    if r["rc"] != 0 or not s:
        log(f"  daemon exit {r['rc']}: {r['stderr'][-400:]}")
    del r["stderr"]
    return r


SEED_RE = re.compile(r"pages (\d+) produce_s ([\d.]+) consume_s ([\d.]+) total_s ([\d.]+) "
                     r"pages_per_s ([\d.]+)")


def run_seed(site, bootstrap, timeout=600):
    r = run_measured([PY, SEED, site.index, bootstrap], timeout, sample_s=0.2)
    m = SEED_RE.search(r["stderr"])
    if not m or r["rc"] != 0:
        log(f"  seed exit {r['rc']}: {r['stderr'][-400:]}")
        return None
    n, ps, cs, ts, _ = m.groups()
    r.update(pages=int(n), produce_s=float(ps), consume_s=float(cs))
    r["pages_per_s"] = int(n) / r["wall_s"]
    r["crawl_pages_per_s"] = int(n) / float(ps)
    del r["stderr"]
    return r


# ---- private journald -----------------------------------------------------------------------

JOURNALD_CONF = """[Journal]
Storage=volatile
RateLimitIntervalSec=0
RateLimitBurst=0
RuntimeMaxUse=2G
"""


def in_namespace():
    return os.environ.get("RSD_BENCH_NS") == "1"


def reexec_in_namespace():
    """Re-runs this script in a private mount namespace (root only)."""
    if in_namespace() or os.geteuid() != 0 or not shutil.which("unshare"):
        return
    env = dict(os.environ, RSD_BENCH_NS="1")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable] + sys.argv,
                       env=env)
    sys.exit(r.returncode)


class Journald:
    """systemd-journald on tmpfs, rate limiting off, inside our mount namespace."""

    def __init__(self, work):
        for d in ("/run/systemd", "/run/log", "/var/log/journal"):
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
        conf = os.path.join(work, "journald.conf")
        with open(conf, "w") as f:
            f.write(JOURNALD_CONF)
        # A bind mount over the file: only this namespace sees our settings.
        subprocess.run(["mount", "--bind", conf, "/etc/systemd/journald.conf"], check=True)
        self.p = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists("/run/systemd/journal/socket"):
                return
            time.sleep(0.1)
        raise RuntimeError("journald did not create its socket")

    def stop(self):
        stop_pid(self.p.pid)
        self.p.wait(timeout=30)


def journal_available():
    return in_namespace() and os.path.exists("/lib/systemd/systemd-journald")


# ---- parts ----------------------------------------------------------------------------------

def part_machine(ctx):
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "cpu_model": model, "mem_gb": round(int(mem) / 2**20, 1),
            "kernel": os.uname().release, "loadavg": loadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "binary": ctx.binary_src, "buildtype": ctx.buildtype}


def part_e2e(ctx):
    """512 pages (site.sh dev 4): daemon x {embedded, standalone} x {stdout, journal}, and the
    seed pipeline on the standalone broker; rounds interleaved."""
    site = Site(PORT, 4)
    res = {"site_pages": site.pages, "load_before": loadavg(), "runs": {}}
    sinks = ["stdout"] + (["journal"] if journal_available() else [])
    try:
        for rnd in range(ctx.runs):
            for broker in ("embedded", "standalone"):
                for sink in sinks:
                    key = f"daemon/{broker}/{sink}"
                    b = Broker([ctx.binary, "broker"]) if broker == "standalone" else None
                    try:
                        ini = daemon_ini(ctx.work, site, b.bootstrap if b else "embedded", sink=sink)
                        r = run_daemon(ctx.binary, ini)
                    finally:
                        if b:
                            b.stop()
                    log(f"  e2e {rnd} {key}: {r['wall_s']:.2f}s {r['pages']} pages")
                    res["runs"].setdefault(key, []).append(r)
            if rnd < ctx.seed_runs:
                for bname, argv in (("standalone", [ctx.binary, "broker"]),):
                    b = Broker(argv)
                    try:
                        r = run_seed(site, b.bootstrap)
                    finally:
                        b.stop()
                    if r:
                        log(f"  e2e {rnd} seed/{bname}: {r['wall_s']:.1f}s {r['pages']} pages")
                        res["runs"].setdefault(f"seed/{bname}", []).append(r)
        # The shared mockbroker as a second standalone broker, daemon and seed alike.
        mb = build_mockbroker(ctx.work)
        for rnd in range(ctx.seed_runs):
            for who in ("daemon", "seed"):
                b = Broker([mb])
                try:
                    if who == "daemon":
                        r = run_daemon(ctx.binary, daemon_ini(ctx.work, site, b.bootstrap))
                    else:
                        r = run_seed(site, b.bootstrap)
                finally:
                    b.stop()
                if r:
                    log(f"  e2e {rnd} {who}/mockbroker: {r['wall_s']:.2f}s")
                    res["runs"].setdefault(f"{who}/mockbroker/stdout" if who == "daemon"
                                           else "seed/mockbroker", []).append(r)
    finally:
        site.stop()
    res["load_after"] = loadavg()
    return res


def part_scaling(ctx):
    """Bigger site (COPIES x 128 pages) so that fixed costs (group join, start-up) matter
    less: full pipeline at 512 vs N pages (marginal rate), threads 1/2/4 and ring
    capacity 64..4096 with the consumer off (crawl -> Kafka only)."""
    copies = ctx.scale_copies
    big = Site(PORT + 1, copies)
    small = Site(PORT, 4)
    res = {"site_pages": big.pages, "load_before": loadavg(), "runs": {}}
    configs = [("pipeline/512", small, {}), (f"pipeline/{big.pages}", big, {})]
    configs += [(f"threads/{t}", big, {"threads": t, "consumer": False}) for t in (1, 2, 4)]
    configs += [(f"ring/{c}", big, {"ring": c, "consumer": False}) for c in (64, 256, 1024, 4096)]
    configs += [(f"connections/{c}", big, {"max_conn": c, "consumer": False}) for c in (8, 16, 32)]
    try:
        for rnd in range(ctx.runs):
            for key, site, kw in configs:
                r = run_daemon(ctx.binary, daemon_ini(ctx.work, site, "embedded", **kw), timeout=300)
                log(f"  scaling {rnd} {key}: {r['wall_s']:.2f}s {r['pages']} pages")
                res["runs"].setdefault(key, []).append(r)
    finally:
        big.stop()
        small.stop()
    res["load_after"] = loadavg()
    return res


# The issue-20 runs: (key, raw_topic on, [producer] librdkafka properties). Each runs on
# a fresh `recipe-scraperd broker` (a mock cluster of its own), like the seed.
PIPELINE_CONFIGS = [("noraw", False, ()), ("raw", True, ())]


def pipeline_daemon(ctx, site, raw, props, per_host=16, timeout=900):
    b = Broker([ctx.binary, "broker"])
    try:
        ini = daemon_ini(ctx.work, site, b.bootstrap, max_conn=32, per_host=per_host, raw=raw,
                         producer_props=props)
        ports = [int(a.rsplit(":", 1)[1]) for a in b.bootstrap.split(",")]
        return run_daemon(ctx.binary, ini, timeout=timeout, wire=WireBytes(ports))
    finally:
        b.stop()


def part_pipeline(ctx):
    """The whole pipeline at scale: the dev corpus linked ctx.pipeline_copies times
    (8,192 pages at 64), --once, dedup_canonical off, max_depth 1, delay 0, 16
    connections per host, raw_topic off and on, and in every round the seed pipeline on
    512 pages, each on a fresh standalone broker; configurations interleaved round by
    round, ratios taken within a round. Each run's wall time includes one consumer-group
    join that the mock cluster holds for 3 s (the crawl-phase rate leaves it out)."""
    big = Site(PORT + 2, ctx.pipeline_copies)
    small = Site(PORT + 3, 4)
    res = {"site_pages": big.pages, "seed_pages": small.pages, "load_before": loadavg(),
           "rounds": []}
    try:
        for rnd in range(ctx.pipeline_runs):
            row = {"load": loadavg()}
            for key, raw, props in PIPELINE_CONFIGS:
                row[key] = pipeline_daemon(ctx, big, raw, props)
                log(f"  pipeline {rnd} {key}: {row[key]['wall_s']:.1f}s {row[key]['pages']} pages, "
                    f"{1000 * row[key]['cpu_s'] / max(1, row[key]['pages']):.2f} ms CPU/page, "
                    f"{row[key]['maxrss_kb'] / 1024:.0f} MB")
            b = Broker([ctx.binary, "broker"])
            try:
                row["seed"] = run_seed(small, b.bootstrap)
            finally:
                b.stop()
            if row["seed"]:
                log(f"  pipeline {rnd} seed: {row['seed']['wall_s']:.1f}s {row['seed']['pages']} pages")
            res["rounds"].append(row)
    finally:
        big.stop()
        small.stop()
    res["load_after"] = loadavg()
    return res


def part_codec(ctx):
    """The raw topic's codec and level: daemon CPU per page against the bytes it sends
    to the brokers per page, on ctx.codec_copies x the dev corpus, raw_topic on,
    each configuration against the raw_topic-off run of the same round (the difference
    is the raw topic's share); interleaved rounds on fresh standalone brokers."""
    site = Site(PORT + 4, ctx.codec_copies)
    configs = [("off", False, ())] + [(c, True, (("raw_compression", c),)) for c in ctx.codecs]
    nbytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(CORPUS)
                 for f in fs if f.endswith(".html"))
    res = {"site_pages": site.pages, "page_bytes": nbytes / count_pages(), "load_before": loadavg(),
           "runs": {}}
    try:
        for rnd in range(ctx.codec_runs):
            for key, raw, props in configs:
                r = pipeline_daemon(ctx, site, raw, props)
                log(f"  codec {rnd} {key}: {1000 * r['cpu_s'] / max(1, r['pages']):.2f} ms CPU/page, "
                    f"{r['wire_bytes'] / max(1, r['pages']) / 1024:.0f} KiB to Kafka/page")
                res["runs"].setdefault(key, []).append(r)
    finally:
        site.stop()
    res["load_after"] = loadavg()
    return res


PROFILE_TOP = 25


def part_profile(ctx):
    """perf record (cpu-clock samples of every thread) of the daemon in one
    8,192-page run, raw_topic off and on: the top functions by self time,
    with the thread they ran on."""
    if not shutil.which("perf"):
        return {"skipped": "perf not installed"}
    site = Site(PORT + 2, ctx.pipeline_copies)
    res = {"site_pages": site.pages, "load_before": loadavg(), "runs": {}}
    try:
        for key, raw, props in PIPELINE_CONFIGS:
            data = os.path.join(ctx.work, f"perf-{key}.data")
            b = Broker([ctx.binary, "broker"])
            try:
                ini = daemon_ini(ctx.work, site, b.bootstrap, max_conn=32, per_host=16, raw=raw,
                                 producer_props=props)
                r = run_measured(["perf", "record", "-q", "-F", "499", "-g", "-o", data, "--",
                                  ctx.binary, "--once", "-c", ini], 900)
            finally:
                b.stop()
            rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio", "-g", "none",
                                  "--percent-limit", "0.5", "--sort", "comm,dso,sym"],
                                 capture_output=True, text=True, timeout=300).stdout
            top = []
            for line in rep.splitlines():
                m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[.\]\s+(.*)", line)
                if m and len(top) < PROFILE_TOP:
                    top.append({"percent": float(m.group(1)), "thread": m.group(2),
                                "dso": m.group(3), "symbol": m.group(4).strip()})
            res["runs"][key] = {"top": top, "wall_s": r["wall_s"], "cpu_s": r["cpu_s"]}
            log(f"  profile {key}: {len(top)} functions over 0.5 %")
    finally:
        site.stop()
    res["load_after"] = loadavg()
    return res


def part_idle(ctx):
    """CPU of a daemon (not --once) with nothing to crawl after its start page, over
    ctx.idle_s seconds after a settling period: embedded broker (its mock cluster runs
    inside the daemon) and a standalone broker (the daemon alone)."""
    site = Site(PORT, 1)
    res = {"load_before": loadavg(), "window_s": ctx.idle_s, "runs": {}}
    page = next(f"r/{os.path.relpath(os.path.join(d, f), CORPUS)}" for d, _, fs in sorted(os.walk(CORPUS))
                for f in sorted(fs) if f.endswith(".html"))
    try:
        for broker in ("standalone", "embedded"):
            b = Broker([ctx.binary, "broker"]) if broker == "standalone" else None
            ini = daemon_ini(ctx.work, site, b.bootstrap if b else "embedded", depth=0,
                             start_url=f"http://127.0.0.1:{site.port}/{page}")
            p = subprocess.Popen([ctx.binary, "-c", ini], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            try:
                time.sleep(ctx.idle_settle_s)
                t0, c0, w0 = time.monotonic(), thread_times(p.pid), ctx_switches(p.pid)
                time.sleep(ctx.idle_s)
                t1, c1, w1 = time.monotonic(), thread_times(p.pid), ctx_switches(p.pid)
                alive = p.poll() is None
            finally:
                stop_pid(p.pid)
                p.wait(timeout=30)
                if b:
                    b.stop()
            dt = t1 - t0
            per = {}
            for tid, (name, ticks) in c1.items():
                g = thread_group(name)
                d = per.setdefault(g, {"cpu_s": 0.0, "wakeups_per_s": 0.0})
                d["cpu_s"] += (ticks - c0.get(tid, (name, 0))[1]) / TICK
                d["wakeups_per_s"] += (w1.get(tid, 0) - w0.get(tid, 0)) / dt
            total = sum(d["cpu_s"] for d in per.values())
            res["runs"][broker] = {"alive": alive, "seconds": dt, "cpu_s": total,
                                   "cpu_percent": 100 * total / dt, "threads": per,
                                   "wakeups_per_s": sum(d["wakeups_per_s"] for d in per.values())}
            log(f"  idle {broker}: {100 * total / dt:.3f} % CPU")
    finally:
        site.stop()
    res["load_after"] = loadavg()
    return res


def ctx_switches(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            for line in open(f"/proc/{pid}/task/{tid}/status"):
                if line.startswith("voluntary_ctxt_switches"):
                    out[tid] = int(line.split()[1])
        except FileNotFoundError:
            pass
    return out


def kv_lines(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out


def part_journal(ctx):
    if not journal_available():
        return {"skipped": "needs root (private journald in a mount namespace)"}
    exe = os.path.join(ctx.build, "bench/journal/bench_journal")
    res = {"load_before": loadavg()}
    r = subprocess.run([exe, os.path.join(HERE, "journal/record.json")], capture_output=True,
                       text=True, timeout=600, env=dict(os.environ, RSD_BENCH_RUNS=str(max(5, ctx.runs)), RSD_BENCH_JOURNAL="1"))
    res["rc"], res["output"] = r.returncode, r.stdout
    for line in r.stdout.splitlines():
        p = line.split()
        if len(p) == 5 and p[1] == "entries_per_s":
            res[p[0]] = {"entries_per_s": float(p[2]), "cpu_us_per_entry": float(p[4])}
        elif len(p) == 2:
            res[p[0]] = float(p[1])
    res["load_after"] = loadavg()
    return res


def part_frontier(ctx):
    exe = os.path.join(ctx.build, "bench/frontier/bench_frontier")
    runs = []
    for _ in range(3):
        r = subprocess.run([exe], capture_output=True, text=True, timeout=300)
        runs.append(kv_lines(r.stdout))
    keys = runs[0].keys()
    return {"load": loadavg(), **{k: med([r[k] for r in runs if k in r]) for k in keys}}


def part_extract(ctx):
    res = {"load_before": loadavg()}
    exe = os.path.join(ctx.build, "bench/extract/bench_extract")
    r = subprocess.run([exe, CORPUS], capture_output=True, text=True, timeout=900)
    res["bench_extract"] = r.stdout
    nbytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(CORPUS)
                 for f in fs if f.endswith(".html"))
    res["corpus_pages"], res["corpus_bytes"] = count_pages(), nbytes
    rs = []
    for _ in range(ctx.rs_runs):
        out = subprocess.run([PY, SCORE, CORPUS, "--recipe-scrapers", "installed"], capture_output=True,
                             text=True, timeout=900).stdout
        m = re.search(r"ms/page ([\d.]+)", out)
        if m:
            rs.append(float(m.group(1)))
    res["recipe_scrapers_ms_per_page"] = summary(rs)
    res["load_after"] = loadavg()
    return res


def part_ring(ctx):
    exe = os.path.join(ctx.build, "bench/ring/bench_ring")
    if not os.path.exists(exe):
        return {"skipped": "bench_ring not built (libck-dev missing)"}
    res = {"load_before": loadavg()}
    r = subprocess.run([exe], capture_output=True, text=True, timeout=900,
                       env=dict(os.environ, RSD_BENCH_RUNS=str(max(5, ctx.runs))))
    res["output"] = r.stdout
    res["load_after"] = loadavg()
    return res


# (broker, raw_topic on, max_connections): raw_topic is on by default and keeps each
# page's HTML alive until Kafka acknowledges it; max_connections (default 32) bounds
# the bodies being received at once. The e2e runs use 64 connections, raw_topic off.
RESOURCE_CONFIGS = [("embedded", True, 64), ("standalone", True, 64), ("standalone", True, 32),
                    ("standalone", False, 32)]


def part_resources(ctx):
    """Peak RSS of the dev-corpus crawl with default threads (2) and ring (1024) and the
    default raw_topic (raw HTML published too), embedded and standalone broker (the
    embedded mock cluster keeps every message in the daemon's own memory). The e2e
    part's runs give the same figure with raw_topic off."""
    site = Site(PORT, 4)
    res = {"load_before": loadavg(), "runs": {}}
    try:
        for rnd in range(ctx.runs):
            for broker, raw, conns in RESOURCE_CONFIGS:
                b = Broker([ctx.binary, "broker"]) if broker == "standalone" else None
                try:
                    ini = daemon_ini(ctx.work, site, b.bootstrap if b else "embedded", max_conn=conns)
                    if raw:
                        text = open(ini).read().replace("raw_topic =\n", "")
                        open(ini, "w").write(text)
                    r = run_daemon(ctx.binary, ini)
                finally:
                    if b:
                        b.stop()
                key = f"{broker}/{'raw' if raw else 'noraw'}/{conns}"
                res["runs"].setdefault(key, []).append(r)
                log(f"  resources {rnd} {key}: {r['maxrss_kb'] / 1024:.1f} MB")
    finally:
        site.stop()
    res["load_after"] = loadavg()
    return res


PARTS = {"machine": part_machine, "e2e": part_e2e, "pipeline": part_pipeline,
         "codec": part_codec, "profile": part_profile, "scaling": part_scaling,
         "resources": part_resources, "idle": part_idle, "journal": part_journal,
         "frontier": part_frontier, "extract": part_extract, "ring": part_ring}


class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parts", nargs="*")
    ap.add_argument("--build", default=os.path.join(TOP, "build-bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed-runs", type=int, default=3)
    ap.add_argument("--rs-runs", type=int, default=3)
    ap.add_argument("--scale-copies", type=int, default=32)
    ap.add_argument("--pipeline-copies", type=int, default=64)
    ap.add_argument("--pipeline-runs", type=int, default=3)
    ap.add_argument("--codec-copies", type=int, default=16)
    ap.add_argument("--codec-runs", type=int, default=3)
    ap.add_argument("--codecs", default="none,lz4,zstd:1,zstd:3")
    ap.add_argument("--idle-s", type=float, default=60)
    ap.add_argument("--idle-settle-s", type=float, default=10)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--suffix", default="",
                    help="store the parts as NAME+SUFFIX (e.g. _before, measured with an older --build)")
    ap.add_argument("--report")
    ap.add_argument("--doc", default=os.path.join(TOP, "docs", "performance.md"))
    a = ap.parse_args()
    if a.report:
        import report
        report.render(json.load(open(a.report)), a.doc)
        return
    parts = a.parts or list(PARTS)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s): {' '.join(unknown)}; known: {' '.join(PARTS)}")
    reexec_in_namespace()
    ctx = Ctx()
    ctx.__dict__.update(vars(a))
    ctx.build = os.path.abspath(a.build)
    ctx.codecs = a.codecs.split(",")
    ctx.work = tempfile.mkdtemp(prefix="rsd-bench.")
    # A private copy of the binary: other engineers rebuild the tree while we measure.
    ctx.binary_src = os.path.join(ctx.build, "recipe-scraperd")
    ctx.binary = os.path.join(ctx.work, "recipe-scraperd")
    shutil.copy2(ctx.binary_src, ctx.binary)
    try:
        opts = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", ctx.build],
                                         capture_output=True, text=True, timeout=60).stdout)
        ctx.buildtype = next(o["value"] for o in opts if o["name"] == "buildtype")
    except Exception:
        ctx.buildtype = "?"
    results = {}
    if os.path.exists(a.out):
        results = json.load(open(a.out))
    jd = None
    try:
        if in_namespace() and any(p in ("e2e", "journal") for p in parts):
            jd = Journald(ctx.work)
        for name in ["machine"] + [p for p in parts if p != "machine"]:
            log(f"== {name} (load {' '.join(loadavg())})")
            results[name + (a.suffix if name != "machine" else "")] = PARTS[name](ctx)
            os.makedirs(os.path.dirname(a.out), exist_ok=True)
            with open(a.out, "w") as f:
                json.dump(results, f, indent=1, sort_keys=True)
    finally:
        if jd:
            jd.stop()
        shutil.rmtree(ctx.work, ignore_errors=True)
    log(f"results in {a.out}")


if __name__ == "__main__":
    main()
