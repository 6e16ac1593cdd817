#!/usr/bin/env python3
"""System test: the journal sink against a real, private systemd-journald.

Runs itself again inside a private mount namespace (unshare -m) with tmpfs on
/run/systemd, /run/log and /var/log/journal, starts systemd-journald there,
serves tests/fixtures on loopback, runs `recipe-scraperd --once` with
sink = journal and checks what `journalctl -o json` shows: every fixture recipe
once with every contract field, PRIORITY 4 and the alert MESSAGE_ID exactly
for those above the threshold, and the filters operators use. Then, with
allow_private_addresses = off and the daemon's stderr on the journal, the
refusal entry of the loopback start URL with its fields, and the stopping
entry counting it.
Needs root (mount namespaces); exits 77 (meson: skipped) otherwise.
usage: test_journal.py BINARY FIXTURES_DIR
"""
import json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import loopback_http  # noqa: E402  (tests/support: the loopback HTTP server)

ALERT_ID = "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
RECIPE_ID = "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
REFUSED_ID = "13c33949024e46de839266bcfc2c7596"
STOPPING_ID = "7f9b1d3f5a7c4e2b9d1f3a5c7e9b1d49"
IDENT = "rsd-journal-test"
CONTRACT = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "RECIPE_URL", "RECIPE_TITLE",
            "RECIPE_HOST", "RECIPE_JSON", "KAFKA_TOPIC", "KAFKA_PARTITION", "KAFKA_OFFSET"]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def outer():
    if os.geteuid() != 0:
        print("SKIP: needs root for a private mount namespace and journald")
        sys.exit(77)
    for tool in ("unshare", "journalctl", "systemd-cat"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not installed")
            sys.exit(77)
    if not os.path.exists("/lib/systemd/systemd-journald"):
        print("SKIP: systemd-journald not installed")
        sys.exit(77)
    # In a chroot whose directory is not a mount point the kernel refuses to
    # make / private (EINVAL), which the namespace below needs.
    if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
        print("SKIP: / is not a mount point (a chroot?): bind-mount the chroot's "
              "directory onto itself first")
        sys.exit(77)
    env = dict(os.environ, RSD_IN_NAMESPACE="1")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable] + sys.argv,
                       env=env, timeout=300)
    sys.exit(r.returncode)


def start_journald():
    for d in ("/run/systemd", "/run/log", "/var/log/journal"):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
    # No /dev/log mount: journald binds its syslog socket under /run/systemd/journal.
    jd = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    for _ in range(100):  # bounded: 10 s
        if os.path.exists("/run/systemd/journal/socket"):
            return jd
        time.sleep(0.1)
    raise SystemExit("journald did not create its socket")


