#!/bin/bash
# Two tqdb-server binaries loading the same file by turns (this machine's speed moves between
# minutes, so only alternating rounds compare): for each round and binary, a fresh server and
# data directory, `tqdb load` into a new group-commit collection, then a wait until `describe`
# shows no background job (the partitioning a large load asks for). Prints per load: vectors/s,
# the server's CPU seconds and peak RSS at the load's end, and when its jobs were done.
#
#   bench/load/ab_load.sh OLD_SERVER NEW_SERVER FILE.fvecs [ROUNDS] [extra create flags]
set -euo pipefail
old=$1 new=$2 file=$3 rounds=${4:-3}
shift $(($# < 4 ? $# : 4))
here=$(cd "$(dirname "$0")/../.." && pwd)
cli=${TQDB_CLI:-$here/build/tools/tqdb}
dim=$(od -An -t d4 -N 4 "$file" | tr -d ' ')

cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
hwm_mb() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

one_load() {
  local server=$1 work pid port start rate
  work=$(mktemp -d)
  "$server" --data_dir="$work/data" --listen=127.0.0.1:0 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/log" | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  "$cli" --server="127.0.0.1:$port" create c --dim="$dim" --bits=4 --durability=group-commit \
    "$@" >/dev/null
  start=$(date +%s.%N)
  rate=$("$cli" --server="127.0.0.1:$port" load c "$file" 2>&1 | tail -1 | grep -o '[0-9]* vectors/s')
  local load_cpu load_hwm
  load_cpu=$(cpu_s $pid) load_hwm=$(hwm_mb $pid)
  while "$cli" --server="127.0.0.1:$port" describe c | grep -q "background_jobs: true"; do
    sleep 0.25
  done
  printf "| %s | %s | %s | %s | %.1f | %s | %s |\n" "$(basename "$server")" "$rate" "$load_cpu" \
    "$load_hwm" "$(echo "$(date +%s.%N) - $start" | bc)" "$(cpu_s $pid)" "$(hwm_mb $pid)"
  kill $pid
  wait $pid || true
  rm -rf "$work"
}

echo "file: $file (d = $dim); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo
echo "| server | load | server CPU s at its end | peak RSS MB at its end | jobs done, s after the start | server CPU s then | peak RSS MB then |"
echo "|---|---|---|---|---|---|---|"
for _ in $(seq "$rounds"); do
  one_load "$old" "$@"
  one_load "$new" "$@"
done
