#!/bin/sh
# `tqdb load --checkpoint`: a load whose checkpoint says the server acknowledged its first 6,000
# rows sends only the other 4,000 (the right ones) and removes the checkpoint; a checkpoint of another load is
# refused with a message, nothing sent. Against a real tqdb-server on 127.0.0.1.
# Usage: cli_load_resume_test.sh TQDB_SERVER TQDB_CLI FIXTURE_FVECS
set -eu
server="$1"
cli="$2"
fixture="$(realpath "$3")"
work="$(mktemp -d)"
. "$(dirname "$0")/test_server.sh"  # sets $port
T="$cli --server=127.0.0.1:$port"
$T create c --dim=100 --bits=4 > /dev/null
printf 'tqdb-load-checkpoint 1\tc\t%s\t0\t10000\t6000\n' "$fixture" > "$work/ck"
$T load c "$fixture" --checkpoint="$work/ck" > "$work/load.out" 2>&1
grep -q "resuming after the 6000 rows" "$work/load.out" || { cat "$work/load.out"; exit 1; }
grep -q "loaded 4000 new" "$work/load.out" || { cat "$work/load.out"; exit 1; }
[ ! -e "$work/ck" ] || { echo "the checkpoint was not removed"; exit 1; }
$T describe c | grep -q "^count: 4000$" || { $T describe c; exit 1; }
# The rows sent are the file's rows 6,000-9,999 under their own ids (the file is read from row
# 6,000 on, not from its start): a row's vector finds its own id first, with cosine 1.
for row in 6000 7777 9999; do
  $T search c --query_file="$fixture" --row=$row --k=1 --rerank | grep -q "^$row	1.0000" ||
    { $T search c --query_file="$fixture" --row=$row --k=3 --rerank; exit 1; }
done
# Another load's checkpoint (here: another --first_id) is refused, and nothing is sent.
printf 'tqdb-load-checkpoint 1\tc\t%s\t0\t10000\t6000\n' "$fixture" > "$work/ck"
if $T load c "$fixture" --first_id=100000 --checkpoint="$work/ck" > "$work/other.out" 2>&1; then
  echo "a checkpoint of another load was taken"; exit 1
fi
grep -q "belongs to another load" "$work/other.out" || { cat "$work/other.out"; exit 1; }
$T describe c | grep -q "^count: 4000$"
echo "cli_load_resume_test: passed"
