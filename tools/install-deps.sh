#!/bin/sh
# Install everything needed to build, test and demo recipe-scraperd on Debian 12
# (as root), from the sources apt is configured with. The test "build-deps"
# (tests/packaging/test_build_deps.py) checks this list against every
# dependency the meson files, the test scripts and the Python checks ask for.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# build: compiler, meson, and the libraries meson.build requires (libmicrohttpd:
#   the metrics endpoint)
# tests: Check, the docs checks, journald, the
#   sanitizer and fuzz builds (clang)
# e2e: debootstrap and systemd-nspawn for the container, the .deb build
apt-get install -y -q --no-install-recommends \
  build-essential meson ninja-build pkgconf ca-certificates \
  librdkafka-dev libcurl4-openssl-dev libgumbo-dev libcjson-dev libsystemd-dev libinih-dev \
  zlib1g-dev libmicrohttpd-dev scdoc systemd \
  check libck-dev \
  clang libclang-rt-14-dev \
  python3 python3-jsonschema \
  debootstrap systemd-container procps kcat \
  debhelper fakeroot lintian
