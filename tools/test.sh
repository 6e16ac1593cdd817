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

# The names of the tests in a suite or named INCLUDE (* for all) and not in
# a suite or named EXCLUDE, in meson's order (priority first): given
# names, meson test runs them in the order given. Never the e2e suite
# (its own phase).
tests_of() { # BUILD_DIR INCLUDE... [-- EXCLUDE...]
  dir=$1; shift
  meson introspect "$dir" --tests | python3 -c '
import json, sys
args = sys.argv[1:] + ["--"]
inc, exc = set(args[:args.index("--")]), set(args[args.index("--") + 1:]) | {"e2e"}
for t in json.load(sys.stdin):
    keys = {t["name"]} | {s.split(":")[-1] for s in t["suite"]}
    if ("*" in inc or keys & inc) and not keys & exc:
        print(t["name"])' "$@"
}

# The Kafka and daemon tests wait on the mock cluster's and the daemon's
# timers (kafka-pipeline: 70 s of wall time, 1.3 s of CPU; cluster-join
# 38 s, 1.6 s): two of them filled both slots of a two-process run for
# minutes with the CPU idle. So they run four at a time in the background
# (start_waiting), beside the CPU-bound tests two at a time (run_others,
# which then prints the waiting run's output and fails if either failed).
# Both use the build as it is (built before them).
waiting_pid=''
start_waiting() { # BUILD_DIR NAMES
  # shellcheck disable=SC2086 # one word per test name
  meson test -C "$1" --no-rebuild --print-errorlogs --num-processes 4 \
    --logbase testlog-waiting $2 >"$logs/waiting.log" 2>&1 &
  waiting_pid=$!
}
run_others() { # BUILD_DIR NAMES
  status=0
  # shellcheck disable=SC2086 # one word per test name
  meson test -C "$1" --no-rebuild --print-errorlogs --num-processes 2 $2 || status=1
  wait "$waiting_pid" || status=1
  waiting_pid=''
  echo "-- the waiting tests ($1/meson-logs/testlog-waiting.txt):"
  cat "$logs/waiting.log"
  return "$status"
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
# The e2e tests' Debian root file system (debootstrap when the cache is
# empty, as on a new CI machine), then the .deb of the e2e-package test
# (which builds it otherwise); no .deb where that test skips (exit 77: not
# root, no dpkg-buildpackage...).
e2e_build() {
  rc=0
  tests/e2e/prepare-rootfs.sh || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]
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

# The later phases' builds are made in the background at nice 19 while the
# normal build and its waiting tests run (see start_waiting): those leave
# the CPU idle, and nice 19 gives it to them whenever they want it. The
# CPU-bound tests, some of which time their work (test_hostile: CPU time
# ratios, which a compiler on the other hyperthread moved from x2 to x3.1),
# run once the builds are done. Each log is printed if its build failed.
logs=$(mktemp -d "${TMPDIR:-/tmp}/rsd-test-sh.XXXXXX")
asan_pid='' e2e_pid='' later_pid=''
# On an early exit (a failed suite), the builds are not waited for: each
# background job is stopped with what it started (a subshell's ninja and
# compilers, meson test's tests), which a kill of the subshell alone
# would leave running. dash has no job control without a terminal, so the
# tree is read from /proc (comm may hold spaces: ppid is the second field
# after its closing parenthesis).
children_of() { # the processes $parent started
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$stat" || continue
    # shellcheck disable=SC2086 # state and ppid: one word each
    set -- ${line##*) }
    if [ "${2:-}" = "$parent" ]; then
      child=${stat#/proc/}
      echo "${child%/stat}"
    fi
  done
}
kill_tree() { # PID...
  for top in "$@"; do
    parent=$top
    kids=$(children_of)
    kill "$top" 2>/dev/null || true # first: it starts no more
    # shellcheck disable=SC2086 # one word per pid
    kill_tree $kids
  done
}
# shellcheck disable=SC2086 # the pids set so far
trap 'kill_tree $asan_pid $e2e_pid $later_pid $waiting_pid; rm -rf "$logs"' EXIT
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
  eval "$1_pid=''" # waited for: its pid may be another process's now
  echo "($1 build: made in the background)"
}

phase "build and test ($prefix)"
setup "$prefix" --werror
in_background asan asan_build
in_background e2e e2e_build
in_background later later_builds
ninja -C "$prefix"
start_waiting "$prefix" "$(tests_of "$prefix" kafka integration)"
wait_for asan
wait_for e2e
wait_for later
run_others "$prefix" "$(tests_of "$prefix" '*' -- kafka integration)"

phase "ASan + UBSan ($prefix-asan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start_waiting "$prefix-asan" "$(tests_of "$prefix-asan" kafka daemon)"
run_others "$prefix-asan" "$(tests_of "$prefix-asan" unit -- kafka)"
unset ASAN_OPTIONS UBSAN_OPTIONS

phase "systemd end to end: systemd-nspawn boot of a Debian 12 image ($prefix)"
for deb in "$logs"/debs/recipe-scraperd_*.deb; do
  [ -f "$deb" ] && export RSD_E2E_DEB="$deb"
done
meson test -C "$prefix" --print-errorlogs --setup e2e --suite e2e

phase "fuzz targets: clang build, every seed replayed once ($prefix-fuzz)"
# Catches a target that no longer builds or a seed that now fails under the
# sanitizers; fuzzing itself is tools/fuzz.sh, run by hand (not timed here).
# shellcheck disable=SC2086 # one word per target
FUZZ_BUILD=$prefix-fuzz FUZZ_DIR=$prefix-fuzz/fuzz-work SLOW_MS=0 \
  tools/fuzz.sh --replay $fuzz_targets

phase "TSan: ring and threads ($prefix-tsan)"
TSAN_OPTIONS=halt_on_error=1 meson test -C "$prefix-tsan" --print-errorlogs --suite ring
phase "done"
