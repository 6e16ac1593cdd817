#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""[metrics] listen: the daemon's /metrics and /healthz, with a real HTTP
client (urllib) against a daemon crawling a loopback site (brokers =
embedded, sink = stdout).

- /metrics parses with a strict Prometheus text (0.0.4) parser written
  here: HELP and TYPE once per family and before its samples, counters
  named *_total, valid names, labels and values, no duplicate series;
- pages_fetched_total (and the site's host_pages_fetched_total) equals
  the pages the site served, records consumed equal its recipes;
- /healthz answers 200 "ok"; other paths 404, POST 405, HEAD 200;
- a burst of 50 concurrent scrapes is answered or refused cleanly (the
  endpoint takes 16 connections, 8 per address), and the next scrape works;
- a client that connects and never sends is dropped after the 10 s idle
  timeout while the crawl goes on and other scrapes are answered;
- SIGHUP with another address moves the endpoint (reloads_total counts it);
- with no broker (a closed loopback port, message.timeout.ms = 2 s),
  /healthz answers 503 with the reason and recipe_scraperd_healthy is 0;
- an idle daemon (crawl over, nothing in flight) whose brokers all go
  down (`recipe-scraperd broker` told "alldown") answers 503 "no Kafka
  broker at ... answered", and 200 again once they are back ("allup");
- a stuck thread: the stdout sink's pipe is full and nobody reads it, so
  the consumer blocks in write(2) (as with a stuck journald); with
  WATCHDOG_USEC = 4 s (systemd's way of saying WatchdogSec=, the limit is
  half of it) /healthz answers 503 "consumer thread made no progress for
  2s" while /metrics still answers, and 200 once the pipe is read again.

usage: test_metrics.py BINARY
"""
import fcntl, http.client, json, math, os, re, signal, socket, subprocess
import sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import loopback_http  # noqa: E402  (tests/support: the loopback HTTP server)

RECIPES = 8
from checks import check, finish, free_port, stop


def recipe_page(i):
    ld = {"@context": "https://schema.org", "@type": "Recipe", "name": "Soup %d" % i,
          "recipeIngredient": ["1 onion", "1 l water"],
          "recipeInstructions": [{"@type": "HowToStep", "text": "Boil."}],
          "nutrition": {"@type": "NutritionInformation", "calories": "%d kcal" % (100 * i)}}
    return ('<!DOCTYPE html><html><head><title>Soup %d</title><script type="application/ld+json">'
            '%s</script></head><body><h1>Soup %d</h1></body></html>' % (i, json.dumps(ld), i))


def index_page():
    return ('<!DOCTYPE html><html><head><title>Soups</title></head><body>%s</body></html>'
            % "".join('<a href="/recipe/%d">Soup %d</a>' % (i, i) for i in range(1, RECIPES + 1)))


class Site(loopback_http.Server):
    def __init__(self):
        self.served = 0
        super().__init__(Page)


class Page(loopback_http.Handler):
    def do_GET(self):
        m = re.fullmatch(r"/recipe/(\d+)", self.path)
        body = index_page() if self.path == "/" else recipe_page(int(m.group(1))) if m else None
        if body is not None:
            with self.server.lock:
                self.server.served += 1
        self.reply(body)


# ---- a strict parser of the text exposition format 0.0.4 -----------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"'
SAMPLE = re.compile(r"(%s)(?:\{((?:%s)(?:,%s)*)?\})? (\S+)(?: (-?\d+))?" % (NAME, LABEL, LABEL))
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(text):
    special = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    if text in special:
        return special[text]
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("bad value %r" % text)
    return float(text)


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, and {name: type}; raises
    ValueError on anything the format does not allow."""
    if not text.endswith("\n"):
        raise ValueError("the text does not end with a line feed")
    types, helps, samples, seen_samples = {}, set(), {}, set()
    for n, line in enumerate(text[:-1].split("\n"), 1):
        m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
        if m:
            kind, name, rest = m.groups()
            if name in seen_samples:
                raise ValueError("%d: %s after the family's samples" % (n, kind))
            if kind == "HELP":
                if name in helps:
                    raise ValueError("%d: second HELP of %s" % (n, name))
                helps.add(name)
            else:
                if name in types or rest not in TYPES:
                    raise ValueError("%d: bad or second TYPE of %s" % (n, name))
                types[name] = rest
            continue
        if line.startswith("#") or not line:
            raise ValueError("%d: unexpected line %r" % (n, line))
        m = SAMPLE.fullmatch(line)
        if not m:
            raise ValueError("%d: not a sample: %r" % (n, line))
        name = m.group(1)
        labels = frozenset(re.findall(LABEL, m.group(2) or ""))
        if name not in types or name not in helps:
            raise ValueError("%d: %s has no TYPE or HELP before it" % (n, name))
        if types[name] == "counter" and not name.endswith("_total"):
            raise ValueError("%d: counter %s does not end in _total" % (n, name))
        if (name, labels) in samples:
            raise ValueError("%d: duplicate series %s%s" % (n, name, sorted(labels)))
        seen_samples.add(name)
        samples[(name, labels)] = parse_value(m.groups()[-2])
    return samples, types


def value(samples, name, **labels):
    return samples.get(("recipe_scraperd_" + name, frozenset(labels.items())))


# ---- the HTTP side -------------------------------------------------------

def get(url, method="GET", timeout=10):
    """(status, content type, body) of one request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def scrape(base):
    status, kind, body = get(base + "/metrics")
    check(status == 200, "/metrics: status %d" % status)
    check(kind == "text/plain; version=0.0.4; charset=utf-8", "/metrics: content type %r" % kind)
    try:
        return parse_metrics(body)[0]
    except ValueError as e:
        check(False, "/metrics does not parse: %s\n%s" % (e, body))
        return {}


def wait_for(what, cond, timeout_s):
    """Polls cond (a scrape each time) every 0.2 s, at most timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    check(False, "timed out waiting for " + what)
    return False



def write_config(path, work, origin, port, brokers="embedded"):
    with open(path, "w") as f:
        f.write("[daemon]\nstate_dir = %s/state\nwatchdog = off\n"
                "[scraper]\nstart_urls = %s/\nallow_private_addresses = on\nrobots = off\n"
                "delay_ms = 200\nrecrawl_interval_s = 0\n"
                "[kafka]\nbrokers = %s\n[producer]\nmessage.timeout.ms = 2000\n"
                "[journal]\nsink = stdout\n"
                "[metrics]\nlisten = 127.0.0.1:%d\n" % (work, origin, brokers, port))


def burst(base, n=50):
    """n scrapes at once: each answered 200 with a parseable body, or
    refused by a closed connection; none hangs."""
    results, lock, start = [], threading.Lock(), threading.Barrier(n)

    def one():
        start.wait(timeout=10)
        try:
            status, _, body = get(base + "/metrics")
            outcome = "ok" if status == 200 and parse_metrics(body) else "bad %d" % status
        except (ConnectionError, http.client.HTTPException, urllib.error.URLError, socket.timeout):
            outcome = "refused"
        except ValueError as e:
            outcome = "unparseable: %s" % e
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    check(len(results) == n, "burst: %d of %d scrapes finished" % (len(results), n))
    bad = [r for r in results if r not in ("ok", "refused")]
    check(not bad, "burst: unclean outcomes %s" % bad)
    check(results.count("ok") >= 8, "burst: only %d answered" % results.count("ok"))
    print("burst: %d answered, %d refused" % (results.count("ok"), results.count("refused")))


def silent_client(base, port):
    """Connects, sends nothing: dropped after the idle timeout (10 s), while
    other scrapes are answered. Returns the seconds it was held."""
    s = socket.create_connection(("127.0.0.1", port), timeout=25)
    opened = time.monotonic()
    status, _, body = get(base + "/healthz")
    check(status == 200 and body == "ok\n", "healthz while a client is silent: %d %r" % (status, body))
    try:
        data = s.recv(1)
    except ConnectionError:
        data = b""
    except socket.timeout:
        data = None
    held = time.monotonic() - opened
    s.close()
    check(data == b"", "the silent client was not dropped within 25 s")
    check(9 <= held <= 20, "the silent client was dropped after %.1f s, not about 10" % held)
    return held


def exercise(binary, work, site):
    port = free_port()
    cfg = os.path.join(work, "m.ini")
    write_config(cfg, work, site.origin, port)
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([binary, "-c", cfg], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "stderr"), "w"))
    try:
        wait_for("the endpoint", lambda: endpoint_up(base), 20)
        holder = threading.Thread(target=silent_client, args=(base, port))
        holder.start()  # during the crawl
        wait_for("the crawl to finish", lambda: crawl_done(base), 60)
        samples = scrape(base)
        with site.lock:
            served = site.served
        check(value(samples, "pages_fetched_total") == served == RECIPES + 1,
              "pages_fetched_total %s, site served %d" % (value(samples, "pages_fetched_total"), served))
        check(value(samples, "host_pages_fetched_total", host="127.0.0.1") == served and
              value(samples, "host_pages_fetched_total", host="(other)") == 0,
              "host_pages_fetched_total: %s" % {k: v for k, v in samples.items() if "host_" in k[0]})
        lags = {k: v for k, v in samples.items() if k[0].endswith("consumer_partition_lag")}
        check(len(lags) == 6 and all(dict(k[1])["topic"] == "parsed_recipes" for k in lags)
              and sorted(dict(k[1])["partition"] for k in lags) == [str(i) for i in range(6)],
              "consumer_partition_lag: %s" % lags)
        check(value(samples, "records_consumed_total") == RECIPES, "consumed %s" % value(samples, "records_consumed_total"))
        check(value(samples, "pages_skipped_total", cause="depth") is not None, "no cause=\"depth\" series")
        check(value(samples, "build_info", version=os.environ.get("RSD_VERSION", "0.1.0")) == 1, "build_info")
        # single-node mode: no cluster family (test_cluster_ops.py has them)
        cluster = [k for k in samples if k[0].startswith("recipe_scraperd_cluster_")
                   or ("client", "cluster") in k[1]]
        check(not cluster, "cluster series in single-node mode: %s" % cluster)
        holder.join(timeout=30)
        check(not holder.is_alive(), "the silent client thread did not end")
        plain_requests(base)
        burst(base)
        check(get(base + "/healthz")[0] == 200, "healthz after the burst")
        moved(proc, cfg, work, site, base)
    finally:
        stop(proc, "the daemon", clean=True)


