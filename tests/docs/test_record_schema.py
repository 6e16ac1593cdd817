#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Validate real records against docs/record.schema.json.

Runs `recipe-scraperd extract --url URL FILE` over the recipe pages of the
integration fixture site (tests/fixtures/site/recipes/*.html) and validates
every record with jsonschema (Debian: python3-jsonschema), formats included.
Also checks what the schema cannot say: each page yields a record (not {}),
with the title and calories of tests/fixtures/site/EXPECTED.json, and a page
without a recipe prints {} (recipe-scraperd(8), extract).

Usage: test_record_schema.py SCHEMA   (env RSD_BINARY, RSD_FIXTURES)
"""

import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

try:
    import jsonschema
except ImportError:
    sys.exit("python3-jsonschema is required for this test (apt-get install python3-jsonschema)")

URL = "https://example.org/x"


def absolute_uri(value):
    """An RFC 3986 scheme, a host for http(s), no space or control character."""
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme):
        return False
    if parts.scheme in ("http", "https") and not parts.netloc:
        return False
    return not re.search(r"[\x00-\x20\x7f]", value)


RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def rfc3339_date_time(value):
    """RFC 3339 date-time: the syntax, and a date and time that exist."""
    if not isinstance(value, str):
        return True
    if not RFC3339.fullmatch(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# jsonschema takes the checkers of these formats from optional modules
# (rfc3987, rfc3339-validator) that apt's --no-install-recommends leaves out;
# without them it would pass any value. Used only where it has none.
FALLBACK_FORMATS = {"uri": absolute_uri, "date-time": rfc3339_date_time}


def extract(binary, files):
    out = subprocess.run([binary, "extract", "--url", URL, *files], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def check_oversized(binary, validator):
    """A page whose fields exceed the size caps gives a valid record that
    fits one Kafka message and names the cut fields in "truncated"."""
    recipe = {"@type": "Recipe", "name": "T\u00e9 " * 300000,
              "description": "\u20ac \"tart\" " * 100000,
              "recipeIngredient": ["%d g flour" % i for i in range(1, 20001)],
              "recipeInstructions": "Mix and bake."}
    html = ('<html><head><script type="application/ld+json">%s</script></head></html>'
            % json.dumps(recipe, ensure_ascii=False))
    with tempfile.NamedTemporaryFile("w", suffix=".html", encoding="utf-8") as f:
        f.write(html)
        f.flush()
        [record] = extract(binary, [f.name])
    failures = ["oversized page: %s: %s" % ("/".join(map(str, e.absolute_path)) or "(record)",
                                            e.message) for e in validator.iter_errors(record)]
    size = len(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
    if size > 1000000:
        failures.append("oversized page: record of %d bytes" % size)
    if record.get("truncated") != ["title", "description", "ingredients"]:
        failures.append("oversized page: truncated is %r" % record.get("truncated"))
    return failures


def main():
    binary, fixtures = os.environ["RSD_BINARY"], os.environ["RSD_FIXTURES"]
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    checker = cls.FORMAT_CHECKER
    for name, check in FALLBACK_FORMATS.items():
        if name not in checker.checkers:
            checker.checks(name)(check)
    validator = cls(schema, format_checker=checker)
    failures = []
    # jsonschema passes a format it has no checker for: every format the
    # schema uses must be checked.
    formats = set(re.findall(r'"format":\s*"([^"]+)"', json.dumps(schema)))
    for name in sorted(formats - set(checker.checkers)):
        failures.append("format %r is not checked: this jsonschema has no checker for it" % name)

    site = os.path.join(fixtures, "site")
    pages = sorted(glob.glob(os.path.join(site, "recipes", "*.html")))
    with open(os.path.join(site, "EXPECTED.json"), encoding="utf-8") as f:
        expected = {e["path"]: e for e in json.load(f)}
    if not pages:
        failures.append("no fixture pages in %s" % site)
    records = extract(binary, pages)
    if len(records) != len(pages):
        failures.append("%d records for %d pages" % (len(records), len(pages)))

    for page, record in zip(pages, records):
        name = os.path.relpath(page, site)
        if record == {}:
            failures.append("%s: no record" % name)
            continue
        for error in validator.iter_errors(record):
            failures.append("%s: %s: %s" % (name, "/".join(map(str, error.absolute_path))
                                            or "(record)", error.message))
        want = expected.get(name)
        if want is None:
            failures.append("%s: not in EXPECTED.json" % name)
            continue
        for field in ("title", "calories"):
            if record.get(field) != want[field]:
                failures.append("%s: %s is %r, EXPECTED.json says %r"
                                % (name, field, record.get(field), want[field]))
        if record.get("url") != URL:
            failures.append("%s: url is %r, not the --url given" % (name, record.get("url")))

    # The schema's own example must be valid too: it is what people copy.
    for example in schema.get("examples", []):
        for error in validator.iter_errors(example):
            failures.append("schema example: %s" % error.message)

    failures += check_oversized(binary, validator)

    no_recipe = extract(binary, [os.path.join(site, "about.html")])
    if no_recipe != [{}]:
        failures.append("about.html (no recipe): extract printed %r, not {}" % no_recipe)

    for failure in failures:
        print(failure)
    print("%d records validated against %s" % (len(records), sys.argv[1]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
