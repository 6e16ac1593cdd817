#!/bin/sh
# Serve the demo recipe site on 127.0.0.1:8088 and crawl it once with the
# embedded broker; consumed recipes and calorie alerts print to the terminal.
# Usage: examples/run-demo.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
python3 -m http.server 8088 --bind 127.0.0.1 --directory examples/demo-site >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT INT TERM
# Wait for the port (bounded: 50 x 0.1 s).
for _ in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8088), 0.2)' 2>/dev/null && break
  sleep 0.1
done
rm -rf /tmp/recipe-scraperd-demo
"$build/recipe-scraperd" --once -c examples/demo.ini
