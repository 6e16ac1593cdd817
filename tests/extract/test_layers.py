#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The extractor's layers hold: no file of src/extract/ includes the header
of a higher layer, every file is in a layer, and the includes between the
extractor's files have no cycle.

The layers are read from the "# layer NAME: file ..." lines at the top of
src/extract/meson.build (lowest first), so the order is written once.

Usage: test_layers.py SOURCE_ROOT
"""
import os
import re
import sys

LAYER_LINE = re.compile(r"^#\s*layer\s+(\w+):\s*(.*)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"extract/(\w+)\.h"', re.M)


def read_layers(meson_build):
    """{module: (rank, layer name)} from the layer lines, lowest first."""
    layers = {}
    with open(meson_build, encoding="utf-8") as f:
        for line in f:
            m = LAYER_LINE.match(line.strip())
            if not m:
                continue
            rank = len({r for r, _ in layers.values()})
            for module in m.group(2).split():
                if module in layers:
                    raise SystemExit(f"{meson_build}: {module} is in two layers")
                layers[module] = (rank, m.group(1))
    if not layers:
        raise SystemExit(f"{meson_build}: no '# layer NAME: files' lines")
    return layers


def read_includes(folder):
    """{file name: [included extract module, ...]} for every .c and .h."""
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith((".c", ".h")):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                out[name] = INCLUDE.findall(f.read())
    return out


def layer_errors(layers, includes):
    errors = []
    for name, used in includes.items():
        module = name.rsplit(".", 1)[0]
        if module not in layers:
            errors.append(f"{name}: in no layer of src/extract/meson.build")
            continue
        rank, layer = layers[module]
        for dep in used:
            if dep not in layers:
                errors.append(f"{name}: includes extract/{dep}.h, which is in no layer")
            elif layers[dep][0] > rank:
                errors.append(f"{name} (layer {layer}) includes extract/{dep}.h "
                              f"of the higher layer {layers[dep][1]}")
    return errors


def cycle(includes):
    """A cycle among modules (file stems) as a list, or None."""
    graph = {}
    for name, used in includes.items():
        module = name.rsplit(".", 1)[0]
        graph.setdefault(module, set()).update(d for d in used if d != module)
    state, path = {}, []

    def visit(m):
        state[m] = "open"
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                return path[path.index(d):] + [d]
            if d not in state:
                found = visit(d)
                if found:
                    return found
        state[m] = "done"
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    folder = os.path.join(sys.argv[1], "src", "extract")
    layers = read_layers(os.path.join(folder, "meson.build"))
    includes = read_includes(folder)
    errors = layer_errors(layers, includes)
    found = cycle(includes)
    if found:
        errors.append("include cycle: " + " -> ".join(found))
    for e in errors:
        print(e, file=sys.stderr)
    print(f"{len(includes)} files in {len(set(r for r, _ in layers.values()))} layers: "
          + ("FAIL" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
