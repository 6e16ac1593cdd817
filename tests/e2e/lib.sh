# shellcheck shell=bash
# Shared by the systemd-nspawn tests (run-e2e.sh, run-package.sh); sourced,
# the caller sets -euo pipefail. Provides the cached Debian 12 root file
# system, a throw-away overlay of it, systemd-nspawn as this kind of host
# allows it (no systemd as PID 1, /run not always a tmpfs) and the PASS/FAIL
# summary of the results a check driver wrote inside the container.
#
# env:   RSD_E2E=disabled   skip
#        RSD_E2E_CACHE      cache directory (default /var/cache/recipe-scraperd-e2e)
#        RSD_E2E_MIRROR     Debian mirror (default: the one apt uses here; with
#                           neither, the suite skips)
#        RSD_E2E_KEEP=1     keep the run directory (console log, journal)

SUITE=bookworm
# systemd itself; procps (ps, kill: for whoever debugs a run); the runtime
# libraries of the daemon (ldd; libinih is shared too); python3 for the driver
# and the test site. Changing the list rebuilds the cache.
PACKAGES=systemd,systemd-sysv,dbus,procps,librdkafka1,libcurl4,libgumbo1,libcjson1,libinih1,libmicrohttpd12,libsystemd0,python3
BOOT_TIMEOUT_S=300
DEBOOTSTRAP_TIMEOUT_S=900

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "ERROR: $*" >&2; exit 1; }

# Skip (exit 77) where the container cannot be made or booted.
require_container_host() {
	[ "${RSD_E2E:-enabled}" != disabled ] || skip "meson option e2e is disabled"
	[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, overlay mount, systemd-nspawn)"
	command -v debootstrap >/dev/null || skip "debootstrap not installed (apt-get install debootstrap)"
	command -v systemd-nspawn >/dev/null || skip "systemd-nspawn not installed (apt-get install systemd-container)"
	# The unit's DynamicUser= and PrivateUsers= need a user namespace, which
	# the kernel refuses to a chrooted process and to all it starts, nspawn's
	# container included (unshare(2): EPERM), or where user.max_user_namespaces
	# is 0: every check would fail for a reason of the host.
	unshare --user true 2>/dev/null ||
		skip "no user namespace can be created here (in a chroot the kernel refuses" \
			"them): run the suite on the host or in a systemd-nspawn container"
}

cache=${RSD_E2E_CACHE:-/var/cache/recipe-scraperd-e2e}
rootfs=$cache/rootfs
stamp=$rootfs/.rsd-e2e-complete
stamp_text="$SUITE $PACKAGES"

# The Debian mirror apt uses on this machine (one-line .list or deb822
# .sources), because it may be the only one reachable; nothing when apt has
# no source for the suite. No mirror is built in: which archive a machine
# may reach is its administrator's choice, made in apt's configuration.
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
	return 0
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
	[ -n "$mirror" ] || skip "no Debian $SUITE mirror: apt has no source for $SUITE" \
		"(/etc/apt/sources.list, /etc/apt/sources.list.d/) and RSD_E2E_MIRROR is unset"
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
cleanup_run() {
	[ -n "$run" ] || return 0
	mountpoint -q "$run/root" && umount "$run/root"
	if [ "${RSD_E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $run"
	else
		rm -rf "$run"
	fi
}

# A run directory with a writable overlay of the cache mounted on $run/root
# (the cache itself is never modified) and an empty $run/results; both go
# at exit.
make_overlay() {
	run=$(mktemp -d /var/tmp/rsd-e2e.XXXXXX)
	mkdir -p "$run/upper" "$run/work" "$run/root" "$run/results"
	mount -t overlay overlay \
		-o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/work" "$run/root"
}

# Enable UNIT_FILE (a oneshot running the checks at boot) in the overlay.
install_check_unit() {
	local root=$1 unit_file=$2 name
	name=$(basename "$unit_file")
	install -D -m 0644 "$unit_file" "$root/etc/systemd/system/$name"
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf "../$name" "$root/etc/systemd/system/multi-user.target.wants/$name"
}

# systemd-nspawn ARGS... within TIMEOUT_S. --register=no --keep-unit: no
# machined or host systemd needed. /run/systemd/nspawn on a private tmpfs:
# nspawn refuses to clean up its propagation directory when /run is not a
# tmpfs (as on some CI hosts).
nspawn() {
	local limit=$1
	shift
	# shellcheck disable=SC2016 # "$@" expands in the inner shell
	timeout --kill-after=10 "$limit" unshare -m --propagation private sh -c '
		mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn &&
		exec systemd-nspawn --quiet --register=no --keep-unit "$@"' sh "$@"
}

# Boot the overlay until its check unit powers it off; the results directory
# is /results inside. --private-network: the container sees only its own
# loopback. Sets boot_rc.
boot_overlay() {
	echo "# booting the container (console: $run/console.log)"
	local t0=$SECONDS
	boot_rc=0
	nspawn "$BOOT_TIMEOUT_S" --directory="$run/root" --boot --private-network \
		--console=passive --bind="$run/results:/results" \
		</dev/null >"$run/console.log" 2>&1 || boot_rc=$?
	echo "# container ran $((SECONDS - t0)) s (exit status $boot_rc)"
}

# Print the driver's PASS/FAIL lines, a failure when it did not reach END,
# the tail of the container's journal on failure and "N passed, N failed";
# returns non-zero on any failure.
report_results() {
	local results=$run/results/results.txt passed=0 failed=0
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
			sed 's/\x1b\[[0-9;]*m//g' "$run/console.log" 2>/dev/null | tail -n 60
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