def endpoint_up(base):
    try:
        return get(base + "/healthz", timeout=2)[0] == 200
    except (ConnectionError, urllib.error.URLError):
        return False


def crawl_done(base):
    s = scrape(base)
    return (value(s, "records_consumed_total") == RECIPES and value(s, "frontier_queued") == 0
            and value(s, "fetches_in_flight") == 0)


def plain_requests(base):
    status, kind, body = get(base + "/healthz")
    check((status, body) == (200, "ok\n"), "healthz: %d %r" % (status, body))
    check(get(base + "/nope")[0] == 404, "unknown path is not 404")
    check(get(base + "/metrics", method="POST")[0] == 405, "POST is not 405")
    status, _, body = get(base + "/metrics", method="HEAD")
    check(status == 200 and body == "", "HEAD: %d %r" % (status, body[:40]))


def moved(proc, cfg, work, site, old_base):
    """SIGHUP with another port: the endpoint moves, the reload is counted."""
    port = free_port()
    write_config(cfg, work, site.origin, port)
    proc.send_signal(signal.SIGHUP)
    base = "http://127.0.0.1:%d" % port
    if wait_for("the endpoint on its new port", lambda: endpoint_up(base), 20):
        wait_for("reloads_total", lambda: value(scrape(base), "reloads_total", result="ok") == 1, 10)
    check(not endpoint_up(old_base), "the old address still answers after the reload")


