#!/bin/bash
# End-to-end test: boot Debian 12 with systemd in a container, install the
# daemon the way a package does (binary, unit, catalog, configuration) and let
# tests/e2e/driver.py do inside it what operators do (systemctl start, reload,
# stop, kill, journalctl ...). Prints one PASS/FAIL line per check and a
# closing "N passed, N failed"; exits 1 on any failure, 77 (skip) without root,
# debootstrap or systemd-nspawn, or when the meson option e2e is disabled.
#
# The Debian root file system is made once with debootstrap and cached (see
# lib.sh); each run boots a throw-away overlay of it, so the cache is never
# modified.
#
# usage: run-e2e.sh BINARY SOURCE_ROOT
# env:   as in lib.sh (RSD_E2E, RSD_E2E_CACHE, RSD_E2E_MIRROR, RSD_E2E_KEEP)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: $0 BINARY SOURCE_ROOT"
binary=$1 src=$2
e2e_dir=$src/tests/e2e

require_container_host
[ -x "$binary" ] || die "$binary: not an executable"
trap cleanup_run EXIT

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
	install_check_unit "$root" "$e2e_dir/rsd-e2e.service"
	mkdir -p "$root/srv"
	cp -r "$src/tests/fixtures/site" "$root/srv/rsd-e2e-site"

	# Fail here, clearly, rather than with a unit that cannot start.
	local missing
	missing=$(chroot "$root" ldd "$exec_path" | grep 'not found' || true)
	[ -z "$missing" ] || die "libraries missing in the container (add to PACKAGES): $missing"
}

ensure_rootfs
make_overlay
install_daemon "$run/root"
boot_overlay
report_results
