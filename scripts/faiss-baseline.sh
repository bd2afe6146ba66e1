#!/usr/bin/env bash
# Prints the CMake arguments that point the benchmarks at the pinned FAISS (../shared/third_party,
# built once per machine into a cache folder by its build-faiss.sh, with run-time AVX2/AVX-512
# dispatch), building it first when needed. Prints nothing where that folder is absent (a clone
# on its own): CMake then falls back to Debian's libfaiss-dev, and every benchmark table says its
# speed ratios are not meaningful. Build output goes to stderr.
#   usage: cmake ... $(scripts/faiss-baseline.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
builder="$root/../shared/third_party/build-faiss.sh"
[ -f "$builder" ] || exit 0
prefix="${TQDB_FAISS_PREFIX:-$HOME/.cache/tqdb/faiss-02dbb4e}"
bash "$builder" "$prefix" >&2
echo "-DCMAKE_PREFIX_PATH=$prefix -Dfaiss_DIR=$prefix/share/faiss"
