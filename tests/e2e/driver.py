#!/usr/bin/python3
"""The end-to-end checks, run inside the booted test container (rsd-e2e.service).

Does what an operator does with recipe-scraperd (systemctl start, status,
reload, stop, journalctl with the documented filters) and what goes wrong in
production (a crash, a frozen process), and checks what systemd and the
journal show. The test site (tests/fixtures/site) is served from this process
on 127.0.0.1:8088. One line per check goes to RESULTS/results.txt as
"PASS|FAIL name detail", then "END"; RESULTS/journal.txt keeps the journal.
Waits block on `journalctl --follow` with a deadline; only the unit's state
right after a reload is polled, briefly (settle()).
usage: driver.py RESULTS_DIR
"""
import functools, http.server, json, os, select, signal, socketserver, subprocess, sys, threading, time

UNIT = "recipe-scraperd.service"
CONFIG = "/etc/recipe-scraperd/recipe-scraperd.ini"
SITE = "/srv/rsd-e2e-site"
BASE = "http://127.0.0.1:8088/"
THRESHOLD = 200
# The credential of the test's drop-in (watchdog.conf), in user_agent.
CREDENTIAL = "e2e-credential-7f3a"
AGENT = f"recipe-scraperd-e2e ({CREDENTIAL})"
AGENTS = set()  # User-Agent headers the test site received
WATCHDOG_S = 5  # WatchdogSec of the test's drop-in (watchdog.conf)

# MESSAGE_IDs: src/journal/journal_sink.h, src/daemon/log.h, systemd/recipe-scraperd.catalog.
RECIPE = "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
ALERT = "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
STARTED = "1e3a5c7e9b2d4f6a8c0e2b4d6f8a0c37"
RELOADED = "5a7c9e1b3d5f4a2c8e0b6d4f2a0c8e25"
REJECTED = "3b8e2f1a9c7d4e6b8a0f2c4e6a8b0d13"
STOPPING = "7f9b1d3f5a7c4e2b9d1f3a5c7e9b1d49"
# systemd's own entries about the unit (catalog of systemd).
UNIT_STARTED = "39f53479d3a045ac8e11786248231fbf"  # start job done (after READY=1)
UNIT_SUCCESS = "7ad2d189f7e94e70a38c781354912448"  # "Deactivated successfully"
UNIT_PROCESS_EXIT = "98e322203f7a4ed290d09fe03c09fe15"  # main process failed/killed
CONTRACT = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "RECIPE_URL", "RECIPE_TITLE",
            "RECIPE_HOST", "RECIPE_JSON", "KAFKA_TOPIC", "KAFKA_PARTITION", "KAFKA_OFFSET"]


class Results:
    def __init__(self, directory):
        self.file = open(os.path.join(directory, "results.txt"), "w")
        self.failed = 0

    def check(self, name, ok, detail=""):
        """Record one check; a line is written (and flushed) at once so that
        a run cut short still shows how far it got."""
        line = f"{'PASS' if ok else 'FAIL'} {name} {detail}".rstrip()
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()
        self.failed += not ok
        return ok

    def end(self):
        self.file.write("END\n")
        self.file.close()


def run(*argv, timeout=60):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def systemctl(*args, timeout=90):
    return run("systemctl", *args, timeout=timeout)