def parser_rejects():
    """The parser is strict: each of these is refused."""
    head = "# HELP a_total x\n# TYPE a_total counter\n"
    for bad in [head + "a_total 1",                       # no final line feed
                "# TYPE a_total counter\na_total 1\n",   # no HELP
                "# HELP a x\n# TYPE a counter\na 1\n",   # counter without _total
                head + "a_total 1\na_total 2\n",          # duplicate series
                head + "a_total{l=x} 1\n",                 # unquoted label value
                head + "a_total one\n",                    # bad value
                head + "a_total 1\n# HELP a_total y\n"]:  # HELP after samples
        try:
            parse_metrics(bad)
            check(False, "the parser accepted %r" % bad)
        except ValueError:
            pass
    check(parse_metrics(head + 'a_total{l="v\\"q"} 1.5e3\n')[0] ==
          {("a_total", frozenset({("l", 'v\\"q')})): 1500.0}, "the parser misread a sample")


def kafka_down(binary, work, site):
    """No broker listens: /healthz turns 503 with the reason (after the
    start's topic check, at most 20 s, and message.timeout.ms)."""
    port = free_port()
    cfg = os.path.join(work, "down.ini")
    write_config(cfg, work + "/down", site.origin, port, "127.0.0.1:%d" % free_port())
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([binary, "-c", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        def reason():
            try:
                status, _, body = get(base + "/healthz", timeout=2)
            except (ConnectionError, urllib.error.URLError):
                return False
            # 503 "starting" during the topic check, 200 until the bound
            # passed, then 503 with the reason
            check(status in (200, 503), "healthz without a broker: %d %r" % (status, body))
            return status == 503 and body.startswith("no Kafka broker at 127.0.0.1:")
        if wait_for("healthz to name the missing broker", reason, 45):
            check(value(scrape(base), "healthy") == 0, "recipe_scraperd_healthy is not 0")
    finally:
        stop(proc, "the daemon without a broker")


def health(base):
    try:
        return get(base + "/healthz", timeout=5)[::2]
    except (ConnectionError, urllib.error.URLError, socket.timeout):
        return None, ""


def broker_command(broker, line):
    broker.stdin.write(line + "\n")
    broker.stdin.flush()
    answer = broker.stdout.readline().strip()
    check(answer == "ok", "broker %r: %r" % (line, answer))


def idle_brokers_vanish(binary, work, site):
    """The crawl is over and nothing is in flight when every broker goes
    away: the producer's idle probe notices, /healthz says so."""
    broker = subprocess.Popen([binary, "broker", "--stdin-commands"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    bootstrap = broker.stdout.readline().strip()
    port = free_port()
    cfg = os.path.join(work, "idle.ini")
    write_config(cfg, work + "/idle", site.origin, port, bootstrap)
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([binary, "-c", cfg], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "stderr"), "w"))
    try:
        wait_for("the idle daemon's endpoint", lambda: endpoint_up(base), 30)
        wait_for("the idle daemon's crawl", lambda: crawl_done(base), 60)
        check(health(base)[0] == 200, "healthz of the idle daemon: %s" % (health(base),))
        broker_command(broker, "alldown")
        down = "no Kafka broker at %s answered for " % bootstrap
        if wait_for("healthz to say the brokers are gone",
                    lambda: health(base)[0] == 503 and health(base)[1].startswith(down), 20):
            check(value(scrape(base), "records_in_flight") == 0, "not idle: records in flight")
        broker_command(broker, "allup")
        # librdkafka's reconnect backoff grows to 10 s (reconnect.backoff.max.ms)
        wait_for("healthz 200 with the brokers back", lambda: health(base)[0] == 200, 40)
    finally:
        stop(proc, "the idle daemon")
        broker.stdin.close()
        broker.wait(timeout=30)


def full_pipe():
    """A pipe whose buffer (one page) is full: a blocking write to it
    waits until the other end is read."""
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ
    os.set_blocking(w, False)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    return r, w


def stuck_consumer(binary, work, site):
    port = free_port()
    cfg = os.path.join(work, "stuck.ini")
    write_config(cfg, work + "/stuck", site.origin, port)
    base = "http://127.0.0.1:%d" % port
    r, w = full_pipe()
    env = dict(os.environ, WATCHDOG_USEC="4000000")
    proc = subprocess.Popen([binary, "-c", cfg], stdout=w, env=env,
                            stderr=open(os.path.join(work, "stderr"), "w"))
    os.close(w)
    reader = None
    try:
        stuck = "consumer thread made no progress for 2s"
        if wait_for("healthz to name the stuck consumer",
                    lambda: health(base) == (503, stuck + "\n"), 60):
            samples = scrape(base)
            check(value(samples, "healthy") == 0, "recipe_scraperd_healthy is not 0 when stuck")
        reader = threading.Thread(target=lambda: [None for _ in iter(lambda: os.read(r, 65536), b"")])
        reader.start()
        wait_for("healthz 200 once the pipe is read", lambda: health(base)[0] == 200, 20)
    finally:
        stop(proc, "the daemon with a stuck consumer")
        if reader:
            reader.join(timeout=30)
        os.close(r)


def main():
    binary = sys.argv[1]
    parser_rejects()
    site = Site().start()
    work = tempfile.mkdtemp(prefix="rsd-metrics.")
    try:
        exercise(binary, work, site)
        kafka_down(binary, work, site)
        idle_brokers_vanish(binary, work, site)
        stuck_consumer(binary, work, site)
    finally:
        site.shutdown()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
