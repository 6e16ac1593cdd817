#!/usr/bin/env python3
"""Times the extractor on large hostile pages: shapes that make work grow
faster than the page if some step is quadratic (lists compared item by item,
references searched per use, headings walked per list...). The fuzzers cannot
build them (their inputs stop at 4 KiB). Reports ms and MB/s per shape and
path; it passes or fails on nothing.

    bench/extract/hostile_pages.py [BUILD] [--scale N]

BUILD (default build-bench) must hold tests/extract/extract_cli; --scale
multiplies every shape's item count (default 1: pages of 0.1-4 MB).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def jsonld(recipe, body=""):
    return ('<html><head><script type="application/ld+json">' + json.dumps(recipe) +
            "</script></head><body>" + body + "</body></html>")


def recipe(**members):
    return dict({"@type": "Recipe", "name": "R", "recipeIngredient": ["1 egg"]}, **members)


def microdata(inner):
    return ('<html><body><div itemscope itemtype="https://schema.org/Recipe">'
            '<h1 itemprop="name">R</h1>' + inner + "</div></body></html>")


def shapes(k):
    """name -> page text; k scales the item counts."""
    n = 10000 * k
    steps = [{"@id": "#s%d" % i, "@type": "HowToStep", "text": "Step %d." % i} for i in range(n)]
    refs = recipe(recipeInstructions=[{"@id": "#s%d" % i} for i in range(n)])
    return {
        "@id references to steps": jsonld({"@graph": [refs] + steps}),
        "keywords, one string": jsonld(recipe(keywords=", ".join("k%d" % i for i in range(10 * n)))),
        "categories, an array": jsonld(recipe(recipeCategory=["c%d" % i for i in range(10 * n)])),
        "nutrients": jsonld(recipe(nutrition={"n%d" % i: "1 g" for i in range(10 * n)})),
        "ingredients": jsonld(recipe(recipeIngredient=["%d g salt" % i for i in range(10 * n)])),
        "steps, one string": jsonld(recipe(recipeInstructions="\n".join(
            "Step %d, stir." % i for i in range(10 * n)))),
        "names only vs page rows": jsonld(recipe(recipeIngredient=["salt%d" % i for i in range(2 * n)]),
                                          "<ul>" + "".join("<li>1 g salt%d</li>" % i
                                                           for i in range(2 * n)) + "</ul>"),
        "glued method vs page list": jsonld(recipe(recipeInstructions=" ".join(
            "Do thing %d now." % i for i in range(3 * n))),
            "<ol>" + "".join("<li>Do thing %d now.</li>" % i for i in range(3 * n)) + "</ol>"),
        "JSON values back to back": ('<html><head><script type="application/ld+json">' +
                                     '{"@type":"Thing"}' * (20 * n) + json.dumps(recipe()) +
                                     "</script></head></html>"),
        "microdata ingredients": microdata("".join(
            '<span itemprop="recipeIngredient">%d cup x</span>' % i for i in range(3 * n))),
        "microdata steps": microdata("".join(
            '<div itemprop="recipeInstructions" itemscope itemtype="https://schema.org/HowToStep">'
            '<span itemprop="text">Stir %d.</span></div>' % i for i in range(n))),
        "plain sections repeated": "<html><body><h1>T</h1>" + (
            "<h2>Ingredients</h2><ul><li>1 cup x</li></ul><h2>Method</h2><ol><li>Mix.</li></ol>"
            * (n // 2)) + "</body></html>",
        "one long plain list": "<html><body><h1>T</h1><h2>Ingredients</h2><ul>" +
        "<li>1 cup flour</li>" * (4 * n) + "</ul><h2>Method</h2><ol>" + "<li>Stir.</li>" * n +
        "</ol></body></html>",
        "yield labels": "<html><body>" + "<span>Serves</span><span>x</span>" * (3 * n) +
        "</body></html>",
        "links": "<html><body>" + "".join('<a href="/r/%d.html">x</a>' % i
                                          for i in range(10 * n)) + "</body></html>",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build-bench")
    ap.add_argument("--scale", type=int, default=1)
    args = ap.parse_args()
    cli = os.path.join(args.build, "tests", "extract", "extract_cli")
    if not os.access(cli, os.X_OK):
        sys.exit("hostile_pages.py: no %s (ninja -C %s tests/extract/extract_cli)" % (cli, args.build))
    print("%-28s %9s %10s %10s %10s" % ("shape", "MB", "fast ms", "full ms", "fast MB/s"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, page in shapes(args.scale).items():
            path = os.path.join(tmp, "page.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(page)
            mb = os.path.getsize(path) / 1e6
            ms = []
            for flags in ([], ["--full"]):
                t = time.perf_counter()
                subprocess.run([cli] + flags + [path], stdout=subprocess.DEVNULL, check=True)
                ms.append((time.perf_counter() - t) * 1000)
            print("%-28s %9.2f %10.0f %10.0f %10.1f" % (name, mb, ms[0], ms[1], mb / (ms[0] / 1000)))


if __name__ == "__main__":
    main()
