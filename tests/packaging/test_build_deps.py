#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every dependency the build and the tests ask for comes from the two lists
a new machine is set up from: tools/install-deps.sh (the README's commands)
and the Build-Depends of packaging/debian/control.

What is read:
- dependency('NAME'), find_program('NAME') and cc.find_library('NAME') in
  every meson.build (a find_program of a script in the tree is not a
  dependency);
- `command -v NAME` in the shell scripts of tests/, tools/, examples/ and
  packaging/ (a test that skips without NAME), and `CC=NAME` in tools/;
- the imports of the Python scripts the tests and docs run that are neither
  in Python's standard library nor beside the script nor in tests/support/
  (the tests' shared helpers, which the scripts put on their sys.path).

Each name maps to the Debian package that provides it (the tables below); a
name not in the tables fails, so a new dependency cannot arrive without its
package. Every package must be installed by tools/install-deps.sh. In
Build-Depends, a meson dependency outside tests/ that is not
`required : false` must be unconditional (the package build configures
it), one of tests/ and a Python module of the tests and docs checks must
carry <!nocheck> (the package builds the tests only without the nocheck
profile); optional ones and the tools the shell scripts test for are not
needed there.

Usage: test_build_deps.py SOURCE_ROOT
"""

import ast
import os
import re
import sys

# pkg-config name of dependency() -> Debian package; None: from the
# compiler itself (meson's 'threads').
PKGCONFIG = {
    "rdkafka": "librdkafka-dev",
    "libcurl": "libcurl4-openssl-dev",
    "gumbo": "libgumbo-dev",
    "libcjson": "libcjson-dev",
    "libsystemd": "libsystemd-dev",
    "inih": "libinih-dev",
    "zlib": "zlib1g-dev",
    "check": "check",
    "libmicrohttpd": "libmicrohttpd-dev",
    "ck": "libck-dev",
    "systemd": "systemd",
    "threads": None,
}
# cc.find_library() name -> Debian package.
LIBRARIES = {"m": "libc6-dev"}
# find_program(), `command -v`, CC= -> Debian package.
PROGRAMS = {
    "python3": "python3",
    "scdoc": "scdoc",
    "clang": "clang",
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "dpkg-buildpackage": "dpkg-dev",
}
# Python module -> Debian package.
PYTHON_MODULES = {"jsonschema": "python3-jsonschema"}
# What every build needs whatever the meson files say.
TOOLCHAIN = ("meson", "ninja-build", "pkgconf")
# Part of build-essential: installed with it, implied in Build-Depends.
BUILD_ESSENTIAL = {"libc6-dev", "gcc", "make", "dpkg-dev"}
# Debian's transitional names for a package of TOOLCHAIN.
ALIASES = {"pkg-config": "pkgconf"}

CALL = re.compile(r"\b(dependency|find_program|find_library)\(\s*'([^']+)'")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def files_under(root, top, suffix):
    for d, dirs, names in os.walk(os.path.join(root, top)):
        dirs[:] = sorted(x for x in dirs if not x.startswith((".", "build")))
        for name in sorted(names):
            if name.endswith(suffix):
                yield os.path.join(d, name)


def call_args(text, start):
    """The text of a call's argument list, from the '(' at start."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i]
    return text[start + 1:]


def meson_needs(root):
    """(package, profile, where) of every meson call; profile is 'always',
    'nocheck' or 'optional'."""
    out = []
    meson_files = [os.path.join(root, "meson.build")]
    for top in ("src", "systemd", "docs", "tests", "bench", "examples"):
        meson_files += files_under(root, top, "meson.build")
    for path in meson_files:
        if not os.path.exists(path):
            continue
        rel = os.path.relpath(path, root)
        text = read(path)
        for m in CALL.finditer(text):
            kind, name = m.groups()
            where = "%s:%d" % (rel, text.count("\n", 0, m.start()) + 1)
            if kind == "find_program" and os.path.exists(os.path.join(os.path.dirname(path), name)):
                continue  # a script of the tree
            table = {"dependency": PKGCONFIG, "find_library": LIBRARIES}.get(kind, PROGRAMS)
            args = call_args(text, m.start() + len(kind))
            if re.search(r"required\s*:\s*false", args):
                profile = "optional"
            elif rel.startswith("tests" + os.sep):
                profile = "nocheck"
            else:
                profile = "always"
            out.append((kind, name, table, profile, where))
    return out


def script_needs(root):
    """(kind, name, table, 'optional', where) of the tools shell scripts test for."""
    out = []
    for top in ("tests", "tools", "examples", "packaging"):
        for path in files_under(root, top, ".sh"):
            rel = os.path.relpath(path, root)
            for n, line in enumerate(read(path).splitlines(), 1):
                for name in re.findall(r"\bcommand -v ([\w.+-]+)", line):
                    out.append(("command -v", name, PROGRAMS, "optional", "%s:%d" % (rel, n)))
                if top == "tools":
                    for name in re.findall(r"\bCC=([\w.+-]+)", line):
                        out.append(("CC=", name, PROGRAMS, "optional", "%s:%d" % (rel, n)))
    return out


def python_needs(root):
    """(kind, name, table, 'nocheck', where) of the third-party imports of the
    Python scripts under tests/ and docs/ (the docs checks run them)."""
    out = []
    for top, profile in (("tests", "nocheck"), ("docs", "nocheck")):
        for path in files_under(root, top, ".py"):
            rel = os.path.relpath(path, root)
            for node in ast.walk(ast.parse(read(path), rel)):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in (n.split(".")[0] for n in names):
                    if name in sys.stdlib_module_names or \
                       os.path.exists(os.path.join(os.path.dirname(path), name + ".py")) or \
                       os.path.exists(os.path.join(root, "tests", "support", name + ".py")):
                        continue
                    out.append(("import", name, PYTHON_MODULES, profile,
                                "%s:%d" % (rel, node.lineno)))
    return out


def describe(kind, name):
    """How the use reads in its file: dependency('zlib'), command -v jq, CC=clang."""
    if kind in ("dependency", "find_program", "find_library"):
        return "%s('%s')" % (kind, name)
    return "%s%s%s" % (kind, "" if kind.endswith("=") else " ", name)


def install_deps_packages(root):
    """The packages of every `apt-get install` in tools/install-deps.sh."""
    text = read(os.path.join(root, "tools", "install-deps.sh")).replace("\\\n", " ")
    text = re.sub(r"#[^\n]*", "", text)
    pkgs = set()
    for m in re.finditer(r"apt-get install ([^\n;&|]*)", text):
        pkgs |= {w for w in m.group(1).split() if not w.startswith("-")}
    if "build-essential" in pkgs:
        pkgs |= BUILD_ESSENTIAL
    return {ALIASES.get(p, p) for p in pkgs}


def build_depends(root):
    """{package: set of profile restrictions} of Build-Depends; '' means
    unconditional, '!nocheck' etc. a build profile."""
    text = read(os.path.join(root, "packaging", "debian", "control"))
    m = re.search(r"^Build-Depends:(.*?)(?=^\S)", text, re.M | re.S)
    deps = {p: {""} for p in BUILD_ESSENTIAL}
    for item in (m.group(1) if m else "").split(","):
        for alt in item.split("|"):
            alt = alt.strip()
            if not alt:
                continue
            name = re.split(r"[\s:(<\[]", alt, 1)[0]
            profile = " ".join(re.findall(r"<([^>]*)>", alt))
            deps.setdefault(ALIASES.get(name, name), set()).add(profile)
    return deps


def check_control(pkg, profiles, where, control):
    """A failure message, or None, for pkg needed with profiles in Build-Depends."""
    have = control.get(pkg, set())
    if "always" in profiles and "" not in have:
        return ("%s: %s is required by every build but Build-Depends %s" %
                (where, pkg, "lists it only as <%s>" % ", ".join(sorted(have))
                 if have else "lacks it"))
    if "always" not in profiles and "nocheck" in profiles and \
       not have & {"!nocheck"} and "" not in have:
        return ("%s: %s is needed by the test suite but Build-Depends lacks %s <!nocheck>" %
                (where, pkg, pkg))
    if "always" not in profiles and "nocheck" in profiles and "" in have:
        return ("%s: %s is needed only by the test suite but Build-Depends lists it "
                "unconditionally (use <!nocheck>)" % (where, pkg))
    return None


def main():
    root = sys.argv[1]
    needs = meson_needs(root) + script_needs(root) + python_needs(root)
    installed = install_deps_packages(root)
    control = build_depends(root)
    failures = []

    by_package = {}
    for kind, name, table, profile, where in needs:
        if name not in table:
            failures.append("%s: %s has no Debian package in the tables of %s: "
                            "add it there, to tools/install-deps.sh and, if the build "
                            "needs it, to packaging/debian/control"
                            % (where, describe(kind, name), os.path.relpath(__file__, root)
                               if __file__.startswith(root) else __file__))
            continue
        pkg = table[name]
        if pkg is None:
            continue
        entry = by_package.setdefault(pkg, {"profiles": set(), "where": []})
        entry["profiles"].add(profile)
        entry["where"].append("%s (%s)" % (where, describe(kind, name)))
    for pkg in TOOLCHAIN:
        by_package.setdefault(pkg, {"profiles": set(), "where": ["the build"]})
        by_package[pkg]["profiles"].add("always")

    for pkg, entry in sorted(by_package.items()):
        where = entry["where"][0]
        if pkg not in installed:
            failures.append("%s: tools/install-deps.sh does not install %s" % (where, pkg))
        failure = check_control(pkg, entry["profiles"], where, control)
        if failure:
            failures.append(failure)

    for failure in failures:
        print("FAIL " + failure)
    print("%d uses of %d Debian packages checked against tools/install-deps.sh and "
          "packaging/debian/control" % (len(needs), len(by_package)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
