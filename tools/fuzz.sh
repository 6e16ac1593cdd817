#!/bin/sh
# Run the libFuzzer targets (tests/fuzz/fuzz_TARGET.c) with their seeds, and
# replay what they found. Builds build-fuzz with clang on first use.
#
#   tools/fuzz.sh [-j WORKERS] [-n RUNS | -t SECONDS] TARGET...  fuzz
#   tools/fuzz.sh --replay TARGET...                             run every unit once
#   tools/fuzz.sh --build TARGET...                              build them only
#
# Targets: extract jsonld html_scan gumbo_guard record_caps config url robots. Fuzzing runs WORKERS
# processes (default: the number of cores) at nice 19 on one shared corpus
# until RUNS executions in all (split evenly) or SECONDS pass (default 600),
# then prints the executions, the slowest unit and the peak RSS, and exits 1
# if a worker left a crash, leak, timeout or OOM reproducer. --replay runs
# each seed and corpus unit once in the same sanitised build and exits 1 if
# one fails or takes SLOW_MS (default 100; 0: no limit) or more. Work goes to FUZZ_DIR
# (default fuzz-work/): TARGET/seeds, TARGET/corpus, TARGET/wN.log and the
# reproducers TARGET/crash-*, leak-*, timeout-*, oom-*.
set -eu
cd "$(dirname "$0")/.."
. tools/quietly.sh
build=${FUZZ_BUILD:-build-fuzz}
work=${FUZZ_DIR:-fuzz-work}
slow_ms=${SLOW_MS:-100}
# Pages are capped at 4 KiB so a run stays fast; larger hostile pages are
# measured by the unit tests and bench/extract/hostile_pages.py. Workers
# pick up each other's finds once a minute: libFuzzer's default, every
# second, stats every corpus file, and with 40,000 files that took 38 % of
# the CPU and cut executions to a third.
flags="-entropic=0 -max_len=4096 -timeout=10 -rss_limit_mb=2048 -reload=60 -print_final_stats=1"

usage() {
  sed -n '5,7p' "$0" | sed 's/^#  //' >&2
  exit 64
}

build_targets() { # TARGET...
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang quietly meson setup "$build" -Dfuzz=true --buildtype=debugoptimized --werror
  fi
  targets=
  for t in "$@"; do
    targets="$targets tests/fuzz/fuzz_$t"
  done
  # shellcheck disable=SC2086 # one word per target
  quietly ninja -C "$build" $targets
}

# The body of every <script type="application/ld+json"> in the files given.
jsonld_bodies() { # OUTDIR FILE...
  outdir=$1; shift
  awk -v out="$outdir" '
    /application\/ld\+json/ { inside = 1; n++; sub(/.*application\/ld\+json[^>]*>/, "") }
    inside {
      end = index($0, "</script>")
      if (end) { print substr($0, 1, end - 1) > (out "/jsonld-" n); close(out "/jsonld-" n); inside = 0 }
      else print > (out "/jsonld-" n)
    }' "$@"
}

# A fixture's path as one file name: extract/regress/x.html -> extract-regress-x.html
fixture_name() {
  echo "${1#tests/fixtures/}" | tr / -
}

# Seeds from the test fixtures: the inputs each target's code is meant for.
make_seeds() { # TARGET DIR
  seeds=$2
  rm -rf "$seeds" && mkdir -p "$seeds"
  case $1 in
  extract) # first byte: flags (bit 0 full parse) and Content-Type
    for f in tests/fixtures/extract/*.html tests/fixtures/extract/regress/*.html \
             tests/fixtures/crawl/*.html; do
      name=$(fixture_name "$f")
      { printf '\000'; cat "$f"; } >"$seeds/fast-$name"
      { printf '\001'; cat "$f"; } >"$seeds/full-$name"
    done ;;
  gumbo_guard) # first byte: the memory budget in 64 KiB units, minus one
    for f in tests/fixtures/extract/*.html tests/fixtures/extract/regress/*.html; do
      name=$(fixture_name "$f")
      { printf '\000'; cat "$f"; } >"$seeds/small-$name"
      { printf '\377'; cat "$f"; } >"$seeds/large-$name"
    done ;;
  record_caps) cp tests/fuzz/record-seed.json bench/journal/record.json "$seeds" ;;
  jsonld) jsonld_bodies "$seeds" tests/fixtures/extract/*.html ;;
  html_scan)
    for f in tests/fixtures/extract/*.html tests/fixtures/crawl/*.html; do
      cp "$f" "$seeds/$(fixture_name "$f")"
    done ;;
  config) cp tests/fixtures/config/*.ini examples/demo.ini "$seeds" ;;
  url) # one "ref<TAB>base" per line; the target reads "ref\nbase"
    n=0
    while IFS= read -r line; do
      n=$((n + 1))
      printf '%s' "$line" | tr '\t' '\n' >"$seeds/url-$n"
    done <tests/fuzz/url-seeds.txt ;;
  robots) cp tests/fixtures/crawl/site/robots.txt "$seeds/" && cp tests/fuzz/sitemap-seed.xml "$seeds/" ;;
  *) echo "fuzz.sh: unknown target '$1'" >&2; exit 64 ;;
  esac
}

stat_of() { # NAME LOG...: the stat line's value in each log
  name=$1; shift
  sed -n "s/^stat::$name: *//p" "$@"
}

