#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The packaged configuration stays inside the Allrecipes salad category.

tests/fixtures/allrecipes-salad is a local replica of the category's
structure: the category page with a second page (?page=2) and two
subcategories, recipe pages whose "You'll also love" links lead to recipes
and categories outside salad, other categories, a home page, and a
robots.txt whose Sitemap: line names a sitemap of the whole site.

The test takes packaging/recipe-scraperd.ini itself and changes only the
origin (https://www.allrecipes.com -> http://127.0.0.1:PORT, in plain and in
regex-escaped form, and the host www.allrecipes.com -> 127.0.0.1) plus what
a test must change (state_dir, brokers = embedded, delay_ms = 0,
allow_private_addresses = on, sink = stdout). It runs `recipe-scraperd
--once` and asserts that exactly the category's pages and the recipes they
list were requested and consumed, with the shipped 200 kcal alert threshold.

Two control runs show the replica would catch a crawl out of scope: the same
file with sitemaps = robots, or with follow_from_recipes = on, does leave the
category.

usage: test_shipped_scope.py BINARY SOURCE_ROOT
"""
import http.server, json, os, re, socketserver, subprocess, sys, tempfile, threading

ALERT_ID = "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
RECIPE_ID = "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
REAL_ORIGIN = "https://www.allrecipes.com"
REAL_HOST = "www.allrecipes.com"
failed = 0


def check(cond, what):
    global failed
    if not cond:
        failed += 1
        print("FAIL:", what, flush=True)


class Replica(socketserver.ThreadingTCPServer):
    """Serves the fixture like wget -m stores a site: PATH/ is PATH/index.html,
    a query is part of the file name (index.html?page=2). @ORIGIN@ in a file
    becomes this server's origin (robots.txt and the sitemap need absolute
    URLs). Every request path (with its query) is logged."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root):
        self.root, self.requests, self.lock = os.path.abspath(root), [], threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        self.origin = "http://127.0.0.1:%d" % self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
        path, _, query = self.path.partition("?")
        name = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
        name += "?" + query if query else ""
        file = os.path.normpath(os.path.join(srv.root, name))
        if ".." in path or not file.startswith(srv.root) or not os.path.isfile(file):
            self.send_error(404)
            return
        with open(file, encoding="utf-8") as f:
            body = f.read().replace("@ORIGIN@", srv.origin).encode()
        kind = ("text/plain" if file.endswith(".txt") else
                "application/xml" if file.endswith(".xml") else "text/html; charset=utf-8")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def localize(shipped, origin, overrides):
    """The shipped file with the replica's origin and the test's overrides:
    {section: {key: value}} replaces a key's line, or is added at the end
    of its section (a key set twice would be an error)."""
    host = origin.split("//", 1)[1].split(":", 1)[0]
    # the regex form first: follow and recipe escape the dots
    text = shipped.replace(REAL_ORIGIN.replace(".", "\\."), origin.replace(".", "\\."))
    text = text.replace(REAL_ORIGIN, origin).replace(REAL_HOST, host)
    check(REAL_HOST not in text and "allrecipes\\.com" not in text,
          "the origin substitution left a trace of the real site")
    out, section, pending = [], None, {}

    def flush():
        for key, value in pending.items():
            out.append("%s = %s" % (key, value))

    for line in text.splitlines():
        m = re.match(r"\[(\w+)\]\s*$", line)
        if m:
            flush()
            section = m.group(1)
            pending = dict(overrides.get(section, {}))
            out.append(line)
            continue
        m = re.match(r"(\w+)\s*=", line)
        if m and m.group(1) in pending:
            out.append("%s = %s" % (m.group(1), pending.pop(m.group(1))))
        else:
            out.append(line)
    flush()
    return "\n".join(out) + "\n"


