#!/bin/sh
# `tqdb import`: JSON lines and CSV records with ids and payload fields reach the server as
# points (ids from the file, payload = the other fields, typed as JSON has them), filters see the
# payloads, a bad row is refused naming its line after the rows before it were acknowledged, and
# --checkpoint resumes after them. Against a real tqdb-server on 127.0.0.1.
# Usage: cli_import_test.sh TQDB_SERVER TQDB_CLI
set -eu
server="$1"
cli="$2"
work="$(mktemp -d)"
. "$(dirname "$0")/test_server.sh"  # sets $port
T="$cli --server=127.0.0.1:$port"
fail() { echo "cli_import_test: $1"; shift; for f in "$@"; do cat "$f"; done; exit 1; }

# 3,000 JSON lines: id 1000 + i, a label in 3 kinds, a number, a nested object.
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) {
  printf "{\"id\": %d, \"kind\": \"k%d\", \"rank\": %d, \"meta\": {\"even\": %s}, \"embedding\": [",
         1000 + i, i % 3, i, (i % 2 == 0) ? "true" : "false";
  for (j = 0; j < 8; j++) printf "%s%.5f", (j ? ", " : ""), rand() - 0.5;
  print "]}" } }' > "$work/points.jsonl"
$T create j --dim=8 --bits=4 > /dev/null
$T import j "$work/points.jsonl" --batch=500 > "$work/import.out" 2>&1 ||
  fail "the JSON lines import failed" "$work/import.out"
grep -q "loaded 3000 new" "$work/import.out" || fail "not 3000 rows" "$work/import.out"
$T count j --filter='{"must": [{"key": "kind", "match": {"value": "k1"}}]}' > "$work/count.out"
grep -qx "1000" "$work/count.out" || fail "kind k1 is not 1000 points" "$work/count.out"
$T count j --filter='{"must": [{"key": "meta.even", "match": {"value": true}}]}' > "$work/count.out"
grep -qx "1500" "$work/count.out" || fail "meta.even is not 1500 points" "$work/count.out"
$T get j 1007 > "$work/get.out"
grep -q '"rank":7' "$work/get.out" || grep -q '"rank": 7' "$work/get.out" ||
  fail "point 1007 lacks its rank" "$work/get.out"
if grep -q "embedding" "$work/get.out"; then fail "the vector was kept in the payload" "$work/get.out"; fi

# CSV: quoted vector cells, typed cells, only the named payload column kept.
{ echo 'id,title,year,embedding'
  echo '7,"Dune, part one",1965,"[0.1, 0.2, 0.3, 0.4]"'
  echo '8,Emma,1815,"[0.4, 0.3, 0.2, 0.1]"'; } > "$work/books.csv"
$T create c --dim=4 --bits=4 > /dev/null
$T import c "$work/books.csv" --payload_columns=year > "$work/csv.out" 2>&1 ||
  fail "the CSV import failed" "$work/csv.out"
$T count c --filter='{"must": [{"key": "year", "range": {"lt": 1900}}]}' > "$work/count.out"
grep -qx "1" "$work/count.out" || fail "year is not a number" "$work/count.out"
$T get c 7 > "$work/get.out"
if grep -q "Dune" "$work/get.out"; then fail "a column not named was kept" "$work/get.out"; fi

# A bad row after 3,000 good ones: refused with its line; the acknowledged legs stay, and a run
# with the checkpoint resumes after them once the row is fixed.
head -n 2000 "$work/points.jsonl" > "$work/bad.jsonl"
echo '{"id": "not-a-number", "embedding": [1, 2, 3, 4, 5, 6, 7, 8]}' >> "$work/bad.jsonl"
sed -n '2001,3000p' "$work/points.jsonl" >> "$work/bad.jsonl"
$T create r --dim=8 --bits=4 > /dev/null
if $T import r "$work/bad.jsonl" --batch=50 --checkpoint="$work/ck" > "$work/bad.out" 2>&1; then
  fail "a bad id was taken" "$work/bad.out"
fi
grep -q "bad.jsonl:2001" "$work/bad.out" || fail "the error does not name line 2001" "$work/bad.out"
grep -q "resume after them" "$work/bad.out" || fail "no resume hint" "$work/bad.out"
sed -i '2001s/"not-a-number"/999999/' "$work/bad.jsonl"
$T import r "$work/bad.jsonl" --batch=50 --checkpoint="$work/ck" > "$work/resume.out" 2>&1 ||
  fail "the resumed import failed" "$work/resume.out"
grep -q "resuming after the 1600 rows" "$work/resume.out" || fail "did not resume" "$work/resume.out"
$T describe r | grep -q "^count: 3001$" || fail "not 3001 points after resuming" /dev/null
echo "cli_import_test: passed"
