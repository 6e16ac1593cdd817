#!/bin/sh
# Install everything needed to build, test and demo recipe-scraperd on Debian 12 (as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential meson ninja-build pkg-config ca-certificates \
  librdkafka-dev libcurl4-openssl-dev libgumbo-dev libcjson-dev libsystemd-dev libinih-dev \
  check libmicrohttpd-dev libck-dev \
  clang libclang-rt-14-dev \
  python3 python3-jsonschema systemd scdoc \
  debootstrap systemd-container procps kcat \
  debhelper fakeroot lintian
