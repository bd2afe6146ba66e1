# Sourced by the shell tests: starts "$server" on a fresh data directory in "$work" on 127.0.0.1
# with a port of its own, removes both at exit, and sets $port once it listens (10 s at most).
"$server" --data_dir="$work/data" --listen=127.0.0.1:0 2> "$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")"
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }
