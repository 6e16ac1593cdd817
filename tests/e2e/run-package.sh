#!/bin/bash
# Package test: build the .deb from the source tree (packaging/build-deb.sh),
# install it on a fresh Debian 12 booted with systemd in a container, check
# what an administrator sees (tests/e2e/package/check-package.sh: systemctl
# cat, the unit neither started nor enabled by the installation, the shipped
# configuration, man pages, conffile, journal catalog), enable it as the
# README says and purge it. Prints one PASS/FAIL line per check and a closing
# "N passed, N failed"; exits 1 on any failure, 77 (skip) without root,
# debootstrap, systemd-nspawn, dpkg-buildpackage or the package's build
# dependencies, or when the meson option e2e is disabled.
#
# The container boots a throw-away overlay of the root file system cached by
# lib.sh. Before the boot, apt runs in the overlay with the host's network
# (Debian's mirror only): it installs man-db, which the cache lacks, and
# downloads the package's missing dependencies, so that the booted container
# needs no network and the daemon, once the checks enable it, reaches
# nothing outside it.
#
# usage: run-package.sh SOURCE_ROOT
#        run-package.sh --build-deb OUTDIR SOURCE_ROOT
#            only build the .deb into OUTDIR (exit 77 where the test skips),
#            for RSD_E2E_DEB: tools/test.sh builds it while other suites run
# env:   as in lib.sh (RSD_E2E, RSD_E2E_CACHE, RSD_E2E_MIRROR, RSD_E2E_KEEP)
#        RSD_E2E_DEB  the .deb that --build-deb made: installed instead of
#                     building one (its build's log: the caller's)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_TIMEOUT_S=900
APT_TIMEOUT_S=600
BOOT_TIMEOUT_S=420 # above TimeoutStartSec= of rsd-package-check.service

build_only=
if [ "${1:-}" = --build-deb ] && [ $# -eq 3 ]; then
	build_only=$2
	shift 2
fi
[ $# -eq 1 ] || die "usage: $0 [--build-deb OUTDIR] SOURCE_ROOT"
src=$1
package_dir=$src/tests/e2e/package

require_container_host
command -v dpkg-buildpackage >/dev/null ||
	skip "dpkg-buildpackage not installed (apt-get install dpkg-dev debhelper fakeroot)"
missing=$(cd / && dpkg-checkbuilddeps -P nocheck "$src/packaging/debian/control" 2>&1) ||
	skip "build dependencies missing: ${missing#*: }"
# The binary package, without the test suite (built and run elsewhere).
make_deb() { # OUTDIR
	DEB_BUILD_OPTIONS="nocheck parallel=2" timeout "$BUILD_TIMEOUT_S" \
		"$src/packaging/build-deb.sh" "$1" -Pnocheck
}
if [ -n "$build_only" ]; then
	make_deb "$build_only"
	exit
fi
trap cleanup_run EXIT

# result NAME STATUS DETAIL: a host-side check line, in the same file as the
# container's.
result() {
	local line
	if [ "$2" -eq 0 ]; then line="PASS $1"; else line="FAIL $1"; fi
	echo "$line${3:+ $3}" >>"$run/results/results.txt"
}

# The last lines of a log as one line, for a result's detail.
log_tail() { tail -n 3 "$1" | tr -s '\n' ' '; }

# The package built here or beforehand (RSD_E2E_DEB). Sets deb.
build_deb() {
	local log=$run/build.log t0=$SECONDS rc=0
	if [ -n "${RSD_E2E_DEB:-}" ]; then
		deb=$RSD_E2E_DEB
		[ -f "$deb" ] || { result build-deb 1 "$deb: no such file (RSD_E2E_DEB)"; return 1; }
		result build-deb 0 "$(basename "$deb") (built beforehand)"
		return
	fi
	echo "# building the .deb (log: $log)"
	make_deb "$run/debs" >"$log" 2>&1 || rc=$?
	deb=$(ls "$run/debs"/recipe-scraperd_*.deb 2>/dev/null || true)
	if [ $rc -eq 0 ] && [ -n "$deb" ]; then
		result build-deb 0 "$(basename "$deb") ($((SECONDS - t0)) s)"
	else
		result build-deb 1 "exit $rc: $(log_tail "$log")"
		return 1
	fi
}

# In the overlay, with the host's network: man-db (not in the cache), and the
# .deb's dependencies that are not installed yet, into apt's archive cache.
# apt's sandbox user must be able to read the .deb.
prepare_overlay() {
	local root=$run/root log=$run/prepare.log t0=$SECONDS rc=0 target fetched
	target=/srv/rsd-package/$(basename "$deb")
	install -D -m 0644 "$deb" "$root$target"
	chmod 0755 "$root/srv/rsd-package"
	echo "# apt in the overlay: man-db, the package's dependencies (log: $log)"
	# shellcheck disable=SC2016 # $1 expands in the container's shell
	nspawn "$APT_TIMEOUT_S" --directory="$root" --setenv=DEBIAN_FRONTEND=noninteractive \
		sh -c 'apt-get update -q &&
			apt-get install -y -q --no-install-recommends man-db && apt-get clean &&
			apt-get install -y -q --download-only "$1"' \
		sh "$target" </dev/null >"$log" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		fetched=$(find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -printf '%f ')
		result prepare 0 "man-db installed; fetched: ${fetched:-nothing}($((SECONDS - t0)) s)"
	else
		result prepare 1 "exit $rc: $(log_tail "$log")"
		return 1
	fi
}

install_checks() {
	local root=$run/root
	# As the Debian installer writes it (debootstrap does not): the shipped
	# configuration's brokers = localhost:9092 must resolve, to nothing there.
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
		>"$root/etc/hosts"
	install -D -m 0755 "$package_dir/check-package.sh" \
		"$root/usr/local/lib/rsd-package/check-package.sh"
	install_check_unit "$root" "$package_dir/rsd-package-check.service"
}

ensure_rootfs
make_overlay
if build_deb && prepare_overlay; then
	install_checks
	boot_overlay
else
	boot_rc="not booted"
fi
report_results
