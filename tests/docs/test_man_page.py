#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""recipe-scraperd(8) against the code.

- every MESSAGE_ID defined in src/daemon/log.h and src/journal/journal_sink.h is in the man
  page and in systemd/recipe-scraperd.catalog, and the page names no other;
- every exit code of src/daemon/daemon.h has an item in EXIT STATUS, and no other;
- every long option of `recipe-scraperd --help` is in OPTIONS or COMMANDS.

Usage: test_man_page.py SOURCE_ROOT   (env RSD_BINARY)
"""

import os
import re
import subprocess
import sys


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def section(page, title):
    m = re.search(r"^# %s\n(.*?)(?=^# )" % re.escape(title), page, re.S | re.M)
    return m.group(1) if m else ""


def main():
    root = sys.argv[1]
    page = read(root, "docs/recipe-scraperd.8.scd")
    catalog = read(root, "systemd/recipe-scraperd.catalog")
    failures = []

    ids = set()
    for header in ("src/daemon/log.h", "src/journal/journal_sink.h"):
        ids |= set(re.findall(r'#define RSD_\w+\s+"([0-9a-f]{32})"', read(root, header)))
    if len(ids) < 8:
        failures.append("found only %d MESSAGE_IDs in the headers" % len(ids))
    for mid in sorted(ids):
        if mid not in page:
            failures.append("MESSAGE_ID %s is defined in the code but not in the man page" % mid)
        if "-- " + mid not in catalog:
            failures.append("MESSAGE_ID %s is defined in the code but not in the catalog" % mid)
    for mid in sorted(set(re.findall(r"\b[0-9a-f]{32}\b", page)) - ids):
        failures.append("MESSAGE_ID %s is in the man page but not in the code" % mid)

    codes = set(re.findall(r"RSD_EXIT_\w+\s*=\s*(\d+)", read(root, "src/daemon/daemon.h")))
    documented = set(re.findall(r"^\*(\d+)\*$", section(page, "EXIT STATUS"), re.M))
    if not codes:
        failures.append("no exit codes found in src/daemon/daemon.h")
    for code in sorted(codes - documented, key=int):
        failures.append("exit code %s is in src/daemon/daemon.h but not in EXIT STATUS" % code)
    for code in sorted(documented - codes, key=int):
        failures.append("exit code %s is in EXIT STATUS but not in src/daemon/daemon.h" % code)

    help_text = subprocess.run([os.environ["RSD_BINARY"], "--help"], check=True,
                               capture_output=True, text=True).stdout
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", help_text))
    described = section(page, "OPTIONS") + section(page, "COMMANDS")
    for option in sorted(options):
        if "*%s*" % option not in described:
            failures.append("option %s is in --help but not in OPTIONS or COMMANDS" % option)

    for failure in failures:
        print(failure)
    print("%d MESSAGE_IDs, %d exit codes, %d options checked"
          % (len(ids), len(codes), len(options)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
