#!/usr/bin/env bash
# Installs the build dependencies, builds tqdb and starts it on real data.
# Until the gRPC server lands (see proto/README.md), this runs the engine demo on GloVe-100
# from ../shared/datasets: index, search, recall and neighbour lists.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)" --target tqdb_engine_demo
exec ./build/tools/tqdb_engine_demo "$@"
