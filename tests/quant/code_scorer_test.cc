// The scalar reference scorer every SIMD kernel is checked against, checked itself against the
// definition: sum_j q'_j * c[code_j], computed coordinate by coordinate from unpacked codes.
#include "quant/code_scorer.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "quant/bit_packing.h"
#include "quant/codebook.h"
#include "quant/float_tables.h"
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

namespace tqdb::quant {
namespace {

// The tables are built by extending partial sums one coordinate at a time; every entry must be
// bit for bit the direct sum over its codes in coordinate order (the scan's bounds and the
// recall figures rest on these exact values), for every width and grouping the engine uses,
// with partial last groups.
TEST(FloatTablesTest, EqualTheDirectSumsBitForBit) {
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0, 1);
  struct Shape {
    int bits, codes_per_group, entries;
  };
  for (const Shape s :
       {Shape{1, 4, 16}, Shape{2, 2, 16}, Shape{3, 1, 16}, Shape{4, 1, 16}, Shape{1, 8, 256},
        Shape{2, 4, 256}, Shape{4, 2, 256}, Shape{8, 1, 256}, Shape{3, 1, 8}, Shape{5, 1, 32}}) {
    for (int dim : {1, 7, 13, 100, 131}) {
      std::vector<float> query(dim), centroids(size_t{1} << s.bits);
      for (float& q : query) q = normal(gen);
      for (float& c : centroids) c = normal(gen);
      const std::vector<float> tables = BuildFloatTables(
          query.data(), dim, s.bits, centroids.data(), s.codes_per_group, s.entries);
      const int groups = (dim + s.codes_per_group - 1) / s.codes_per_group;
      ASSERT_EQ(tables.size(), static_cast<size_t>(groups) * s.entries);
      const uint32_t mask = (1u << s.bits) - 1;
      for (int g = 0; g < groups; ++g) {
        for (int v = 0; v < s.entries; ++v) {
          float sum = 0;
          for (int k = 0; k < s.codes_per_group; ++k) {
            const int j = g * s.codes_per_group + k;
            if (j < dim) sum += query[j] * centroids[(v >> (k * s.bits)) & mask];
          }
          ASSERT_EQ(tables[g * s.entries + v], sum)
              << "bits " << s.bits << " group " << g << " entry " << v << " dim " << dim;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tqdb::quant
