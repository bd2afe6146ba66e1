#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the benchmarks need.
# Run as root (or with sudo available) on a fresh machine; safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  clang clang-format libomp-dev
  libabsl-dev
  libprotobuf-dev protobuf-compiler
  python3 python3-grpcio python3-protobuf
  libgrpc++-dev protobuf-compiler-grpc
  librocksdb-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libhdf5-dev
  libfaiss-dev libopenblas-dev libxxhash-dev
  libroaring-dev nlohmann-json3-dev
  python3-matplotlib
  openssl libssl-dev
  prometheus-cpp-dev libcpp-httplib-dev
  libgoogle-perftools-dev  # tcmalloc for the server (half the CPU of a bulk load)
  chromium chromium-driver python3-selenium  # the console's browser test
  etcd-server etcd-client golang-etcd-server-dev  # clusters: etcd, and its v3 API's .proto files
  iproute2  # the cluster partition tests: network namespaces and veth pairs (ip netns)
  python3-numpy python3-tqdm python3-venv python3-pip python3-setuptools python3-wheel  # the Python client
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
