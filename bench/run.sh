#!/bin/bash
# Regenerates every table of docs/performance.md:
#   bench/run.sh [perf.py options] [PART...]
# Builds the release tree build-bench (meson setup build-bench --buildtype=release)
# if needed, runs bench/perf.py (about 15 minutes on 2 cores; every child is
# bounded by a timeout) and renders bench/results/latest.json into the doc.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${RSD_BENCH_BUILD:-$top/build-bench}
[ -d "$build" ] || meson setup "$build" "$top" --buildtype=release
ninja -C "$build" -j2 recipe-scraperd bench/ring/bench_ring bench/extract/bench_extract \
  bench/frontier/bench_frontier bench/journal/bench_journal
/usr/bin/python3 "$top/bench/perf.py" --build "$build" "$@"
/usr/bin/python3 "$top/bench/report.py" "$top/bench/results/latest.json" "$top/docs/performance.md"
