#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""packaging/rpm/recipe-scraperd.spec's %files against what meson installs.

rpmbuild stops on an installed file that %files does not list ("Installed
(but unpackaged) file(s) found") and on a %files entry that matches nothing
("File not found"). This checks both without rpmbuild: the installed files
come from meson's install plan (meson-info/intro-installed.json of the build
tree), %files is expanded with the directories the build used for the rpm
macros. %license files come from the source tree, not the install: they must
exist there. A build without man pages (scdoc missing; the spec builds with
-Dman=enabled) cannot be compared: exit 77 (skipped).

usage: test_rpm_files.py SPEC SOURCE_ROOT BUILD_ROOT MACRO=DIR...
  e.g. _sbindir=/usr/local/sbin _unitdir=/lib/systemd/system
"""
import fnmatch
import json
import os
import re
import sys


def files_section(spec):
    """The lines of %files, without comments and blank lines."""
    lines, inside = [], False
    for line in spec.splitlines():
        if re.match(r"%files\b", line):
            inside = True
            continue
        if inside and re.match(r"%(changelog|files|package|pre|post|check|install)\b", line):
            break
        if inside and line.strip() and not line.lstrip().startswith("#"):
            lines.append(line.strip())
    return lines


def expand(text, macros):
    def one(m):
        name = m.group(1)
        if name not in macros:
            raise SystemExit("unknown macro %%{%s} in %%files: pass %s=DIR" % (name, name))
        return macros[name]
    for _ in range(5):  # nested macros
        text = re.sub(r"%\{\??([A-Za-z_]+)\}", one, text)
    return text


def entries(lines, macros):
    """[(kind, pattern)]: kind is 'file', 'dir' or 'license'."""
    out = []
    for line in lines:
        m = re.match(r"(%[a-z]+(\([^)]*\))?\s+)*(\S+)$", line)
        if not m:
            raise SystemExit("cannot read %%files line: %s" % line)
        words = line.split()
        path = expand(words[-1], macros)
        kind = "license" if "%license" in words else "dir" if "%dir" in words else "file"
        out.append((kind, path))
    return out


def main():
    spec_path, source, build = sys.argv[1:4]
    macros = dict(arg.split("=", 1) for arg in sys.argv[4:])
    with open(spec_path, encoding="utf-8") as f:
        spec = f.read()
    name = re.search(r"^Name:\s*(\S+)", spec, re.M).group(1)
    macros["name"] = name
    with open(os.path.join(build, "meson-info", "intro-installed.json"), encoding="utf-8") as f:
        installed = sorted(set(json.load(f).values()))
    if not any("/man8/" in p for p in installed):
        print("SKIP: this build installs no man pages (the spec builds them: -Dman=enabled)")
        return 77

    failures = []
    listed = entries(files_section(spec), macros)
    for kind, pattern in listed:
        if kind == "license":
            if not os.path.isfile(os.path.join(source, pattern)):
                failures.append("%%license %s: not in the source tree" % pattern)
        elif kind == "dir":
            if not any(p.startswith(pattern.rstrip("/") + "/") for p in installed):
                failures.append("%%dir %s: nothing is installed in it" % pattern)
        elif not any(fnmatch.fnmatchcase(p, pattern) for p in installed):
            failures.append("%%files %s: matches no installed file (rpmbuild: File not found)" % pattern)
    for path in installed:
        if not any(kind == "file" and fnmatch.fnmatchcase(path, pattern) for kind, pattern in listed):
            failures.append("%s: installed but not in %%files (rpmbuild: unpackaged file)" % path)

    for f in failures:
        print("FAIL:", f)
    print("%d installed files, %d %%files entries, %d problems"
          % (len(installed), len(listed), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
