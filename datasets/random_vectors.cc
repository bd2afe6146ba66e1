#include "random_vectors.h"

#include <random>

#include "ground_truth.h"

namespace tqdb {

std::vector<float> RandomUnitVectors(size_t n, int d, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * d);
  for (float& x : v) x = normal(gen);
  NormalizeRows(v, d);
  return v;
}

}  // namespace tqdb
