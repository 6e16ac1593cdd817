# shellcheck shell=sh
# Sourced by tools/test.sh and tools/fuzz.sh. quietly CMD...: runs CMD with
# its output kept in a temporary file, which is printed (stderr) only when CMD
# fails, with the command line, so that a step whose output is too long to
# show every time still says why it failed. Returns CMD's status.
quietly() {
  quietly_log=$(mktemp "${TMPDIR:-/tmp}/rsd-step.XXXXXX")
  quietly_rc=0
  "$@" >"$quietly_log" 2>&1 || quietly_rc=$?
  if [ "$quietly_rc" -ne 0 ]; then
    cat "$quietly_log" >&2
    echo "FAILED (exit $quietly_rc): $*" >&2
  fi
  rm -f "$quietly_log"
  return "$quietly_rc"
}
