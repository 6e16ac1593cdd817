#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The packaged configuration stays inside the Allrecipes salad category.

tests/fixtures/allrecipes-salad is a local replica of the category's
structure (site.json, rendered to HTML here): the category page with a
second page (?page=2) and two subcategories, recipe pages whose related
links lead to recipes and categories outside salad, other categories, a home
page, and a robots.txt whose Sitemap: line names a sitemap of the whole site.

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
import html, http.server, json, os, re, socketserver, subprocess, sys, tempfile, threading

ALERT_ID = "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
RECIPE_ID = "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
REAL_ORIGIN = "https://www.allrecipes.com"
REAL_HOST = "www.allrecipes.com"
SITEMAP = "/sitemaps/sitemap_1.xml"
from checks import check, finish


def links(paths, site):
    names = {p: v["title"] for p, v in list(site["categories"].items()) + list(site["recipes"].items())}
    return "\n".join('<a href="%s">%s</a>' % (html.escape(p), html.escape(names.get(p, p))) for p in paths)


def render(site, path):
    """The HTML of a page of site.json, as the real site lays it out:
    navigation, the page's own part, footer. None: no such page."""
    if path in site["categories"]:
        page = site["categories"][path]
        items = [{"@type": "ListItem", "position": i + 1, "url": REAL_ORIGIN + p}
                 for i, p in enumerate(p for p in page["links"] if p in site["recipes"])]
        ld = {"@context": "http://schema.org", "@type": "ItemList", "itemListElement": items}
        body = '<main class="cards">%s</main>' % links(page["links"], site)
    elif path in site["recipes"]:
        page = site["recipes"][path]
        ld = {"@context": "http://schema.org", "@type": ["Recipe"], "name": page["title"],
              "author": [{"@type": "Person", "name": "Allrecipes Member"}], "recipeYield": ["4"],
              "totalTime": "PT20M", "recipeIngredient": ["1 bunch spinach", "2 tablespoons olive oil"],
              "recipeInstructions": [{"@type": "HowToStep", "text": "Prepare the ingredients."},
                                     {"@type": "HowToStep", "text": "Toss and serve."}],
              "nutrition": {"@type": "NutritionInformation", "calories": "%d kcal" % page["calories"]},
              "mainEntityOfPage": {"@type": "WebPage", "@id": REAL_ORIGIN + path}}
        body = ('<main><h1>%s</h1></main>\n<section class="related"><h2>You\'ll also love</h2>%s</section>'
                % (html.escape(page["title"]), links(site["related"], site)))
    else:
        return None
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>\n'
            '<script type="application/ld+json">%s</script></head>\n<body><nav>%s</nav>\n%s\n'
            '<footer>%s</footer></body></html>\n'
            % (html.escape(page["title"]), json.dumps(ld), links(site["nav"], site), body,
               links(site["footer"], site)))


def sitemap(site, origin):
    """The whole site, as the real sitemap lists it."""
    urls = sorted(list(site["categories"]) + list(site["recipes"]))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n%s</urlset>\n'
            % "".join("<url><loc>%s</loc></url>\n" % html.escape(origin + u) for u in urls))


class Replica(socketserver.ThreadingTCPServer):
    """Serves the replica on loopback and logs every request path (with its
    query)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fixture):
        with open(os.path.join(fixture, "site.json"), encoding="utf-8") as f:
            self.site = json.load(f)
        with open(os.path.join(fixture, "robots.txt"), encoding="utf-8") as f:
            self.robots = f.read()
        self.requests, self.lock = [], threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)
        self.origin = "http://127.0.0.1:%d" % self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
        if self.path == "/robots.txt":
            body, kind = srv.robots.replace("@ORIGIN@", srv.origin), "text/plain"
        elif self.path == SITEMAP:
            body, kind = sitemap(srv.site, srv.origin), "application/xml"
        else:
            body, kind = render(srv.site, self.path), "text/html; charset=utf-8"
        if body is None:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


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
    with open(os.path.join(source, "packaging", "recipe-scraperd.ini"), encoding="utf-8") as f:
        shipped = f.read()
    srv = Replica(os.path.join(source, "tests", "fixtures", "allrecipes-salad"))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    work = tempfile.mkdtemp(prefix="rsd-scope.")
    try:
        in_scope(binary, shipped, srv, work)
        controls(binary, shipped, srv, work)
    finally:
        srv.shutdown()
    return finish(work)


def in_scope(binary, shipped, srv, work):
    requests, entries = run(binary, shipped, srv, work, "shipped")
    site = srv.site
    recipes = sorted(p for p, r in site["recipes"].items() if r["in_scope"])
    want = sorted(["/robots.txt"] + recipes + [p for p, c in site["categories"].items() if c["in_scope"]])
    check(sorted(requests) == want,
          "shipped: requests\n  %s\nexpected exactly\n  %s" % (sorted(requests), want))
    by_url = {}
    for e in entries:
        by_url.setdefault(e.get("RECIPE_URL"), []).append(e)
    check(sorted(by_url) == sorted(srv.origin + p for p in recipes),
          "shipped: consumed %s" % sorted(by_url))
    for path in recipes:
        r, got = site["recipes"][path], by_url.get(srv.origin + path, [])
        check(len(got) == 1, "%s consumed %d times" % (path, len(got)))
        if not got:
            continue
        e, alert = got[0], r["calories"] > 200  # the shipped calorie_threshold
        check(e.get("RECIPE_TITLE") == r["title"], "%s: title %r" % (path, e.get("RECIPE_TITLE")))
        check(e.get("KAFKA_TOPIC") == "parsed_recipes", "%s: topic %r" % (path, e.get("KAFKA_TOPIC")))
        check(e.get("PRIORITY") == ("4" if alert else "6") and
              e.get("MESSAGE_ID") == (ALERT_ID if alert else RECIPE_ID),
              "%s (%s kcal): PRIORITY %s" % (path, r["calories"], e.get("PRIORITY")))


def controls(binary, shipped, srv, work):
    """The replica tells an in-scope crawl from one that leaves: each of
    the two controls, turned on alone, reaches pages outside the category."""
    off = {"enabled": "off"}  # the requests are what counts here
    requests, _ = run(binary, shipped, srv, work, "sitemaps", {"sitemaps": "robots"}, off)
    check(SITEMAP in requests and "/recipe/99999/sitemap-only-soup/" in requests,
          "control sitemaps = robots: the whole-site sitemap was not followed: %s" % requests)
    requests, _ = run(binary, shipped, srv, work, "follow", {"follow_from_recipes": "on"}, off)
    check("/recipe/10813/best-chocolate-chip-cookies/" in requests and SITEMAP not in requests,
          "control follow_from_recipes = on: related recipes were not followed: %s" % requests)


if __name__ == "__main__":
    sys.exit(main())
