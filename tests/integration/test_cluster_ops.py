#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cluster mode as an operator sees it: one daemon in a crawl group
([cluster] frontier_topic, brokers = embedded) crawling a loopback site,
with [metrics] listen and systemd's notification socket played by this
test (NOTIFY_SOCKET, WATCHDOG_USEC = 4 s: a thread is stuck after 2 s).

- /metrics has the cluster's families with the values of this crawl:
  every URL (the start page and its 8 recipes) produced to frontier_topic,
  read back, settled and its state produced once; all 4 partitions
  assigned and owned, none revoked or lost, nothing left to a next owner;
  and kafka_errors_total{client="cluster"} 0. A single-node daemon shows
  no cluster family (test_metrics.py parses its /metrics);
- the cluster thread stalled: the test stops that one thread with
  ptrace(PTRACE_SEIZE + PTRACE_INTERRUPT), as a thread stuck in a call
  that never returns would be (the process and its other threads run on).
  The daemon stops sending WATCHDOG=1: two STATUS= notifications in a row
  (one every 2 s) with no WATCHDOG=1 between them, and /healthz answers
  503 "cluster thread made no progress for 2s". Resumed, WATCHDOG=1 comes
  again and /healthz answers 200;
- the stopping entry's message has the cluster's totals;
- --once in cluster mode exits 64 (usage), with FILE:LINE of
  frontier_topic and what to do instead.

Without ptrace (a sandbox that forbids it), the stall part is skipped
with a message; the rest still runs.

usage: test_cluster_ops.py BINARY
"""
import ctypes, os, queue, re, socket, subprocess, sys, tempfile, threading, time

from checks import check, finish, free_port, stop
from test_metrics import RECIPES, Site, endpoint_up, get, scrape, value, wait_for

PARTITIONS = 4
PAGES = RECIPES + 1  # the index and its recipes
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000  # __WALL: wait for a thread of a child


def write_config(path, work, origin, port):
    with open(path, "w") as f:
        f.write("[daemon]\nstate_dir = %s/state\nwatchdog = on\n"
                "[scraper]\nstart_urls = %s/\nallow_private_addresses = on\nrobots = off\n"
                "delay_ms = 50\nrecrawl_interval_s = 0\n"
                "[kafka]\nbrokers = embedded\n"
                "[journal]\nsink = stdout\n"
                "[metrics]\nlisten = 127.0.0.1:%d\n"
                "[cluster]\nfrontier_topic = crawl_frontier\nstate_topic = crawl_state\n"
                "group_id = crawlers\npartitions = %d\n" % (work, origin, port, PARTITIONS))


class Notifications:
    """systemd's side of sd_notify: a datagram socket, read at once by a
    thread (sd_notify blocks on a full socket, and the main thread with
    it), kept in order in a queue."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            self.queue.put(self.sock.recv(65536).decode().split("\n"))

    def drain(self):
        try:
            while True:
                self.queue.get_nowait()
        except queue.Empty:
            pass

    def next(self, timeout_s):
        """The next datagram's lines, or None after timeout_s."""
        try:
            return self.queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def pings_stopped(self, timeout_s):
        """"stopped" once two STATUS= datagrams in a row came with no
        WATCHDOG=1 between them; "blocked" when STATUS= stops coming (the
        main thread waits for the stopped one); "pinging" after timeout_s."""
        deadline = time.monotonic() + timeout_s
        statuses, pinged = 0, False
        while time.monotonic() < deadline:
            lines = self.next(3.5)  # STATUS= comes every 2 s
            if lines is None:
                return "blocked"
            if "WATCHDOG=1" in lines:
                pinged = True
            if any(l.startswith("STATUS=") for l in lines):
                if statuses and not pinged:
                    return "stopped"
                statuses, pinged = statuses + 1, False
        return "pinging"

    def pinged(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            lines = self.next(max(0.1, deadline - time.monotonic()))
            if lines and "WATCHDOG=1" in lines:
                return True
        return False


class ThreadStop:
    """Stops one thread of a child process (ptrace), the others run on."""

    def __init__(self, tid):
        self.tid = tid
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                     ctypes.c_void_p]

    def _call(self, request):
        if self.libc.ptrace(request, self.tid, None, None) < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    def stop(self):
        self._call(PTRACE_SEIZE)
        self._call(PTRACE_INTERRUPT)
        os.waitpid(self.tid, WALL)  # the thread is in its ptrace stop

    def resume(self):
        self._call(PTRACE_DETACH)


def thread_named(pid, name):
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            if f.read().strip() == name:
                return int(tid)
    return None


WATCHED = ("records_consumed_total", "cluster_frontier_settled_total",
           "cluster_state_produced_total", "frontier_queued", "fetches_in_flight")
last = {}


def crawled(base):
    s = scrape(base)
    last.update({name: value(s, name) for name in WATCHED})
    return (value(s, "records_consumed_total") == RECIPES
            and value(s, "cluster_frontier_settled_total") == PAGES
            and value(s, "cluster_state_produced_total") == PAGES
            and value(s, "frontier_queued") == 0 and value(s, "fetches_in_flight") == 0)


