#!/bin/sh
# Build and run the whole test suite: a normal build, the suite again under
# ASan+UBSan, the systemd-nspawn end-to-end suite, the fuzz targets' seeds
# replayed once, and the threaded code (ring) under TSan. The later phases'
# builds run in the background while the normal suite runs. Prints meson's
# and Check's summaries. Usage: tools/test.sh [BUILD_PREFIX]   (default: build)
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

# The names of the tests of SUITE and the tests NAME..., in meson's order
# (priority first): given names, meson test runs them in the order given.
tests_of() { # BUILD_DIR SUITE NAME...
  dir=$1; shift
  meson introspect "$dir" --tests | python3 -c '
import json, sys
suite, names = "recipe-scraperd:" + sys.argv[1], set(sys.argv[2:])
for t in json.load(sys.stdin):
    if suite in t["suite"] or t["name"] in names:
        print(t["name"])' "$@"
}

# The ninja targets (files) the tests NAME... need: what meson test would
# rebuild before running them.
targets_of() { # BUILD_DIR NAME...
  dir=$1; shift
  meson introspect "$dir" --tests --targets | python3 -c '
import json, os, sys
intro, names = json.load(sys.stdin), set(sys.argv[2:])
files = {t["id"]: t["filename"] for t in intro["targets"]}
for t in intro["tests"]:
    if t["name"] in names:
        for d in t["depends"]:
            for f in files[d]:
                print(os.path.relpath(f, sys.argv[1]))' "$(cd "$dir" && pwd)" "$@" | sort -u
}

fuzz_targets="extract jsonld html_scan config url robots"
asan_build() {
  setup "$prefix-asan" --werror -Db_sanitize=address,undefined -Db_lundef=false
  # Every unit suite and the daemon end to end; the long fault-injection
  # scenarios (suite delivery) run in the normal build. Only what these
  # tests need is built (not the delivery tests or the benchmarks).
  asan_tests=$(tests_of "$prefix-asan" unit daemon)
  # shellcheck disable=SC2046,SC2086 # one word per target
  ninja -C "$prefix-asan" $(targets_of "$prefix-asan" $asan_tests)
}
# The .deb of the e2e-package test (which builds it otherwise); none where
# that test skips (exit 77: not root, no dpkg-buildpackage...).
deb_build() {
  rc=0
  tests/e2e/run-package.sh --build-deb "$logs/debs" "$(pwd)" || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]
}
later_builds() {
  # shellcheck disable=SC2086 # one word per target
  FUZZ_BUILD=$prefix-fuzz FUZZ_DIR=$prefix-fuzz/fuzz-work tools/fuzz.sh --build $fuzz_targets
  CC=clang setup "$prefix-tsan" -Db_sanitize=thread -Db_lundef=false
  ninja -C "$prefix-tsan" tests/ring/test_ring
}

# The sanitizer builds are made in the background at nice 19 while the
# normal build and suite run: the suite's long Kafka and daemon tests wait
# on timers most of the time (kafka-pipeline: 70 s, 1.3 s of CPU), so two
# cores sit mostly idle during it, and nice 19 leaves the tests the CPU
# whenever they want it. Each log is printed if its build fails.
logs=$(mktemp -d "${TMPDIR:-/tmp}/rsd-test.XXXXXX")
asan_pid='' deb_pid='' later_pid=''
# On an early exit (a failed suite), the builds are not waited for.
# shellcheck disable=SC2086 # the pids set so far
trap 'kill $asan_pid $deb_pid $later_pid 2>/dev/null; rm -rf "$logs"' EXIT
in_background() { # NAME FUNCTION: sets NAME_pid
  (
    renice -n 19 -p "$(sh -c 'echo "$PPID"')" >/dev/null
    "$2"
  ) >"$logs/$1.log" 2>&1 &
  eval "$1_pid=\$!"
}
wait_for() { # NAME
  pid=
  eval "pid=\$$1_pid"
  if ! wait "$pid"; then
    cat "$logs/$1.log"
    echo "FAILED: the $1 build (log above)" >&2
    exit 1
  fi
  echo "($1 build: made in the background)"
}

phase "build and test ($prefix)"
setup "$prefix" --werror
in_background asan asan_build
in_background deb deb_build
in_background later later_builds
ninja -C "$prefix"
meson test -C "$prefix" --print-errorlogs --num-processes 2

phase "ASan + UBSan ($prefix-asan)"
wait_for asan
asan_tests=$(tests_of "$prefix-asan" unit daemon)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# One meson test run, so that the daemon test shares the two slots with the
# unit suite instead of running alone after it.
# shellcheck disable=SC2086 # one word per test name
meson test -C "$prefix-asan" --print-errorlogs --num-processes 2 $asan_tests
unset ASAN_OPTIONS UBSAN_OPTIONS

phase "systemd end to end: systemd-nspawn boot of a Debian 12 image ($prefix)"
wait_for deb
for deb in "$logs"/debs/recipe-scraperd_*.deb; do
  [ -f "$deb" ] && export RSD_E2E_DEB="$deb"
done
meson test -C "$prefix" --print-errorlogs --setup e2e --suite e2e

phase "fuzz targets: clang build, every seed replayed once ($prefix-fuzz)"
wait_for later
# Catches a target that no longer builds or a seed that now fails under the
# sanitizers; fuzzing itself is tools/fuzz.sh, run by hand (not timed here).
# shellcheck disable=SC2086 # one word per target
FUZZ_BUILD=$prefix-fuzz FUZZ_DIR=$prefix-fuzz/fuzz-work SLOW_MS=0 \
  tools/fuzz.sh --replay $fuzz_targets

phase "TSan: ring and threads ($prefix-tsan)"
TSAN_OPTIONS=halt_on_error=1 meson test -C "$prefix-tsan" --print-errorlogs --suite ring
phase "done"
