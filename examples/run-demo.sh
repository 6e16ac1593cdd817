#!/bin/bash
# Serve the demo recipe site on 127.0.0.1:8088 and crawl it once with the
# embedded broker. The stdout sink prints one JSON object per consumed record
# (the journal fields); this script shows each as one readable line, alerts
# (PRIORITY 4) marked. The raw JSON lines are kept in /tmp/recipe-scraperd-demo.jsonl.
# Usage: examples/run-demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
python3 -m http.server 8088 --bind 127.0.0.1 --directory examples/demo-site >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
# Wait for the port (bounded: 50 x 0.1 s).
for _ in $(seq 50); do
  python3 -c 'import socket; socket.create_connection(("127.0.0.1", 8088), 0.2)' 2>/dev/null && break
  sleep 0.1
done
rm -rf /tmp/recipe-scraperd-demo
"$build/recipe-scraperd" --once -c examples/demo.ini | tee /tmp/recipe-scraperd-demo.jsonl |
  python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    tag = "ALERT " if e.get("PRIORITY") == "4" else "recipe"
    where = "%s/%s@%s" % (e["KAFKA_TOPIC"], e["KAFKA_PARTITION"], e["KAFKA_OFFSET"])
    print("[%s] %s  (%s)" % (tag, e["MESSAGE"], where), flush=True)
'