# Sets t and dir for TARGET, with fresh seeds and a corpus directory.
prepare() { # TARGET
  t=$1 dir=$work/$1
  make_seeds "$t" "$dir/seeds"
  mkdir -p "$dir/corpus"
}

fuzz_one() { # TARGET
  prepare "$1"
  rm -f "$dir"/w*.log
  limit="-max_total_time=$seconds" until="$seconds s"
  if [ -n "$runs" ]; then
    limit="-runs=$(((runs + workers - 1) / workers))" until="$runs runs"
  fi
  echo "== fuzz_$t: $workers worker(s), $until"
  w=1
  while [ "$w" -le "$workers" ]; do
    # shellcheck disable=SC2086 # flags are words
    nice -n 19 "$build/tests/fuzz/fuzz_$t" $flags $limit -artifact_prefix="$dir/" \
      "$dir/corpus" "$dir/seeds" >"$dir/w$w.log" 2>&1 &
    w=$((w + 1))
  done
  wait || true
  total=$(stat_of number_of_executed_units "$dir"/w*.log | awk '{ s += $1 } END { print s + 0 }')
  slowest=$(stat_of slowest_unit_time_sec "$dir"/w*.log | sort -n | tail -1)
  rss=$(stat_of peak_rss_mb "$dir"/w*.log | sort -n | tail -1)
  units=$(find "$dir/corpus" -type f | wc -l)
  echo "fuzz_$t: $total executions, slowest unit ${slowest:-?} s, peak RSS ${rss:-?} MB, corpus $units units"
  found=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'slow-unit-*' \) | sort)
  if [ -n "$found" ]; then
    echo "fuzz_$t: FOUND (logs: $dir/w*.log):"
    echo "$found"
    return 1
  fi
}

replay_one() { # TARGET
  prepare "$1"
  log=$dir/replay.log
  echo "== fuzz_$t: replay of seeds and corpus"
  # Given files, libFuzzer runs each once and prints "Executed F in N ms".
  if ! find "$dir/seeds" "$dir/corpus" -type f -print0 |
      xargs -0 -r "$build/tests/fuzz/fuzz_$t" -rss_limit_mb=2048 >"$log" 2>&1; then
    echo "fuzz_$t: a unit failed: $log"
    return 1
  fi
  sed -n 's/^Executed \(.*\) in \([0-9]*\) ms$/\2 \1/p' "$log" | sort -n |
    awk -v t="$t" -v slow="$slow_ms" '
      { n++; if (slow > 0 && $1 >= slow) bad++; max = $1; unit = $2 }
      END {
        printf "fuzz_%s: %d units, slowest %d ms (%s)\n", t, n, max, unit
        if (bad) { printf "fuzz_%s: %d units took %d ms or more\n", t, bad, slow; exit 1 }
      }'
}

replay=false build_only=false workers=$(nproc) runs='' seconds=600
while [ $# -gt 0 ]; do
  case $1 in
  --replay) replay=true ;;
  --build) build_only=true ;;
  -j) workers=$2; shift ;;
  -n) runs=$2; shift ;;
  -t) seconds=$2; shift ;;
  -*) usage ;;
  *) break ;;
  esac
  shift
done
[ $# -gt 0 ] || usage
mkdir -p "$work"
work=$(cd "$work" && pwd)
build_targets "$@"
if $build_only; then
  exit 0
fi
status=0
for t in "$@"; do
  if $replay; then
    replay_one "$t" || status=1
  else
    fuzz_one "$t" || status=1
  fi
done
exit $status
