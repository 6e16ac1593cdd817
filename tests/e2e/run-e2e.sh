#!/bin/bash
# End-to-end test: boot Debian 12 with systemd in a container, install the
# daemon the way a package does (binary, unit, catalog, configuration) and let
# tests/e2e/driver.py do inside it what operators do (systemctl start, reload,
# stop, kill, journalctl ...). Prints one PASS/FAIL line per check and a
# closing "N passed, N failed"; exits 1 on any failure, 77 (skip) without root,
# debootstrap or systemd-nspawn, or when the meson option e2e is disabled.
#
# The Debian root file system is made once with debootstrap and cached in
# $RSD_E2E_CACHE (default /var/cache/recipe-scraperd-e2e/rootfs); each run boots
# a throw-away overlay of it, so the cache is never modified.
#
# usage: run-e2e.sh BINARY SOURCE_ROOT
# env:   RSD_E2E=disabled   skip
#        RSD_E2E_CACHE      cache directory
#        RSD_E2E_MIRROR     Debian mirror (default: the one apt uses here)
#        RSD_E2E_KEEP=1     keep the run directory (console log, journal)
set -euo pipefail

SUITE=bookworm
# systemd itself; procps for /bin/kill (the unit's ExecReload); the runtime
# libraries of the daemon (ldd; libinih is shared too); python3 for the driver
# and the test site. Changing the list rebuilds the cache.
PACKAGES=systemd,systemd-sysv,dbus,procps,librdkafka1,libcurl4,libgumbo1,libcjson1,libinih1,libsystemd0,python3
BOOT_TIMEOUT_S=300
DEBOOTSTRAP_TIMEOUT_S=900

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "ERROR: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BINARY SOURCE_ROOT"
binary=$1 src=$2
e2e_dir=$src/tests/e2e

[ "${RSD_E2E:-enabled}" != disabled ] || skip "meson option e2e is disabled"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, overlay mount, systemd-nspawn)"
command -v debootstrap >/dev/null || skip "debootstrap not installed (apt-get install debootstrap)"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not installed (apt-get install systemd-container)"
[ -x "$binary" ] || die "$binary: not an executable"

cache=${RSD_E2E_CACHE:-/var/cache/recipe-scraperd-e2e}
rootfs=$cache/rootfs
stamp=$rootfs/.rsd-e2e-complete
stamp_text="$SUITE $PACKAGES"

# The Debian mirror apt uses on this machine (one-line .list or deb822
# .sources), because it may be the only one reachable.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(sed -E 's/\[[^]]*\]//' "$f" |
		      awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }')
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{ u = ""; ok = 0
			  for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split($i, a, " "); u = a[2] }
				if ($i ~ /^Suites:/) { n = split($i, b, " ")
					for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
			  }
			  if (ok && u != "") { print u; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo http://deb.debian.org/debian
}

# Make the cached root file system unless a complete one with the same
# package list exists. A lock serialises concurrent runs.
ensure_rootfs() {
	mkdir -p "$cache"
	exec 9>"$cache/lock"
	flock -w "$DEBOOTSTRAP_TIMEOUT_S" 9 || die "cache $cache is locked"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ]; then
		echo "# using cached root file system $rootfs"
		return
	fi
	local mirror=${RSD_E2E_MIRROR:-$(debian_mirror)} tmp=$cache/rootfs.tmp t0=$SECONDS
	echo "# debootstrap $SUITE from $mirror into $rootfs (once; cached afterwards)"
	rm -rf "$tmp" "$rootfs"
	if ! timeout "$DEBOOTSTRAP_TIMEOUT_S" debootstrap --variant=minbase \
		--include="$PACKAGES" "$SUITE" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log"
		die "debootstrap failed (log: $cache/debootstrap.log)"
	fi
	chroot "$tmp" apt-get clean
	echo "$stamp_text" >"$tmp/.rsd-e2e-complete"
	mv "$tmp" "$rootfs"
	echo "# root file system ready in $((SECONDS - t0)) s"
}