def show(*props):
    out = systemctl("show", UNIT, "-p", ",".join(props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def journal(*matches, after=None):
    """The unit's entries (journalctl -u), optionally only those after a
    cursor() position; matches are journalctl's own filters."""
    args = [f"--after-cursor={after}"] if after else []
    out = run("journalctl", "--no-pager", "-o", "json", "-u", UNIT, *args, *matches).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def cursor():
    """The position of the unit's newest entry (None before its first):
    later reads only see what follows. It must be an entry of the unit
    itself: journalctl --after-cursor skips the first match when the cursor
    entry does not match the filters, so after= is never combined with
    further matches (those are applied here, in Python)."""
    out = run("journalctl", "--no-pager", "-o", "json", "-u", UNIT, "-n", "1").stdout
    return json.loads(out)["__CURSOR"] if out.strip() else None


def follow(after, accept, timeout):
    """Follow the unit's journal after a cursor until accept(entry) is true
    (returns the entry) or the deadline passes (returns None). Reads the raw
    pipe: a buffered reader could hold complete lines that select() no
    longer reports."""
    args = [f"--after-cursor={after}"] if after else []
    proc = subprocess.Popen(["journalctl", "--no-pager", "-o", "json", "-f", "-n", "all",
                             "-u", UNIT, *args], stdout=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    pending = b""
    try:
        while True:
            *lines, pending = pending.split(b"\n")
            for line in lines:
                entry = json.loads(line)
                if accept(entry):
                    return entry
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            pending += chunk
    finally:
        proc.kill()
        proc.wait()


def settle(pred, timeout=5):
    """systemd's unit state after an event seen in the journal can lag it by
    a notification (READY=1 follows the daemon's "reloaded" entry). Without
    D-Bus bindings in the container there is nothing to block on: a short,
    bounded poll of `systemctl show`."""
    deadline = time.monotonic() + timeout
    while not pred() and time.monotonic() < deadline:
        time.sleep(0.1)
    return pred()


def has_id(message_id):
    return lambda e: e.get("MESSAGE_ID") == message_id


def serve_site():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def parse_request(self):
            ok = super().parse_request()
            if ok:
                AGENTS.add(self.headers.get("User-Agent", ""))
            return ok
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 8088),
                                          functools.partial(Quiet, directory=SITE))
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def start_broker():
    """A standalone development broker on 127.0.0.1:9092 (the configuration's
    brokers) that outlives the daemon's restarts. The crawl state remembers
    deliveries per Kafka cluster, and the embedded broker's die with each
    daemon process: only a broker of its own shows that a restarted daemon
    does not deliver again what the cluster already has."""
    b = subprocess.Popen(["/usr/sbin/recipe-scraperd", "broker", "--port", "9092"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    # Its first line (the bootstrap servers) says it listens.
    if not select.select([b.stdout], [], [], 60)[0] or not b.stdout.readline().strip():
        b.kill()
        raise RuntimeError("the development broker printed no bootstrap servers")
    return b


def expected_recipes():
    with open(os.path.join(SITE, "EXPECTED.json")) as f:
        return {BASE + e["path"]: e for e in json.load(f)}


def is_alert(exp):
    return exp["calories"] is not None and exp["calories"] > THRESHOLD


# ---- the checks, in the order an operator meets them ----------------------

def check_install(r):
    u = run("journalctl", "--update-catalog")
    cat = run("journalctl", "--list-catalog").stdout
    r.check("catalog-installed", u.returncode == 0 and ALERT in cat and REJECTED in cat,
            "journalctl --update-catalog indexes the alert and reload-rejected entries")
    sec = run("systemd-analyze", "security", "--no-pager", UNIT)
    level = next((l.split(":")[1].split()[0] for l in sec.stdout.splitlines()
                  if l.startswith("→ Overall exposure level")), None)
    r.check("security-exposure", level is not None and float(level) <= 1.5,
            f"systemd-analyze security: {level} (limit 1.5)")


def check_start(r):
    c = cursor()
    s = systemctl("start", UNIT)
    r.check("start", s.returncode == 0, f"systemctl start: exit {s.returncode} {s.stderr.strip()}")
    a = systemctl("is-active", UNIT).stdout.strip()
    r.check("is-active", a == "active", a)
    e = follow(c, has_id(STARTED), 10)
    r.check("started-event", e is not None and e.get("PRIORITY") == "6"
            and CONFIG in e.get("MESSAGE", "") and e.get("RSD_VERSION"),
            e.get("MESSAGE", "") if e else "no started entry")
    p = show("MainPID", "WatchdogUSec", "User", "DynamicUser")
    uid = None
    if p.get("MainPID", "0") != "0":
        with open(f"/proc/{p['MainPID']}/status") as f:
            uid = next(l.split()[1] for l in f if l.startswith("Uid:"))
    r.check("dynamic-user", uid not in (None, "0") and p.get("DynamicUser") == "yes",
            f"runs as uid {uid}")
    r.check("watchdog-armed", p.get("WatchdogUSec") == f"{WATCHDOG_S}s", f"WatchdogUSec={p.get('WatchdogUSec')}")
    return c


def check_credential(r):
    """user_agent = ... ${credential:ua-note}: the site sees it expanded
    (SetCredential= of the drop-in), the journal never shows it."""
    r.check("credential-user-agent", AGENTS == {AGENT}, " | ".join(sorted(AGENTS)))
    leaked = [e.get("MESSAGE", "") for e in journal()
              if CREDENTIAL in json.dumps(e) and e.get("MESSAGE_ID") not in (RECIPE, ALERT)]
    r.check("credential-not-logged", not leaked, " | ".join(map(str, leaked[:3])))


def check_records(r, since):
    expected = expected_recipes()
    seen = set()

    def all_consumed(e):
        if e.get("MESSAGE_ID") in (RECIPE, ALERT):
            seen.add(e.get("RECIPE_URL"))
        return seen >= expected.keys()
    t0 = time.monotonic()
    done = follow(since, all_consumed, 90) is not None
    r.check("records-consumed", done,
            f"{len(seen)}/{len(expected)} recipes in the journal after {time.monotonic() - t0:.1f} s")

    entries = [e for e in journal() if e.get("MESSAGE_ID") in (RECIPE, ALERT)]
    by_url = {}
    for e in entries:
        by_url.setdefault(e.get("RECIPE_URL"), []).append(e)
    r.check("records-once", all(len(by_url.get(u, [])) == 1 for u in expected)
            and len(entries) == len(expected), f"{len(entries)} entries for {len(expected)} recipes")
    bad_fields, bad_prio, bad_title = [], [], []
    for url, exp in expected.items():
        for e in by_url.get(url, []):
            missing = [f for f in CONTRACT if f not in e]
            if missing or json.loads(e.get("RECIPE_JSON", "{}")).get("url") != url:
                bad_fields.append(f"{url}: {missing or 'RECIPE_JSON'}")
            want = ("4", ALERT) if is_alert(exp) else ("6", RECIPE)
            if (e.get("PRIORITY"), e.get("MESSAGE_ID")) != want:
                bad_prio.append(f"{exp['path']}={e.get('PRIORITY')}")
            if e.get("RECIPE_TITLE") != exp["title"]:
                bad_title.append(exp["path"])
    r.check("record-fields", not bad_fields, "; ".join(bad_fields) or "every contract field")
    r.check("record-titles", not bad_title, " ".join(bad_title) or "titles as in EXPECTED.json")
    r.check("alert-priority", not bad_prio,
            " ".join(bad_prio) or f"PRIORITY 4 exactly above {THRESHOLD} kcal")

    alerts = {u for u, exp in expected.items() if is_alert(exp)}
    got = {e.get("RECIPE_URL") for e in journal(f"MESSAGE_ID={ALERT}")}
    r.check("filter-message-id", got == alerts,
            f"journalctl -u {UNIT} MESSAGE_ID={ALERT}: {len(got)} entries, {len(alerts)} expected")
    warn = {e.get("RECIPE_URL") for e in journal("-p", "warning") if "RECIPE_URL" in e}
    r.check("filter-priority", warn == alerts, f"-p warning: {len(warn)} recipes")
    host = journal("RECIPE_HOST=127.0.0.1")
    r.check("filter-host", len(host) == len(expected), f"RECIPE_HOST=127.0.0.1: {len(host)} entries")
    x = run("journalctl", "--no-pager", "-x", "-u", UNIT, f"MESSAGE_ID={ALERT}", "-n", "1").stdout
    r.check("catalog-alert", "calorie_threshold" in x and "Subject: High-calorie recipe" in x,
            "journalctl -x explains the alert")
    errors = [e.get("MESSAGE", "") for e in journal("-p", "err")]
    r.check("no-errors", not errors, "; ".join(errors)[:300] or "nothing at priority err or worse")
    st = show("StatusText")["StatusText"]
    r.check("status-text", st.startswith("pages"), f"STATUS={st}")


def write_config(text):
    with open(CONFIG, "w") as f:
        f.write(text)


def check_reload(r, good):
    pid = show("MainPID")["MainPID"]
    c = cursor()
    write_config(good.replace("delay_ms = 0", "delay_ms = 10"))
    s = systemctl("reload", UNIT)
    e = follow(c, has_id(RELOADED), 30)
    r.check("reload-valid", s.returncode == 0 and e is not None,
            e.get("MESSAGE", "") if e else f"no reloaded entry (systemctl exit {s.returncode})")
    # READY=1 after RELOADING=1 takes the unit from "reloading" back to
    # "active": the follow above saw the event logged just before READY=1.
    settle(lambda: show("ActiveState")["ActiveState"] == "active")
    st = show("ActiveState", "MainPID", "StatusText")
    r.check("reload-ready", st["ActiveState"] == "active" and st["MainPID"] == pid
            and not st["StatusText"].startswith("Reloading"),
            f"{st['ActiveState']}, MainPID {st['MainPID']} (was {pid}), STATUS={st['StatusText']}")

    lines = good.splitlines()
    at = lines.index("[scraper]") + 1
    lines[at:at] = ["bogus_key = 1", "max_depth = deep"]   # lines at+1 and at+2
    want = [f"{CONFIG}:{at + 1}:", f"{CONFIG}:{at + 2}:"]
    c = cursor()
    write_config("\n".join(lines) + "\n")
    s = systemctl("reload", UNIT)
    e = follow(c, lambda e: e.get("MESSAGE_ID") == REJECTED and "CONFIG_ERROR" not in e, 30)
    r.check("reload-invalid-rejected", e is not None and e.get("PRIORITY") == "3",
            e.get("MESSAGE", "") if e else "no reload-rejected entry")
    # ExecReload= (recipe-scraperd reload) waited for the daemon's verdict:
    # systemctl reload fails, and the command's FILE:LINE lines are in the
    # unit's journal (systemctl status shows them).
    said = [e.get("MESSAGE", "") for e in journal(after=c)
            if e.get("_PID") != pid and "MESSAGE_ID" not in e]
    r.check("reload-invalid-systemctl-fails", s.returncode != 0
            and any(m.startswith(want[0]) for m in said)
            and any("rejected: the daemon (pid %s)" % pid in m for m in said),
            f"systemctl reload: exit {s.returncode} {s.stderr.strip()}; ExecReload said: "
            + " | ".join(said))
    where = [e.get("MESSAGE", "") for e in journal(after=c) if e.get("MESSAGE_ID") == REJECTED]
    r.check("reload-invalid-file-line", all(any(m.startswith(w) for m in where) for w in want),
            " | ".join(where))
    st = show("ActiveState", "MainPID")
    r.check("reload-invalid-still-active", st["ActiveState"] == "active" and st["MainPID"] == pid,
            f"{st['ActiveState']}, MainPID {st['MainPID']} (was {pid})")
    # STATUS= keeps the rejection past the 2 s refresh, until a good reload.
    # The periodic STATUS= ("pages ...", every 2 s) replaced the immediate
    # "Reload rejected: ..." one: the rejection must still be in it.
    settle(lambda: show("StatusText")["StatusText"].startswith("pages "))
    text = show("StatusText")["StatusText"]
    r.check("reload-rejected-status-kept", f"last reload rejected: {want[0]}" in text, text)
    x = run("journalctl", "--no-pager", "-x", "-u", UNIT, f"MESSAGE_ID={REJECTED}", "-n", "1").stdout
    r.check("catalog-reload-rejected", "previous configuration kept" in x,
            "journalctl -x explains the rejected reload")
    chk = run("recipe-scraperd", "--check-config", "-c", CONFIG)
    r.check("check-config", chk.returncode == 78 and f"{CONFIG}:{at + 1}:" in chk.stdout + chk.stderr,
            f"exit {chk.returncode}")
    write_config(good)
    c = cursor()
    s = systemctl("reload", UNIT)
    e = follow(c, has_id(RELOADED), 30)
    settle(lambda: "last reload rejected" not in show("StatusText")["StatusText"])
    text = show("StatusText")["StatusText"]
    r.check("reload-good-clears-status", s.returncode == 0 and e is not None
            and "last reload rejected" not in text, f"exit {s.returncode}: {text}")


def check_stop(r, name):
    c = cursor()
    t0 = time.monotonic()
    s = systemctl("stop", UNIT)
    took = time.monotonic() - t0
    state = show("ActiveState")["ActiveState"]
    # An inactive unit may be unloaded at once (its ExecMain* properties
    # reset): systemd's journal entries are the record of how it ended.
    after = journal(after=c)
    clean = any(e.get("MESSAGE_ID") == UNIT_SUCCESS for e in after)
    bad = [e.get("MESSAGE", "") for e in after if e.get("MESSAGE_ID") == UNIT_PROCESS_EXIT]
    r.check(name, s.returncode == 0 and state == "inactive" and clean and not bad,
            f"systemctl stop: exit {s.returncode} in {took:.1f} s, {state}, "
            + ("exit status 0 (Deactivated successfully)" if clean and not bad else "; ".join(bad)))
    e = next((e for e in after if e.get("MESSAGE_ID") == STOPPING), None)
    counts = {k: e.get(k) for k in ("PAGES_FETCHED", "RECORDS_PRODUCED", "RECORDS_CONSUMED",
                                     "RECORDS_UNDELIVERED")} if e else {}
    r.check(name + "-event", e is not None and None not in counts.values(),
            e.get("MESSAGE", "") if e else "no stopping entry")
    return counts


def restarted(r, name, action, bound_s, systemd_says, detect_s):
    """Do action(pid) to the running daemon; systemd must log systemd_says
    within detect_s seconds and have restarted it (a new MainPID, ready: its
    start job done) within bound_s seconds."""
    before = show("MainPID", "NRestarts")
    c = cursor()
    t0, wall0 = time.monotonic(), time.time()
    action(int(before["MainPID"]))
    e = follow(c, lambda e: e.get("MESSAGE_ID") == UNIT_STARTED
               and e.get("JOB_RESULT") == "done", bound_s)
    took = time.monotonic() - t0
    after = show("MainPID", "NRestarts", "ActiveState")
    r.check(name, e is not None and after["ActiveState"] == "active"
            and after["MainPID"] not in ("0", before["MainPID"])
            and int(after["NRestarts"]) == int(before["NRestarts"]) + 1,
            f"MainPID {before['MainPID']} -> {after['MainPID']} in {took:.1f} s, "
            f"NRestarts {after['NRestarts']}")
    said = next((m for m in journal(after=c) if systemd_says in m.get("MESSAGE", "")), None)
    delay = int(said["__REALTIME_TIMESTAMP"]) / 1e6 - wall0 if said else None
    r.check(name + "-detected", said is not None and delay <= detect_s,
            f"after {delay:.1f} s (limit {detect_s} s): {said['MESSAGE']}" if said
            else f"no '{systemd_says}'")


def main():
    results_dir = sys.argv[1]
    r = Results(results_dir)
    broker = None
    try:
        serve_site()
        broker = start_broker()
        with open(CONFIG) as f:
            good = f.read()
        check_install(r)
        since = check_start(r)
        check_records(r, since)
        check_credential(r)
        check_reload(r, good)
        check_stop(r, "stop")
        # DynamicUser: StateDirectory= lives in /var/lib/private, reached
        # through the /var/lib/recipe-scraperd symlink.
        state = os.listdir("/var/lib/private/recipe-scraperd")
        r.check("state-directory", bool(state)
                and os.readlink("/var/lib/recipe-scraperd") == "private/recipe-scraperd",
                f"/var/lib/private/recipe-scraperd: {' '.join(sorted(state))}")
        s = systemctl("start", UNIT)
        r.check("restart-after-stop", s.returncode == 0, f"systemctl start: exit {s.returncode}")
        restarted(r, "kill-9", lambda pid: os.kill(pid, signal.SIGKILL), 20,
                  "status=9/KILL", 1)
        # SIGSTOP freezes every thread: no WATCHDOG=1 any more; after
        # WatchdogSec (5 s here) systemd aborts the process and restarts it.
        # The last ping may be up to a tick (1 s) before the SIGSTOP.
        restarted(r, "watchdog", lambda pid: os.kill(pid, signal.SIGSTOP), 30,
                  "Watchdog timeout", WATCHDOG_S + 1)
        counts = check_stop(r, "final-stop")
        # Pages whose records this cluster acknowledged are done in the crawl
        # state: the restarted daemons did not produce them again.
        r.check("crawl-state-kept", counts.get("RECORDS_PRODUCED") == "0",
                f"records produced since the restarts: {counts.get('RECORDS_PRODUCED')}")
    except Exception as exc:  # a crash of the driver is a failed check, not a hang
        r.check("driver", False, f"{type(exc).__name__}: {exc}")
    finally:
        if broker:
            broker.terminate()
            broker.wait(timeout=30)
        with open(os.path.join(results_dir, "journal.txt"), "w") as f:
            subprocess.run(["journalctl", "--no-pager", "-b", "-o", "short-monotonic"],
                           stdout=f, timeout=60)
        r.end()
    sys.exit(1 if r.failed else 0)


if __name__ == "__main__":
    main()
