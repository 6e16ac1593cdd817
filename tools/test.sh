#!/bin/sh
# Build and run the whole test suite: a normal build, the suite again under
# ASan+UBSan, the systemd-nspawn end-to-end suite, the fuzz targets' seeds
# replayed once, and the threaded code (ring) under TSan. Prints meson's and
# Check's summaries. Usage: tools/test.sh [BUILD_PREFIX]   (default: build)
set -eu
cd "$(dirname "$0")/.."
. tools/quietly.sh
prefix=${1:-build}
started=$(date +%s)
# A phase's header says how long the run has taken so far (CI's budget).
phase() { echo "== $* [$(( $(date +%s) - started )) s]"; }

# meson setup's output only when it fails (a missing dependency, a bad option).
setup() { # DIR [meson options...]
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    quietly meson setup --reconfigure "$dir" "$@"
  else
    quietly meson setup "$dir" "$@"
  fi
}

phase "build and test ($prefix)"
setup "$prefix" --werror
ninja -C "$prefix"
meson test -C "$prefix" --print-errorlogs --num-processes 2

phase "ASan + UBSan ($prefix-asan)"
setup "$prefix-asan" --werror -Db_sanitize=address,undefined -Db_lundef=false
ninja -C "$prefix-asan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Every unit suite and the daemon end to end; the long fault-injection
# scenarios (suite delivery) run in the normal build above.
meson test -C "$prefix-asan" --print-errorlogs --num-processes 2 --suite unit
meson test -C "$prefix-asan" --print-errorlogs daemon
unset ASAN_OPTIONS UBSAN_OPTIONS

phase "systemd end to end: systemd-nspawn boot of a Debian 12 image ($prefix)"
meson test -C "$prefix" --print-errorlogs --setup e2e --suite e2e

phase "fuzz targets: clang build, every seed replayed once ($prefix-fuzz)"
# Catches a target that no longer builds or a seed that now fails under the
# sanitizers; fuzzing itself is tools/fuzz.sh, run by hand (not timed here).
FUZZ_BUILD=$prefix-fuzz FUZZ_DIR=$prefix-fuzz/fuzz-work SLOW_MS=0 \
  tools/fuzz.sh --replay extract jsonld html_scan config url robots

phase "TSan: ring and threads ($prefix-tsan)"
CC=clang setup "$prefix-tsan" -Db_sanitize=thread -Db_lundef=false
ninja -C "$prefix-tsan" tests/ring/test_ring
TSAN_OPTIONS=halt_on_error=1 meson test -C "$prefix-tsan" --print-errorlogs --suite ring
phase "done"
