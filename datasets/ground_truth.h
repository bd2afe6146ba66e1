// Exact nearest neighbours by brute force, the oracle for recall in tests and benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tqdb {

// Scales every row of a row-major matrix to unit length, in place; zero rows stay zero.
void NormalizeRows(std::vector<float>& values, int d);

// Exact top-k row indices per query by inner product of the rows as given (normalize both for
// cosine), best first. Independent of the engine's code; OpenMP over queries.
std::vector<std::vector<uint64_t>> ExactTopKByInnerProduct(const float* base, size_t n,
                                                           const float* queries, size_t nq, int d,
                                                           int k);

}  // namespace tqdb
