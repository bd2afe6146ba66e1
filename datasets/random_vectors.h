// Random unit vectors (normalized Gaussians: uniform on the sphere), for tests and for
// benchmarks that need a dimension no real dataset has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tqdb {

// n x d row-major, reproducible from `seed`.
std::vector<float> RandomUnitVectors(size_t n, int d, uint64_t seed);

}  // namespace tqdb
