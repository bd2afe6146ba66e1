// The fast-scan pieces: every SIMD kernel against the scalar reference, the blocked layout, and
// the error bound of the 8-bit tables against the float reference scorer.
#include "index/scan/scan_kernels.h"

#include <random>
#include <tuple>

#include "gtest/gtest.h"
#include "index/scan/lookup_tables.h"
#include "index/store/nibble_blocks.h"
#include "quant/bit_packing.h"
#include "quant/code_scorer.h"
#include "quant/codebook.h"
#include "test_util.h"

namespace tqdb::scan {
namespace {

std::vector<ScanLevel> SupportedLevels() {
  std::vector<ScanLevel> levels;
  for (ScanLevel level : {ScanLevel::kScalar, ScanLevel::kAvx2, ScanLevel::kAvx512}) {
    if (CpuSupports(level)) levels.push_back(level);
  }
  return levels;
}

ScanBlockFn Kernel(ScanLevel level) {
  switch (level) {
    case ScanLevel::kAvx2:
      return ScanBlockAvx2;
    case ScanLevel::kAvx512:
      return ScanBlockAvx512;
    case ScanLevel::kScalar:
      break;
  }
  return ScanBlockScalar;
}

TEST(ScanKernelsTest, EverySimdPathMatchesTheScalarReferenceExactly) {
  std::printf("kernels checked on this CPU:");
  for (ScanLevel level : SupportedLevels()) std::printf(" %s", ScanLevelName(level));
  std::printf("\n");
  std::mt19937_64 gen(3);
  // 2,048 groups and 255-valued tables cross the 16-bit flush boundary of both SIMD kernels.
  for (int groups : {4, 8, 52, 256, 260, 512, 516, 1028, 2048}) {
    for (bool saturated : {false, true}) {
      std::vector<uint8_t> block(groups * kGroupBytes), tables(groups * 16);
      for (uint8_t& b : block) b = static_cast<uint8_t>(gen());
      for (uint8_t& t : tables) t = saturated ? 255 : static_cast<uint8_t>(gen());
      uint32_t expected[kBlockSize];
      ScanBlockScalar(block.data(), tables.data(), groups, expected);
      if (saturated) {
        EXPECT_EQ(expected[0], 255u * groups);
      }
      for (ScanLevel level : SupportedLevels()) {
        uint32_t got[kBlockSize];
        Kernel(level)(block.data(), tables.data(), groups, got);
        for (int i = 0; i < kBlockSize; ++i) {
          ASSERT_EQ(got[i], expected[i])
              << ScanLevelName(level) << " groups=" << groups << " vector " << i;
        }
      }
    }
  }
}

ScanQueriesFn QueriesKernel(ScanLevel level) {
  switch (level) {
    case ScanLevel::kAvx2:
      return ScanQueriesAvx2;
    case ScanLevel::kAvx512:
      return ScanQueriesAvx512;
    case ScanLevel::kScalar:
      break;
  }
  return ScanQueriesScalar;
}

TEST(ScanKernelsTest, SeveralQueriesAtOnceEqualOneQueryAtATime) {
  std::mt19937_64 gen(5);
  for (int groups : {4, 100, 1028}) {
    std::vector<uint8_t> block(groups * kGroupBytes);
    for (uint8_t& b : block) b = static_cast<uint8_t>(gen());
    // Up to 9 queries: full groups of 4 (and pairs) plus remainders.
    for (int queries = 1; queries <= 9; ++queries) {
      std::vector<std::vector<uint8_t>> tables(queries, std::vector<uint8_t>(groups * 16));
      std::vector<const uint8_t*> pointers;
      std::vector<uint32_t> expected(queries * kBlockSize);
      for (int q = 0; q < queries; ++q) {
        for (uint8_t& t : tables[q]) t = static_cast<uint8_t>(gen());
        pointers.push_back(tables[q].data());
        ScanBlockScalar(block.data(), tables[q].data(), groups, &expected[q * kBlockSize]);
      }
      for (ScanLevel level : SupportedLevels()) {
        std::vector<uint32_t> got(queries * kBlockSize);
        QueriesKernel(level)(block.data(), pointers.data(), queries, groups, got.data());
        ASSERT_EQ(got, expected) << ScanLevelName(level) << " groups=" << groups
                                 << " queries=" << queries;
      }
    }
  }
}

TEST(ScanKernelsTest, ForcingALevelSelectsIt) {
  const ScanLevel before = ActiveScanLevel();
  for (ScanLevel level : SupportedLevels()) {
    ASSERT_TRUE(ForceScanLevel(level));
    EXPECT_EQ(ActiveScanLevel(), level);
    EXPECT_EQ(ActiveScanBlock(), Kernel(level));
  }
  ForceScanLevel(before);
}

// Sum of table entries over a code's nibbles, from the unpacked coordinates.
uint32_t DirectSum(const uint8_t* code, int dim, int bits, const uint8_t* tables) {
  std::vector<uint8_t> indices(dim);
  UnpackCodes(code, dim, bits, indices.data());
  const int per_nibble = CoordinatesPerNibble(bits);
  uint32_t sum = 0;
  for (int g = 0; g < PaddedGroups(dim, bits); ++g) {
    int nibble = 0;
    for (int k = 0; k < per_nibble && g * per_nibble + k < dim; ++k) {
      nibble |= indices[g * per_nibble + k] << (k * bits);
    }
    sum += tables[g * 16 + nibble];
  }
  return sum;
}

TEST(NibbleBlocksTest, SetGetMoveAndResizeKeepEverySlotsCode) {
  std::mt19937_64 gen(4);
  for (auto [dim, bits] : {std::pair{7, 1}, {11, 2}, {26, 4}, {100, 4}, {9, 3}, {100, 3}}) {
    const size_t code_bytes = PackedBytes(dim, bits);
    NibbleBlocks blocks(dim, bits);
    const size_t n = 8192 + 77;  // past the first chunk of blocks
    std::vector<std::vector<uint8_t>> codes(n, std::vector<uint8_t>(code_bytes));
    blocks.Resize(n);
    for (size_t i = 0; i < n; ++i) {
      std::vector<uint8_t> indices(dim);
      for (uint8_t& v : indices) v = static_cast<uint8_t>(gen() % (1u << bits));
      PackCodes(indices.data(), dim, bits, codes[i].data());
      blocks.Set(i, codes[i].data());
    }
    // Remove slot 5 the way FlatIndex does: move the last slot into it and shrink.
    blocks.Move(n - 1, 5);
    codes[5] = codes[n - 1];
    codes.pop_back();
    blocks.Resize(n - 1);
    // Get gives back every code as packed (the blocks are the index's only copy of the codes).
    std::vector<uint8_t> got(code_bytes);
    for (size_t i = 0; i < codes.size(); ++i) {
      blocks.Get(i, got.data());
      EXPECT_EQ(got, codes[i]) << "dim=" << dim << " bits=" << bits << " slot " << i;
    }
    std::vector<uint8_t> tables(blocks.groups() * 16);
    for (uint8_t& t : tables) t = static_cast<uint8_t>(gen());
    for (size_t b = 0; b < blocks.blocks(); ++b) {
      uint32_t sums[kBlockSize];
      ScanBlockScalar(blocks.block(b), tables.data(), blocks.groups(), sums);
      for (size_t i = 0; i < kBlockSize && b * kBlockSize + i < codes.size(); ++i) {
        EXPECT_EQ(sums[i], DirectSum(codes[b * kBlockSize + i].data(), dim, bits, tables.data()))
            << "dim=" << dim << " bits=" << bits << " slot " << b * kBlockSize + i;
      }
    }
    // A slot freed by shrinking reads as zero once it is reused.
    blocks.Resize(n);
    std::vector<uint8_t> zero(code_bytes, 0);
    uint32_t sums[kBlockSize];
    ScanBlockScalar(blocks.block((n - 1) / kBlockSize), tables.data(), blocks.groups(), sums);
    EXPECT_EQ(sums[(n - 1) % kBlockSize], DirectSum(zero.data(), dim, bits, tables.data()));
  }
}

// A code of two widths (fractional bits): each part's nibbles in turn, each summed with its own
// tables, and given back as packed; the 8-bit tables' estimate within its bound of the scorer's.
TEST(NibbleBlocksTest, CodesOfTwoWidthsScanAsTheirPartsDo) {
  std::mt19937_64 gen(6);
  for (auto [dim, bits, eighths] :
       {std::tuple{100, 1, 4}, {100, 2, 1}, {100, 3, 7}, {13, 1, 7}, {1536, 2, 4}, {200, 3, 4}}) {
    const CodeParts parts = SplitCoordinates(dim, bits, eighths);
    ASSERT_EQ(parts.size(), 2u);
    const size_t code_bytes = PackedBytes(parts);
    NibbleBlocks blocks(parts);
    EXPECT_EQ(blocks.groups(), PaddedGroups(parts));
    const size_t n = 70;
    blocks.Resize(n);
    std::vector<std::vector<uint8_t>> codes(n, std::vector<uint8_t>(code_bytes, 0));
    for (size_t i = 0; i < n; ++i) {
      for (const CodePart& part : parts) {
        std::vector<uint8_t> indices(part.dims);
        for (uint8_t& v : indices) v = static_cast<uint8_t>(gen() % (1u << part.bits));
        PackCodes(indices.data(), part.dims, part.bits, codes[i].data() + part.offset);
      }
      blocks.Set(i, codes[i].data());
    }
    std::vector<uint8_t> got(code_bytes);
    for (size_t i = 0; i < n; ++i) {
      blocks.Get(i, got.data());
      ASSERT_EQ(got, codes[i]) << "dim=" << dim << " bits=" << bits << "+" << eighths << "/8";
    }
    // Random tables: the block sums equal each part's direct sums over its own groups.
    std::vector<uint8_t> tables(blocks.groups() * 16);
    for (uint8_t& t : tables) t = static_cast<uint8_t>(gen());
    const int wide_groups = PaddedGroups(parts[0].dims, parts[0].bits);  // a multiple of 4
    ASSERT_EQ(wide_groups, NibbleGroups(parts[0].dims, parts[0].bits));
    for (size_t i = 0; i < n; ++i) {
      uint32_t sums[kBlockSize];
      ScanBlockScalar(blocks.block(i / kBlockSize), tables.data(), blocks.groups(), sums);
      const uint32_t expected =
          DirectSum(codes[i].data(), parts[0].dims, parts[0].bits, tables.data()) +
          DirectSum(codes[i].data() + parts[1].offset, parts[1].dims, parts[1].bits,
                    tables.data() + wide_groups * 16);
      ASSERT_EQ(sums[i % kBlockSize], expected) << "dim=" << dim << " slot " << i;
    }
    // The quantized tables of the two codebooks against the float scorer.
    const std::vector<float> query = testing::RandomUnitVectors(1, dim, dim + eighths);
    const float* centroids[2] = {GetCodebook(dim, parts[0].bits).value()->centroids.data(),
                                 GetCodebook(dim, parts[1].bits).value()->centroids.data()};
    QuantizedTables quantized;
    BuildQuantizedTables(query.data(), parts, centroids, blocks.groups(), &quantized);
    CodeScorer reference;
    reference.Build(query.data(), parts, centroids);
    for (size_t i = 0; i < n; ++i) {
      uint32_t sums[kBlockSize];
      ScanBlockScalar(blocks.block(i / kBlockSize), quantized.tables.data(), blocks.groups(), sums);
      const float estimate = quantized.Estimate(sums[i % kBlockSize]);
      ASSERT_LE(std::abs(estimate - reference.Score(codes[i].data())), quantized.max_error)
          << "dim=" << dim << " slot " << i;
    }
  }
}

TEST(NibbleBlocksTest, EveryBlockStartsOnA64ByteLine) {
  for (int bits : {1, 2, 3, 4}) {
    for (int dim : {1, 7, 100, 1536}) {
      scan::NibbleBlocks blocks(dim, bits);
      EXPECT_EQ(blocks.block_bytes() % 64, 0u) << bits << " " << dim;
      for (size_t n : {1, 33, 1000, 20000, 5}) {  // growing and shrinking reallocates
        blocks.Resize(n);
        for (size_t b = 0; b < blocks.blocks(); ++b) {
          ASSERT_EQ(reinterpret_cast<uintptr_t>(blocks.block(b)) % 64, 0u) << bits << " " << dim;
        }
      }
    }
  }
}

TEST(LookupTablesTest, QuantizedScoreIsWithinTheClaimedBoundOfTheFloatScore) {
  for (int bits : {1, 2, 3, 4}) {
    for (int dim : {1, 7, 100, 200, 1536, 3072}) {
      const Codebook& codebook = *GetCodebook(dim, bits).value();
      const std::vector<float> query = testing::RandomUnitVectors(1, dim, dim + bits);
      const size_t code_bytes = PackedBytes(dim, bits);
      QuantizedTables tables;
      BuildQuantizedTables(query.data(), dim, bits, codebook.centroids.data(),
                           PaddedGroups(dim, bits), &tables);
      CodeScorer reference;
      reference.Build(query.data(), dim, bits, codebook.centroids.data());
      std::mt19937_64 gen(dim * 10 + bits);
      double worst = 0;
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint8_t> indices(dim), code(code_bytes);
        for (uint8_t& i : indices) i = static_cast<uint8_t>(gen() % (1u << bits));
        PackCodes(indices.data(), dim, bits, code.data());
        const float exact = reference.Score(code.data());
        const float estimate =
            tables.Estimate(DirectSum(code.data(), dim, bits, tables.tables.data()));
        worst = std::max(worst, std::abs(static_cast<double>(estimate) - exact));
        ASSERT_LE(std::abs(estimate - exact), tables.max_error)
            << "bits=" << bits << " dim=" << dim;
      }
      // The bound is not vacuous: it is within a small factor of the error actually seen.
      EXPECT_LT(tables.max_error, 0.05 * std::sqrt(dim) + 1e-3)
          << "bits=" << bits << " dim=" << dim;
      if (dim == 1536) {
        std::printf("bits=%d dim=%d: bound %.5f, worst seen %.5f\n", bits, dim, tables.max_error,
                    worst);
      }
    }
  }
}

}  // namespace
}  // namespace tqdb::scan
