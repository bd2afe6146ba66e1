#!/usr/bin/env bash
# Downloads the public embedding sets the TurboQuant paper and ann-benchmarks use and converts
# them to .fvecs in a folder that bench/recall scans (it reads .fvecs, .hdf5, .npy, ... directly).
# Needs internet, curl, unzip and a built tqdb-convert (./build/tools/tqdb-convert); the OpenAI
# sets also need Python with pyarrow (not packaged in Debian 12: `pip install pyarrow`).
# The benchmarks default to ../shared/datasets; point them here with --datasets_dir=DIR.
#
#   datasets/fetch_public_sets.sh DIR [glove-6b] [glove-twitter] [ann-glove] [dbpedia-1536]
#                                     [dbpedia-3072]       (default: glove-6b ann-glove)
#
# Sources (licences: GloVe data PDDL 1.0; ann-benchmarks files MIT-licensed tooling over the
# same data; the DBpedia OpenAI sets are published by Qdrant on Hugging Face, see their cards):
#   glove-6b       https://nlp.stanford.edu/data/glove.6B.zip (400K words, 50/100/200/300 d)
#   glove-twitter  https://nlp.stanford.edu/data/glove.twitter.27B.zip (1.2M words, 25-200 d)
#   ann-glove      http://ann-benchmarks.com/glove-100-angular.hdf5, glove-200-angular.hdf5
#                  (train/test/neighbors already split; read as-is)
#   dbpedia-1536   https://huggingface.co/datasets/Qdrant/dbpedia-entities-openai3-text-embedding-3-large-1536-1M
#   dbpedia-3072   https://huggingface.co/datasets/Qdrant/dbpedia-entities-openai3-text-embedding-3-large-3072-1M
#                  (1M DBpedia entities embedded with OpenAI text-embedding-3-large, parquet)
set -euo pipefail

dir=${1:?usage: fetch_public_sets.sh DIR [set ...]}
shift
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(glove-6b ann-glove)
here=$(cd "$(dirname "$0")/.." && pwd)
convert=${TQDB_CONVERT:-$here/build/tools/tqdb-convert}
mkdir -p "$dir"
cd "$dir"

need_convert() {
  [ -x "$convert" ] || { echo "build tqdb-convert first (cmake --build build)"; exit 1; }
}

# GloVe text ("word v1 v2 ...") -> .fvecs, one file per dimension.
fetch_glove() {
  local url=$1 zip=$2
  need_convert
  [ -f "$zip" ] || curl -fL --retry 3 -o "$zip" "$url"
  unzip -o -q "$zip"
  for txt in "${zip%.zip}".*d.txt; do
    "$convert" "$txt" "${txt%.txt}.fvecs"
  done
}

# Hugging Face parquet shards -> one .npy of float32 (tqdb reads .npy directly).
fetch_dbpedia() {
  local dim=$1
  local repo="Qdrant/dbpedia-entities-openai3-text-embedding-3-large-${dim}-1M"
  local column="text-embedding-3-large-${dim}-embedding"
  python3 - "$repo" "$column" "dbpedia-openai-${dim}.npy" <<'PY'
import sys, urllib.request, json, io
import numpy as np
import pyarrow.parquet as pq
repo, column, out = sys.argv[1:]
api = f"https://huggingface.co/api/datasets/{repo}/parquet/default/train"
urls = json.load(urllib.request.urlopen(api))
rows = []
for url in urls:
    print("fetching", url, flush=True)
    table = pq.read_table(io.BytesIO(urllib.request.urlopen(url).read()), columns=[column])
    rows.append(np.array(table.column(column).to_pylist(), dtype=np.float32))
np.save(out, np.concatenate(rows))
print("wrote", out)
PY
}

for set in "${sets[@]}"; do
  case "$set" in
    glove-6b) fetch_glove https://nlp.stanford.edu/data/glove.6B.zip glove.6B.zip ;;
    glove-twitter)
      fetch_glove https://nlp.stanford.edu/data/glove.twitter.27B.zip glove.twitter.27B.zip ;;
    ann-glove)
      for f in glove-100-angular.hdf5 glove-200-angular.hdf5; do
        [ -f "$f" ] || curl -fL --retry 3 -o "$f" "http://ann-benchmarks.com/$f"
      done ;;
    dbpedia-1536) fetch_dbpedia 1536 ;;
    dbpedia-3072) fetch_dbpedia 3072 ;;
    *) echo "unknown set $set"; exit 2 ;;
  esac
done
echo "done: $(ls "$dir")"
