#!/usr/bin/env bash
# Installs the build dependencies, builds tqdb-server and the tqdb CLI, and starts the server on
# ./data (an embedded RocksDB directory; no other service): gRPC on 127.0.0.1:50051, HTTP/JSON and
# the web console on http://127.0.0.1:6333/. Extra arguments go to tqdb-server (a flag given again
# wins), e.g. --data_dir=/var/lib/tqdb; a non-loopback --listen or --http_listen also needs client
# certificates (--tls_cert, --tls_key, --tls_client_ca; README "TLS") or --insecure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "$(nproc)" --target tqdb-server tqdb tqdb_python_stubs
exec ./build/server/tqdb-server --data_dir=./data --http_listen=127.0.0.1:6333 "$@"