def run(binary, shipped, srv, work, name, scraper=None, consumer=None):
    overrides = {
        "daemon": {"state_dir": os.path.join(work, name + ".state")},
        "scraper": dict({"delay_ms": "0", "allow_private_addresses": "on"}, **(scraper or {})),
        "kafka": {"brokers": "embedded"},
        "consumer": consumer or {},
        "journal": {"sink": "stdout"},
    }
    cfg = os.path.join(work, name + ".ini")
    with open(cfg, "w") as f:
        f.write(localize(shipped, srv.origin, overrides))
    with srv.lock:
        srv.requests.clear()
    r = subprocess.run([binary, "--once", "-c", cfg], capture_output=True, text=True, timeout=240)
    check(r.returncode == 0, "%s: --once exit %d: %s" % (name, r.returncode, r.stderr))
    with srv.lock:
        requests = list(srv.requests)
    return requests, [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def main():
    binary, source = sys.argv[1], sys.argv[2]
    fixture = os.path.join(source, "tests", "fixtures", "allrecipes-salad")
    with open(os.path.join(source, "packaging", "recipe-scraperd.ini"), encoding="utf-8") as f:
        shipped = f.read()
    with open(os.path.join(fixture, "EXPECTED.json"), encoding="utf-8") as f:
        expected = json.load(f)
    srv = Replica(fixture)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="rsd-scope.")
    try:
        in_scope(binary, shipped, srv, work, expected)
        controls(binary, shipped, srv, work, expected)
    finally:
        srv.shutdown()
        subprocess.run(["rm", "-rf", work])
    print("%s" % ("FAILED" if failed else "OK"))
    return 1 if failed else 0


def in_scope(binary, shipped, srv, work, expected):
    requests, entries = run(binary, shipped, srv, work, "shipped")
    recipes = [r["path"] for r in expected["recipes"]]
    want = sorted(["/robots.txt"] + expected["category_pages"] + recipes)
    check(sorted(requests) == want,
          "shipped: requests\n  %s\nexpected exactly\n  %s" % (sorted(requests), want))
    by_url = {}
    for e in entries:
        by_url.setdefault(e.get("RECIPE_URL"), []).append(e)
    check(sorted(by_url) == sorted(srv.origin + p for p in recipes),
          "shipped: consumed %s" % sorted(by_url))
    for r in expected["recipes"]:
        got = by_url.get(srv.origin + r["path"], [])
        check(len(got) == 1, "%s consumed %d times" % (r["path"], len(got)))
        if not got:
            continue
        e, alert = got[0], r["calories"] > 200  # the shipped calorie_threshold
        check(e.get("RECIPE_TITLE") == r["title"], "%s: title %r" % (r["path"], e.get("RECIPE_TITLE")))
        check(e.get("KAFKA_TOPIC") == "parsed_recipes", "%s: topic %r" % (r["path"], e.get("KAFKA_TOPIC")))
        check(e.get("PRIORITY") == ("4" if alert else "6") and
              e.get("MESSAGE_ID") == (ALERT_ID if alert else RECIPE_ID),
              "%s (%s kcal): PRIORITY %s" % (r["path"], r["calories"], e.get("PRIORITY")))


def controls(binary, shipped, srv, work, expected):
    """The replica tells an in-scope crawl from one that leaves: each of
    the two controls, turned on alone, reaches pages outside the category."""
    off = {"enabled": "off"}  # the requests are what counts here
    requests, _ = run(binary, shipped, srv, work, "sitemaps", {"sitemaps": "robots"}, off)
    check("/sitemaps/sitemap_1.xml" in requests and "/recipe/99999/sitemap-only-soup/" in requests,
          "control sitemaps = robots: the whole-site sitemap was not followed: %s" % requests)
    requests, _ = run(binary, shipped, srv, work, "follow", {"follow_from_recipes": "on"}, off)
    check("/recipe/10813/best-chocolate-chip-cookies/" in requests and "/sitemaps/sitemap_1.xml" not in requests,
          "control follow_from_recipes = on: related recipes were not followed: %s" % requests)


if __name__ == "__main__":
    sys.exit(main())
