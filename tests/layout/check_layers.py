#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layer order of src/ (docs/architecture.md, "Module map"), checked.

Every #include "..." of every file under src/ must name a header of its own
folder or of a folder that
  - sits in a lower layer (LAYERS below), and
  - the including folder's meson.build links (its <folder>_dep), so that
    what the code includes and what the library links cannot drift apart.
Includes are written from src/ ("crawl/frontier.h"). The order of the
extractor's own layers is checked by tests/extract/test_layers.py.

Usage: check_layers.py SOURCE_ROOT      exit 1 and one line per violation
       check_layers.py --self-test      the check against made-up trees
"""
import os
import re
import sys
import tempfile

# Layer of each folder: a folder may include only folders of a lower number.
LAYERS = {
    "core": 0,
    "config": 1,
    "extract": 2,
    "journal": 2,
    "crawl": 3,
    "kafka": 3,
    "cluster": 4,
    "daemon": 5,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEP = re.compile(r"\b([a-z]+)_dep\b")


def folder_of(src, path):
    rel = os.path.relpath(path, src)
    return rel.split(os.sep)[0] if os.sep in rel else "(src/ itself)"


def declared(src, folder):
    """Folders whose <name>_dep the folder's meson.build links."""
    build = os.path.join(src, folder, "meson.build")
    with open(build, encoding="utf-8") as f:
        return {m for m in DEP.findall(f.read()) if m in LAYERS}


def target_of(folder, name):
    if "/" in name and name.split("/")[0] in LAYERS:
        return name.split("/")[0]
    return None


def check(root):
    src = os.path.join(root, "src")
    errors = []
    for dirpath, _, files in sorted(os.walk(src)):
        for fn in sorted(files):
            if not fn.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, fn)
            folder = folder_of(src, path)
            rel = os.path.relpath(path, root)
            if folder not in LAYERS:
                errors.append("%s: folder %s has no layer in check_layers.py" % (rel, folder))
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            deps = declared(src, folder)
            for m in INCLUDE.finditer(text):
                name = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                where = "%s:%d: %s" % (rel, line, name)
                target = target_of(folder, name)
                if target is None:
                    errors.append("%s: not a header of a src/ folder (write \"folder/name.h\")"
                                  % where)
                elif target == folder:
                    continue
                elif LAYERS[target] >= LAYERS[folder]:
                    errors.append("%s: %s (layer %d) includes %s (layer %d): only lower layers"
                                  % (where, folder, LAYERS[folder], target, LAYERS[target]))
                elif target not in deps:
                    errors.append("%s: %s does not declare %s (no %s_dep in its meson.build)"
                                  % (where, folder, target, target))
    return errors


def self_test():
    """Made-up trees: a clean one passes, each kind of violation is caught."""
    def tree(files):
        root = tempfile.mkdtemp()
        for rel, text in files.items():
            path = os.path.join(root, "src", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return root

    base = {
        "meson.build": "subdir('core')\n",
        "core/meson.build": "core_lib = static_library('c', 'a.c')\n",
        "core/a.h": "",
        "core/a.c": '#include "core/a.h"\n',
        "crawl/meson.build": "x = [core_dep, config_dep]\n",
        "crawl/b.h": '#include "core/a.h"\n',
        "kafka/meson.build": "x = [core_dep]\n",
        "kafka/k.h": "",
    }
    cases = {
        "clean": ({}, 0),
        "upward": ({"core/a.c": '#include "crawl/b.h"\n'}, 1),
        "sideways": ({"kafka/k.c": '#include "crawl/b.h"\n'}, 1),
        "undeclared": ({"kafka/k.c": '#include "config/c.h"\n'}, 1),
        "bare name": ({"crawl/b.c": '#include "b.h"\n'}, 1),
        "unknown folder": ({"misc/m.c": ""}, 1),
        "file outside a folder": ({"m.c": ""}, 1),
    }
    failed = 0
    for name, (extra, want) in cases.items():
        got = check(tree({**base, **extra}))
        if len(got) != want:
            print("self-test %s: expected %d violation(s), got %r" % (name, want, got))
            failed += 1
    return failed


def main(argv):
    if argv[1:] == ["--self-test"]:
        return 1 if self_test() else 0
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    errors = check(argv[1])
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