run=
cleanup() {
	[ -n "$run" ] || return 0
	mountpoint -q "$run/root" && umount "$run/root"
	if [ "${RSD_E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $run"
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT

# Install like a package would: the binary where the unit's ExecStart points,
# the unit, the catalog and the configuration; plus the test's own files.
install_daemon() {
	local root=$1 unit=$src/systemd/recipe-scraperd.service exec_path
	exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
	[ -n "$exec_path" ] || die "$unit: no ExecStart"
	install -D -m 0755 "$binary" "$root$exec_path"
	install -D -m 0644 "$unit" "$root/usr/lib/systemd/system/recipe-scraperd.service"
	install -D -m 0644 "$src/systemd/recipe-scraperd.catalog" \
		"$root/usr/lib/systemd/catalog/recipe-scraperd.catalog"
	install -D -m 0644 "$e2e_dir/recipe-scraperd.ini" \
		"$root/etc/recipe-scraperd/recipe-scraperd.ini"

	install -D -m 0644 "$e2e_dir/watchdog.conf" \
		"$root/etc/systemd/system/recipe-scraperd.service.d/e2e-watchdog.conf"
	install -D -m 0644 "$e2e_dir/driver.py" "$root/usr/local/lib/rsd-e2e/driver.py"
	install -D -m 0644 "$e2e_dir/rsd-e2e.service" "$root/etc/systemd/system/rsd-e2e.service"
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf ../rsd-e2e.service "$root/etc/systemd/system/multi-user.target.wants/rsd-e2e.service"
	mkdir -p "$root/srv"
	cp -r "$src/tests/fixtures/site" "$root/srv/rsd-e2e-site"

	# Fail here, clearly, rather than with a unit that cannot start.
	local missing
	missing=$(chroot "$root" ldd "$exec_path" | grep 'not found' || true)
	[ -z "$missing" ] || die "libraries missing in the container (add to PACKAGES): $missing"
}

ensure_rootfs
run=$(mktemp -d /var/tmp/rsd-e2e.XXXXXX)
mkdir -p "$run/upper" "$run/work" "$run/root" "$run/results"
mount -t overlay overlay \
	-o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/work" "$run/root"
install_daemon "$run/root"

# --register=no --keep-unit: no machined or host systemd needed.
# --private-network: the container sees only its own loopback.
# /run/systemd/nspawn on a private tmpfs: nspawn refuses to clean up its
# propagation directory when /run is not a tmpfs (as on some CI hosts).
echo "# booting the container (console: $run/console.log)"
t0=$SECONDS
boot_rc=0
# shellcheck disable=SC2016 # $1 and $2 expand in the inner shell
timeout --kill-after=10 "$BOOT_TIMEOUT_S" unshare -m --propagation private sh -c '
	mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn &&
	exec systemd-nspawn --quiet --directory="$1" --boot --private-network \
		--register=no --keep-unit --console=passive --bind="$2:/results"' \
	sh "$run/root" "$run/results" </dev/null >"$run/console.log" 2>&1 || boot_rc=$?
echo "# container ran $((SECONDS - t0)) s (exit status $boot_rc)"

results=$run/results/results.txt
passed=0 failed=0
if [ -f "$results" ]; then
	cat "$results"
	passed=$(grep -c '^PASS ' "$results" || true)
	failed=$(grep -c '^FAIL ' "$results" || true)
fi
if ! grep -qx 'END' "$results" 2>/dev/null; then
	echo "FAIL complete the checks did not finish (container exit status $boot_rc)"
	failed=$((failed + 1))
fi
if [ "$failed" -ne 0 ]; then
	echo "# --- last lines of the container's journal ---"
	tail -n 60 "$run/results/journal.txt" 2>/dev/null ||
		sed 's/\x1b\[[0-9;]*m//g' "$run/console.log" | tail -n 60
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
