#!/bin/sh
# Build the Debian binary package from this source tree.
#
# Usage: packaging/build-deb.sh OUTDIR [dpkg-buildpackage options...]
#   e.g. packaging/build-deb.sh /tmp/debs
#        DEB_BUILD_OPTIONS=nocheck packaging/build-deb.sh /tmp/debs
#
# dpkg-buildpackage wants debian/ at the root of the source tree, while the
# packaging is kept in packaging/debian/ here. The script copies the tree
# (without build directories) to a temporary directory, puts debian/ at its
# root, runs `dpkg-buildpackage -b -uc -us` there and moves the .deb,
# .buildinfo and .changes files to OUTDIR. Needs the Build-Depends of
# packaging/debian/control (dpkg-checkbuilddeps says which are missing) and
# dpkg-dev, debhelper, fakeroot.
set -eu

if [ $# -lt 1 ]; then
	echo "usage: $0 OUTDIR [dpkg-buildpackage options...]" >&2
	exit 64
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
shift
top=$(cd "$(dirname "$0")/.." && pwd)

version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/recipe-scraperd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
src="$work/recipe-scraperd-$version"
mkdir "$src"

# Everything but build trees, VCS data and caches; packaging/debian becomes debian/.
tar -C "$top" -cf - \
	--exclude='./build' --exclude='./build-*' --exclude='./.git' \
	--exclude='__pycache__' --exclude='./packaging/debian' . | tar -C "$src" -xf -
cp -R "$top/packaging/debian" "$src/debian"

(cd "$src" && dpkg-buildpackage -b -uc -us "$@")

for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv "$f" "$out/"
done
ls "$out"/recipe-scraperd_"$version"_*.deb
