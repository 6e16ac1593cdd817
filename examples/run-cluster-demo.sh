#!/bin/bash
# Cluster mode demo: three daemons share one crawl through Kafka.
#
# Serves the demo site on four "hosts" (127.0.0.1 .. 127.0.0.4, port 8089:
# all of 127/8 is loopback), starts one standalone development broker
# (`recipe-scraperd broker`: with `brokers = embedded` each daemon would run
# a broker of its own, so daemons that share a crawl need one outside them),
# creates crawl_frontier and crawl_state with 12 partitions, and runs three
# daemons with the same configuration but for their state_dir, user agent
# and metrics port. When every recipe has been written, it shows which
# partitions each daemon owned and who fetched which host (from each
# daemon's /metrics), then stops them.
# Usage: examples/run-cluster-demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/recipe-scraperd
work=$(mktemp -d /tmp/recipe-scraperd-cluster-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() { # bounded: 50 x 0.1 s
  for _ in $(seq 50); do
    python3 -c "import socket,sys; socket.create_connection(('$1', $2), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2
  return 1
}

hosts="127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4"
starts=""
for h in $hosts; do
  python3 -m http.server 8089 --bind "$h" --directory examples/demo-site >/dev/null 2>&1 &
  pids+=($!)
  starts="$starts http://$h:8089/"
done
for h in $hosts; do wait_port "$h" 8089; done

# The broker reads commands on stdin (a FIFO kept open by fd 3).
mkfifo "$work/broker.in"
"$bin" broker --port 19092 --stdin-commands <"$work/broker.in" >"$work/broker.out" 2>&1 &
pids+=($!)
exec 3>"$work/broker.in"
wait_port 127.0.0.1 19092
echo "topic crawl_frontier 12" >&3
echo "topic crawl_state 12" >&3

for i in 1 2 3; do
  sed -e "s#^state_dir = .*#state_dir = $work/state$i#" \
      -e "s#^start_urls = .*#start_urls =$starts#" \
      -e "s#^allowed_hosts = .*#allowed_hosts = $hosts#" \
      -e "s#^user_agent = .*#user_agent = recipe-scraperd-demo-$i#" \
      -e "s#^brokers = .*#brokers = 127.0.0.1:19092\nsession.timeout.ms = 10000#" \
      -e "s#^max_pages = .*#max_pages = 0#" \
      examples/demo.ini >"$work/daemon$i.ini"
  cat >>"$work/daemon$i.ini" <<EOF

[metrics]
listen = 127.0.0.1:1946$i

[cluster]
frontier_topic = crawl_frontier
state_topic = crawl_state
group_id = demo-crawlers
EOF
  "$bin" -c "$work/daemon$i.ini" >"$work/records$i.jsonl" 2>"$work/daemon$i.log" &
  pids+=($!)
done

# Four copies of the demo site: 4 x 10 recipes. Wait (bounded: 90 s) until
# the three record consumers wrote them all.
want=40
for _ in $(seq 180); do
  got=$(cat "$work"/records*.jsonl | python3 -c '
import json, sys
print(len({json.loads(l)["RECIPE_URL"] for l in sys.stdin if l.strip()}))')
  [ "$got" -ge "$want" ] && break
  sleep 0.5
done
echo "recipes written: $got of $want"

echo
echo "== crawl partitions owned (last rebalance of each daemon) =="
for i in 1 2 3; do
  echo "daemon $i: $(grep -o 'Crawl partitions now owned: .*' "$work/daemon$i.log" | tail -1)"
done
echo
echo "== pages fetched, by daemon and host (from /metrics) =="
for i in 1 2 3; do
  python3 - "$i" <<'EOF'
import re, sys, urllib.request
i = sys.argv[1]
text = urllib.request.urlopen("http://127.0.0.1:1946%s/metrics" % i, timeout=5).read().decode()
rows = re.findall(r'recipe_scraperd_host_pages_fetched_total\{host="([^"]+)"\} (\d+)', text)
print("daemon %s: %s" % (i, ", ".join("%s %s" % (h, n) for h, n in rows if n != "0") or "nothing"))
EOF
done
echo
echo "records, logs and configurations: $work"