def journal(*args, ident=IDENT):
    out = subprocess.run(["journalctl", "--no-pager", "-o", "json", f"SYSLOG_IDENTIFIER={ident}",
                          *args], capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def write_config(work, name, base, ident, private):
    """work/name.ini: the fixture site through the embedded broker into the
    journal under ident, with its own crawl state."""
    cfg = os.path.join(work, name + ".ini")
    with open(cfg, "w") as f:
        f.write(f"""[daemon]
state_dir = {work}/state-{name}
[scraper]
start_urls = {base}/site/index.html
delay_ms = 0
allow_private_addresses = {private}
[kafka]
brokers = embedded
[consumer]
group_id = journal-test-{name}
calorie_threshold = 200
[journal]
sink = journal
identifier = {ident}
""")
    return cfg


def check_refusal(binary, work, base):
    """The SSRF guard as journalctl shows it: the daemon's events go to the
    journal when its stderr is a journal stream (JOURNAL_STREAM names it)."""
    ident = IDENT + "-refusal"
    cfg = write_config(work, "refusal", base, ident, private="off")
    script = ('JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$0" --once -c "$1"')
    r = subprocess.run(["systemd-cat", "-t", ident + "-stream", "sh", "-c", script, binary, cfg],
                       capture_output=True, text=True, timeout=180)
    check(r.returncode == 0, f"refusal run exit {r.returncode}: {r.stderr}")
    subprocess.run(["journalctl", "--sync"], timeout=30)
    refused = journal(f"MESSAGE_ID={REFUSED_ID}", ident=ident)
    check(len(refused) == 1, f"{len(refused)} refusal entries, expected 1")
    if refused:
        e = refused[0]
        check(e.get("PRIORITY") == "4", f"refusal PRIORITY {e.get('PRIORITY')}")
        check(e.get("REFUSAL_CAUSE") == "private_address", f"REFUSAL_CAUSE {e.get('REFUSAL_CAUSE')}")
        check(e.get("URL_HOST") == "127.0.0.1", f"URL_HOST {e.get('URL_HOST')}")
        check(e.get("PAGE_URL") == f"{base}/site/index.html", f"PAGE_URL {e.get('PAGE_URL')}")
        check(e.get("CONFIG_KEY") == "allow_private_addresses", f"CONFIG_KEY {e.get('CONFIG_KEY')}")
        check("127.0.0.1 is a loopback address" in e.get("REFUSAL_DETAIL", ""),
              f"REFUSAL_DETAIL {e.get('REFUSAL_DETAIL')}")
    by_cause = journal("REFUSAL_CAUSE=private_address", ident=ident)
    check(len(by_cause) == 1, "REFUSAL_CAUSE filter")
    stopping = journal(f"MESSAGE_ID={STOPPING_ID}", ident=ident)
    check(len(stopping) == 1, f"{len(stopping)} stopping entries")
    if stopping:
        e = stopping[0]
        check("1 refused: 1 private address (allow_private_addresses = off)" in e.get("MESSAGE", ""),
              f"summary: {e.get('MESSAGE')}")
        check(e.get("PAGES_REFUSED") == "1" and e.get("PAGES_REFUSED_PRIVATE_ADDRESS") == "1",
              "PAGES_REFUSED fields")


def inner(binary, fixtures):
    jd = start_journald()
    srv = loopback_http.serve_directory(fixtures)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    expected = json.load(open(os.path.join(fixtures, "site", "EXPECTED.json")))
    work = tempfile.mkdtemp(prefix="rsd-journal.")
    try:
        cfg = write_config(work, "rsd", base, IDENT, private="on")
        r = subprocess.run([binary, "--once", "-c", cfg], capture_output=True, text=True,
                           timeout=180)
        check(r.returncode == 0, f"--once exit {r.returncode}: {r.stderr}")
        subprocess.run(["journalctl", "--sync"], timeout=30)

        entries = journal()
        by_url = {}
        for e in entries:
            by_url.setdefault(e.get("RECIPE_URL"), []).append(e)
        alerts = set()
        for exp in expected:
            url = f"{base}/site/{exp['path']}"
            got = by_url.get(url, [])
            check(len(got) == 1, f"{url}: {len(got)} journal entries, expected 1")
            if not got:
                continue
            e = got[0]
            for field in CONTRACT:
                check(field in e, f"{url}: field {field} missing")
            check(e.get("RECIPE_TITLE") == exp["title"], f"{url}: title {e.get('RECIPE_TITLE')!r}")
            high = exp["calories"] is not None and exp["calories"] > 200
            check(e.get("PRIORITY") == ("4" if high else "6"), f"{url}: PRIORITY {e.get('PRIORITY')}")
            check(e.get("MESSAGE_ID") == (ALERT_ID if high else RECIPE_ID), f"{url}: MESSAGE_ID")
            if exp["calories"] is None:
                check("RECIPE_CALORIES" not in e, f"{url}: RECIPE_CALORIES should be absent")
            else:
                check(float(e.get("RECIPE_CALORIES", "nan")) == float(exp["calories"]),
                      f"{url}: RECIPE_CALORIES {e.get('RECIPE_CALORIES')}")
            rec = json.loads(e.get("RECIPE_JSON", "{}"))
            check(rec.get("url") == url and rec.get("schema") == 1, f"{url}: RECIPE_JSON")
            if high:
                alerts.add(url)
        check(len(entries) == len(expected), f"{len(entries)} entries for {len(expected)} recipes")

        # The filters docs/operations.md tells operators to use.
        by_id = {e["RECIPE_URL"] for e in journal(f"MESSAGE_ID={ALERT_ID}")}
        check(by_id == alerts, f"MESSAGE_ID filter: {sorted(by_id)} != {sorted(alerts)}")
        warn = {e.get("RECIPE_URL") for e in journal("-p", "warning")}
        check(alerts <= warn and len(warn - alerts) == 0, "-p warning shows exactly the alerts")
        host = journal("RECIPE_HOST=127.0.0.1")
        check(len(host) == len(expected), "RECIPE_HOST filter")
        check_refusal(binary, work, base)
    finally:
        srv.shutdown()
        jd.terminate()
        jd.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if os.environ.get("RSD_IN_NAMESPACE") == "1":
        inner(sys.argv[1], sys.argv[2])
    else:
        outer()
