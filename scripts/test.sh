#!/usr/bin/env bash
# Installs the build dependencies, builds tqdb (and, once per machine, the pinned FAISS the
# benchmarks compare with) and runs every test through CTest: first the release build (all
# suites, clang-format check included), then a clang build that checks the lock annotations,
# then a ThreadSanitizer build of the concurrency suites.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs="$(nproc)"

# The benchmarks' FAISS baseline: the pinned native build when ../shared/third_party is there.
faiss_args="$(./scripts/faiss-baseline.sh)"
# shellcheck disable=SC2086  # the arguments are meant to split
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $faiss_args
cmake --build build --parallel "$jobs"
ctest --test-dir build --output-on-failure --timeout 900 --parallel "$jobs"

# Clang checks the lock annotations (-Wthread-safety as errors) of the engine and the server.
CC=clang CXX=clang++ cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug
cmake --build build-clang --parallel "$jobs" --target tqdb_quant tqdb_index tqdb_db tqdb-server

cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTQDB_SANITIZER=thread
cmake --build build-tsan --parallel "$jobs"
ctest --test-dir build-tsan --output-on-failure --timeout 900 --parallel "$jobs"
