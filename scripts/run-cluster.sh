#!/usr/bin/env bash
# A tqdb cluster on this one machine: a three-member etcd (on 127.0.0.1, 127.0.0.2 and 127.0.0.3,
# client port 12379, peer port 12380) and three tqdb-server nodes (gRPC on 127.0.0.1:50061-50063,
# HTTP on 127.0.0.1:6341-6343), everything under DIR (default ./cluster). README "Running a
# cluster" shows it in use.
#
#   scripts/run-cluster.sh start [DIR]   installs deps, builds, starts etcd and the nodes
#   scripts/run-cluster.sh status [DIR]  tqdb cluster status, through node 1
#   scripts/run-cluster.sh node N [DIR]  starts node N (1-3) again, after a crash or a stop
#   scripts/run-cluster.sh stop [DIR]    stops the nodes (SIGTERM: they finish requests, leave
#                                        the cluster and close RocksDB), then etcd
set -euo pipefail
cd "$(dirname "$0")/.."
command="${1:-start}"
if [ "$command" = node ]; then node="${2:?node N [DIR]}"; shift; fi
dir="${2:-./cluster}"
members=(127.0.0.1 127.0.0.2 127.0.0.3)
endpoints="127.0.0.1:12379,127.0.0.2:12379,127.0.0.3:12379"

stop_pid() {  # stop_pid FILE: SIGTERM, then wait up to 30 s
  [ -f "$1" ] || return 0
  local pid
  pid="$(cat "$1")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$1"
}

start_node() {  # start_node I: node I in the background, until it listens
  local i="$1" from
  from=$(($(stat -c %s "$dir/node$i.log" 2>/dev/null || echo 0) + 1))  # this start's lines only
  nohup ./build/server/tqdb-server --etcd="$endpoints" --node_id="node$i" \
    --listen="127.0.0.1:5006$i" --http_listen="127.0.0.1:634$i" \
    --data_dir="$dir/node$i" --snapshot_dir="$dir/snapshots$i" --threads=1 \
    >>"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/node$i.pid"
  for _ in $(seq 200); do
    tail -c +"$from" "$dir/node$i.log" | grep -q "listening on" && break
    kill -0 "$(cat "$dir/node$i.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -c +"$from" "$dir/node$i.log" | grep "listening on" || { tail "$dir/node$i.log"; exit 1; }
}

case "$command" in
  node)
    start_node "$node"
    exit 0 ;;
  stop)
    for i in 1 2 3; do stop_pid "$dir/node$i.pid"; done
    for i in 1 2 3; do stop_pid "$dir/etcd$i.pid"; done
    echo "cluster in $dir stopped"
    exit 0 ;;
  status)
    exec ./build/tools/tqdb --server=127.0.0.1:50061 cluster status ;;
  start) ;;
  *) echo "usage: $0 start|status|stop [DIR] | node N [DIR]" >&2; exit 2 ;;
esac

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)" --target tqdb-server tqdb
mkdir -p "$dir"

initial=""
for i in 1 2 3; do
  initial+="${initial:+,}m$i=http://${members[$((i - 1))]}:12380"
done
for i in 1 2 3; do
  ip="${members[$((i - 1))]}"
  # Compaction keeps etcd's history short (the shard maps change rarely; leases renew often);
  # the quota bounds its database (etcd refuses writes past it rather than fill the disk).
  nohup etcd --name "m$i" --data-dir "$dir/etcd$i" \
    --listen-client-urls "http://$ip:12379" --advertise-client-urls "http://$ip:12379" \
    --listen-peer-urls "http://$ip:12380" --initial-advertise-peer-urls "http://$ip:12380" \
    --initial-cluster "$initial" --initial-cluster-state new \
    --auto-compaction-mode periodic --auto-compaction-retention 1h \
    --quota-backend-bytes $((2 * 1024 * 1024 * 1024)) --log-level warn \
    >"$dir/etcd$i.log" 2>&1 &
  echo $! >"$dir/etcd$i.pid"
done
for _ in $(seq 100); do
  if ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health >/dev/null 2>&1; then break; fi
  sleep 0.2
done
ETCDCTL_API=3 etcdctl --endpoints="$endpoints" endpoint health

for i in 1 2 3; do start_node "$i"; done
./build/tools/tqdb --server=127.0.0.1:50061 cluster status
echo "cluster running in $dir; any node takes the whole API: ./build/tools/tqdb --server=127.0.0.1:50062 ...; stop: $0 stop $dir"
