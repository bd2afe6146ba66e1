// The scalar reference scorer every SIMD kernel is checked against, checked itself against the
// definition: sum_j q'_j * c[code_j], computed coordinate by coordinate from unpacked codes.
#include "quant/code_scorer.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "quant/bit_packing.h"
#include "quant/codebook.h"
#include "test_util.h"

namespace tqdb {
namespace {

TEST(CodeScorerTest, ScoreIsTheInnerProductWithTheCodesCentroids) {
  // Byte tables at 1, 2, 4, 8 bits while they fit kByteTablesLimit (dim 1 and 7, and 100 at 1
  // and 2 bits); per-coordinate tables otherwise.
  for (int bits = 1; bits <= 8; ++bits) {
    for (int dim : {1, 7, 100, 1536}) {
      const Codebook& codebook = *GetCodebook(dim, bits).value();
      const std::vector<float> query = testing::RandomUnitVectors(1, dim, dim * 16 + bits);
      CodeScorer scorer;
      scorer.Build(query.data(), dim, bits, codebook.centroids.data());
      std::mt19937_64 gen(dim * 100 + bits);
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<uint8_t> indices(dim), code(PackedBytes(dim, bits));
        for (uint8_t& i : indices) i = static_cast<uint8_t>(gen() % (1u << bits));
        PackCodes(indices.data(), dim, bits, code.data());
        double expected = 0;
        for (int j = 0; j < dim; ++j) expected += query[j] * codebook.centroids[indices[j]];
        // Float sums in a different order: a few ulps per term.
        EXPECT_NEAR(scorer.Score(code.data()), expected, 1e-5 * std::sqrt(dim) + 1e-6)
            << "bits=" << bits << " dim=" << dim;
      }
    }
  }
}

}  // namespace
}  // namespace tqdb
