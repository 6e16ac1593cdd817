#!/bin/bash
# Make the cached Debian 12 root file system of the systemd-nspawn tests
# (lib.sh's ensure_rootfs) now, so that a first run's debootstrap (the
# cache is empty on a new CI machine) overlaps other work: tools/test.sh
# runs this in the background while the normal suite runs. Nothing to do
# when the cache is complete; the tests themselves make it otherwise.
# Exits 77 where the tests would skip.
#
# usage: prepare-rootfs.sh
# env:   as in lib.sh (RSD_E2E, RSD_E2E_CACHE, RSD_E2E_MIRROR)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || die "usage: $0"
require_container_host
ensure_rootfs