def cluster_metrics(base, site):
    if not wait_for("the endpoint", lambda: endpoint_up(base), 30):
        return
    if not wait_for("the crawl to finish in cluster mode", lambda: crawled(base), 90):
        print("last seen:", last)
        return
    status, _, body = get(base + "/metrics")
    s = scrape(base)
    expected = {
        "pages_fetched_total": PAGES,
        "cluster_frontier_produced_total": PAGES,
        "cluster_frontier_consumed_total": PAGES,
        "cluster_frontier_skipped_total": 0,
        "cluster_frontier_settled_total": PAGES,
        "cluster_frontier_abandoned_total": 0,
        "cluster_state_produced_total": PAGES,
        "cluster_state_consumed_total": 0,
        "cluster_partitions_assigned_total": PARTITIONS,
        "cluster_partitions_revoked_total": 0,
        "cluster_partitions_lost_total": 0,
        "cluster_partitions_owned": PARTITIONS,
        "cluster_partitions": PARTITIONS,
        "cluster_hosts_owned": 0,
    }
    for name, want in expected.items():
        check(value(s, name) == want, "%s = %r, expected %d" % (name, value(s, name), want))
    check((value(s, "cluster_rebalances_total") or 0) >= 1,
          "cluster_rebalances_total = %r" % value(s, "cluster_rebalances_total"))
    check(value(s, "kafka_errors_total", client="cluster") == 0,
          "kafka_errors_total{client=cluster} = %r" % value(s, "kafka_errors_total", client="cluster"))
    for family, kind in (("cluster_partitions_owned", "gauge"),
                         ("cluster_frontier_settled_total", "counter")):
        check("# TYPE recipe_scraperd_%s %s\n" % (family, kind) in body, "TYPE of " + family)
    check(site.served == PAGES, "the site served %d pages, expected %d" % (site.served, PAGES))


def stalled_cluster_thread(proc, base, notes):
    tid = thread_named(proc.pid, "rsd-cluster")
    check(tid is not None, "no rsd-cluster thread")
    if tid is None:
        return
    stuck = (503, "cluster thread made no progress for 2s\n")
    # A stop inside one of the thread's short critical sections would block
    # the main thread as well (STATUS= stops): resumed and stopped again.
    for attempt in range(5):
        halt = ThreadStop(tid)
        try:
            halt.stop()
        except OSError as e:
            print("SKIP: the stalled cluster thread (ptrace: %s)" % e)
            return
        try:
            notes.drain()
            outcome = notes.pings_stopped(15)  # the limit is 2 s
            if outcome == "stopped":
                check(get(base + "/healthz")[::2] == stuck,
                      "healthz with the cluster thread stopped: %r" % (get(base + "/healthz"),))
                check(value(scrape(base), "healthy") == 0, "healthy is not 0")
        finally:
            halt.resume()
        if outcome != "blocked":
            break
        print("the thread stopped in a critical section (attempt %d): again" % (attempt + 1))
    check(outcome == "stopped", "WATCHDOG=1 with the cluster thread stopped: %s" % outcome)
    check(notes.pinged(10), "no WATCHDOG=1 after the cluster thread resumed")
    wait_for("healthz 200 after the cluster thread resumed",
             lambda: get(base + "/healthz")[0] == 200, 10)


def once_refused(binary, cfg):
    """--once in cluster mode: usage error 64, saying where cluster mode is
    set and what to do instead; nothing started."""
    r = subprocess.run([binary, "--once", "-c", cfg], capture_output=True, text=True, timeout=30)
    check(r.returncode == 64, "--once in cluster mode: exit %d" % r.returncode)
    line = "%s:17: --once cannot be used in cluster mode" % cfg  # frontier_topic
    check(line in r.stderr and "kafka-consumer-groups.sh --describe --group crawlers" in r.stderr
          and "empty frontier_topic" in r.stderr, "--once in cluster mode: %r" % r.stderr)
    check("started" not in r.stderr, "--once in cluster mode started: %r" % r.stderr)


def main():
    binary = sys.argv[1]
    site = Site().start()
    work = tempfile.mkdtemp(prefix="rsd-cluster-ops.")
    try:
        port = free_port()
        cfg = os.path.join(work, "cluster.ini")
        write_config(cfg, work, site.origin, port)
        once_refused(binary, cfg)
        notes = Notifications(os.path.join(work, "notify"))
        env = dict(os.environ, NOTIFY_SOCKET=notes.path, WATCHDOG_USEC="4000000")
        env.pop("WATCHDOG_PID", None)
        stderr_path = os.path.join(work, "stderr")
        proc = subprocess.Popen([binary, "-c", cfg], stdout=subprocess.DEVNULL, env=env,
                                stderr=open(stderr_path, "w"))
        base = "http://127.0.0.1:%d" % port
        try:
            cluster_metrics(base, site)
            stalled_cluster_thread(proc, base, notes)
        finally:
            stop(proc, "the cluster daemon", clean=True)
        with open(stderr_path) as f:
            log = f.read()
        m = re.search(r"Stopped after .*; crawl cluster: (\d+) rebalances \(0 partitions lost\), "
                      r"(\d+) frontier messages read \((\d+) settled, 0 left to the next owner\), "
                      r"(\d+) produced", log)
        check(m and int(m.group(1)) >= 1 and m.group(2) == m.group(3) == m.group(4) == str(PAGES),
              "the stopping entry's cluster totals: %r" % (m.group(0) if m else None))
    finally:
        site.shutdown()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
