#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Keep the key reference of recipe-scraperd.ini(5) equal to the daemon's
configuration table.

The daemon prints its table (section, key, type, default, values, meaning)
as Markdown with `recipe-scraperd --dump-config-keys`. This script turns it
into scdoc and keeps it between the GENERATED markers of the man page:

  gen-ini-reference.py --binary build/recipe-scraperd --update docs/recipe-scraperd.ini.5.scd
  gen-ini-reference.py --binary build/recipe-scraperd --check  docs/recipe-scraperd.ini.5.scd

--check exits 1 and says what differs: keys (or sections) that the code has
and the page lacks, keys the page describes and the code does not have, and
otherwise the lines of the reference that are out of date.
"""

import argparse
import difflib
import re
import subprocess
import sys

BEGIN = "; BEGIN GENERATED KEY REFERENCE (docs/gen-ini-reference.py --update)"
END = "; END GENERATED KEY REFERENCE"
DOTTED = "any dotted key"


def split_row(line):
    """Cells of a Markdown table row; '\\|' is a literal bar."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [c.strip().replace("\\|", "|") for c in cells]


def parse_dump(text):
    """[(section, description, [row dict...])] in the code's order."""
    sections = []
    for line in text.splitlines():
        m = re.fullmatch(r"### \[([a-z_]+)\]", line)
        if m:
            sections.append((m.group(1), [], []))
        elif not sections or not line.strip() or line.startswith("|---"):
            continue
        elif line.startswith("|"):
            cells = split_row(line)
            if cells[0] == "Key":
                continue
            key, typ, default, values, meaning = cells
            sections[-1][2].append({"key": key.strip("`*"), "type": typ, "default": default,
                                    "values": values, "meaning": meaning})
        else:
            sections[-1][1].append(line.strip())
    return [(name, " ".join(desc), rows) for name, desc, rows in sections]


def scd_text(md):
    """Markdown cell text as scdoc text: `code` bold, *emphasis* underlined."""
    def convert(m):
        if m.group(1) is not None:
            return "*" + m.group(1).replace("*", "\\*") + "*"
        return "_" + m.group(2) + "_"
    text = md.replace("\\", "\\\\")
    return re.sub(r"`([^`]*)`|(?<!\w)\*([^*`]+)\*(?!\w)", convert, text)


def render_key(row):
    if row["key"] == DOTTED:
        return ["_librdkafka.property_ = _value_", "\t" + scd_text(row["meaning"]), ""]
    default = row["default"]
    if default == "*required*":
        first = "Required."
    elif default == "*empty*":
        first = "Default: empty."
    else:
        first = "Default: " + scd_text(default) + "."
    return ["*%s* = _%s_" % (row["key"], row["type"]),
            "\t%s Values: %s." % (first, scd_text(row["values"])),
            "",
            "\t" + scd_text(row["meaning"]),
            ""]


def render(sections):
    out = [BEGIN, ""]
    for name, desc, rows in sections:
        out += ["## [%s]" % name, "", scd_text(desc), ""]
        for row in rows:
            out += render_key(row)
    return out + [END]


def page_keys(lines):
    """{(section, key)} and sections described anywhere in the page."""
    keys, sections, section = set(), [], None
    for line in lines:
        m = re.fullmatch(r"## \[([a-z_]+)\]", line)
        if m:
            section = m.group(1)
            sections.append(section)
            continue
        m = re.match(r"\*([a-z_]+)\* = _", line)
        if m and section:
            keys.add((section, m.group(1)))
        elif line.startswith("_librdkafka.property_") and section:
            keys.add((section, DOTTED))
    return keys, sections


def code_keys(sections):
    return {(name, row["key"]) for name, _, rows in sections for row in rows}


def block_bounds(lines, path):
    try:
        return lines.index(BEGIN), lines.index(END)
    except ValueError:
        sys.exit("%s: the markers '%s' and '%s' are missing" % (path, BEGIN, END))


def check(page_lines, sections, path):
    problems = []
    have, page_sections = page_keys(page_lines)
    want = code_keys(sections)
    for name, _, _ in sections:
        if name not in page_sections:
            problems.append("%s: section [%s] is in the code but not in the page" % (path, name))
    for name in page_sections:
        if name not in [s[0] for s in sections]:
            problems.append("%s: section [%s] is in the page but not in the code" % (path, name))
    for sec, key in sorted(want - have):
        problems.append("%s: %s.%s is in the code's config table but not in the page"
                        % (path, sec, key))
    for sec, key in sorted(have - want):
        problems.append("%s: %s.%s is in the page but not in the code's config table"
                        % (path, sec, key))
    begin, end = block_bounds(page_lines, path)
    expected = render(sections)
    current = page_lines[begin:end + 1]
    if current != expected:
        problems.append("%s: the key reference differs from the code's table "
                        "(run docs/gen-ini-reference.py --update):" % path)
        problems += difflib.unified_diff(current, expected, "page", "code", lineterm="")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the recipe-scraperd executable")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--update", action="store_true")
    ap.add_argument("page", help="docs/recipe-scraperd.ini.5.scd")
    args = ap.parse_args()

    dump = subprocess.run([args.binary, "--dump-config-keys"], check=True,
                          capture_output=True, text=True).stdout
    sections = parse_dump(dump)
    if not sections or not code_keys(sections):
        sys.exit("%s --dump-config-keys printed no keys" % args.binary)
    with open(args.page, encoding="utf-8") as f:
        lines = f.read().split("\n")

    if args.update:
        begin, end = block_bounds(lines, args.page)
        lines[begin:end + 1] = render(sections)
        with open(args.page, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return 0
    problems = check(lines, sections, args.page)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("%s: %d keys in %d sections match the code" % (args.page, len(code_keys(sections)),
                                                          len(sections)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
