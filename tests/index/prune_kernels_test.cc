// The pruning kernels: every SIMD path keeps exactly the vectors the scalar reference keeps, and
// the reference never drops a vector whose bound, computed in double precision, beats the
// threshold.
#include "index/scan/prune_kernels.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "index/scan/widen_halves.h"
#include "index/store/nibble_blocks.h"
#include "quant/half_float.h"

namespace tqdb::scan {
namespace {

std::vector<std::pair<ScanLevel, PruneBlockFn>> SupportedKernels() {
  std::vector<std::pair<ScanLevel, PruneBlockFn>> kernels = {
      {ScanLevel::kScalar, PruneBlockScalar}};
  if (CpuSupports(ScanLevel::kAvx2)) kernels.push_back({ScanLevel::kAvx2, PruneBlockAvx2});
  if (CpuSupports(ScanLevel::kAvx512)) kernels.push_back({ScanLevel::kAvx512, PruneBlockAvx512});
  return kernels;
}

double ExactBound(const PruneTerms& t, uint32_t p_sum, uint32_t q_sum, float n, float a) {
  const double inner = (double{t.p0} + double{t.p1} * p_sum) +
                       a * (double{t.q0} + double{t.q1} * q_sum) + std::fabs(a) * double{t.e};
  return (t.a_const + t.a_norm * std::max(double{n}, 0.0)) * inner + t.c0 + double{t.c1} * n * n;
}

// A block of 32 vectors for trial `trial`: one of the four key shapes (cosine, centered
// cosine, inner product, L2; trial % 4) with tq-mse or tq-prod terms (trial % 2), at magnitudes
// from 1e-3 to 1e3, random sums and factors, a centered-cosine zero vector in shape 1, and
// 1 + trial % 32 vectors counted.
struct RandomBlock {
  PruneTerms terms;
  alignas(64) uint32_t p_sums[kBlockSize];
  alignas(64) uint32_t q_sums[kBlockSize];
  float norms[kBlockSize];
  float auxs[kBlockSize];
  int count = 0;
};

RandomBlock MakeRandomBlock(int trial, std::mt19937_64& gen) {
  std::uniform_real_distribution<float> unit(-1, 1);
  std::uniform_int_distribution<uint32_t> sum(0, 255 * 400);
  RandomBlock block;
  PruneTerms& t = block.terms;
  const float magnitude = std::pow(10.0f, unit(gen) * 3);
  t.p0 = trial % 2 ? unit(gen) : 0;
  t.p1 = trial % 2 ? std::fabs(unit(gen)) * 1e-3f : 0;
  t.q0 = unit(gen);
  t.q1 = unit(gen) * 1e-3f;
  t.e = std::fabs(unit(gen)) * 0.05f;
  switch (trial % 4) {
    case 0:
      t.a_const = 1, t.a_norm = 0;
      break;
    case 1:
      t.a_const = 0, t.a_norm = 1, t.c0 = unit(gen), t.c1 = -std::fabs(unit(gen));
      break;
    case 2:
      t.a_const = 0, t.a_norm = 1;
      break;
    case 3:
      t.a_const = 0, t.a_norm = 2, t.c0 = -magnitude * magnitude, t.c1 = -1;
      break;
  }
  for (int i = 0; i < kBlockSize; ++i) {
    block.p_sums[i] = sum(gen);
    block.q_sums[i] = sum(gen);
    block.norms[i] = std::fabs(unit(gen)) * magnitude;
    block.auxs[i] = unit(gen) * 2;
  }
  if (trial % 4 == 1) block.norms[trial % kBlockSize] = -1;  // the centered-cosine zero vector
  block.count = 1 + trial % kBlockSize;
  return block;
}

TEST(PruneKernelsTest, EverySimdPathKeepsWhatTheReferenceKeepsAndNothingBetterIsDropped) {
  std::printf("pruning kernels checked on this CPU:");
  for (const auto& [level, kernel] : SupportedKernels()) std::printf(" %s", ScanLevelName(level));
  std::printf("\n");
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<float> unit(-1, 1);
  int kept_in_all = 0, checked = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const RandomBlock block = MakeRandomBlock(trial, gen);
    const auto& [t, p_sums, q_sums, norms, auxs, count] = block;
    // Thresholds around the bounds, so that many comparisons are close.
    const double middle = ExactBound(t, p_sums[0], q_sums[0], norms[0], auxs[0]);
    const float threshold = static_cast<float>(middle + unit(gen) * std::fabs(middle) * 0.5);
    const uint32_t expected = PruneBlockScalar(t, p_sums, q_sums, norms, auxs, count, threshold);
    if (count < kBlockSize) {
      EXPECT_EQ(expected >> count, 0u) << "a lane past count was kept";
    }
    for (int i = 0; i < count; ++i) {
      const bool must_keep =
          norms[i] < 0 || ExactBound(t, p_sums[i], q_sums[i], norms[i], auxs[i]) > threshold;
      if (must_keep) {
        ASSERT_TRUE(expected >> i & 1) << "trial " << trial << " vector " << i;
      }
      ++checked;
      kept_in_all += expected >> i & 1;
    }
    for (const auto& [level, kernel] : SupportedKernels()) {
      ASSERT_EQ(kernel(t, p_sums, q_sums, norms, auxs, count, threshold), expected)
          << ScanLevelName(level) << " trial " << trial << " count " << count;
    }
  }
  // The thresholds sit among the bounds: a fair share is pruned, a fair share kept.
  EXPECT_GT(kept_in_all, checked / 10);
  EXPECT_LT(kept_in_all, checked * 9 / 10);
}

std::vector<std::pair<ScanLevel, KeyBlockFn>> SupportedKeyKernels() {
  std::vector<std::pair<ScanLevel, KeyBlockFn>> kernels = {{ScanLevel::kScalar, KeyBlockScalar}};
  if (CpuSupports(ScanLevel::kAvx2)) kernels.push_back({ScanLevel::kAvx2, KeyBlockAvx2});
  if (CpuSupports(ScanLevel::kAvx512)) kernels.push_back({ScanLevel::kAvx512, KeyBlockAvx512});
  return kernels;
}

// The table keys a re-rank's candidates are chosen by: every SIMD path writes the reference's
// keys bit for bit and keeps the same vectors (key >= threshold, or the zero vector), and the
// keys are the estimate's key to float precision.
TEST(KeyKernelsTest, EverySimdPathGivesTheReferenceKeysAndKeepsTheSameVectors) {
  std::mt19937_64 gen(12);
  std::uniform_real_distribution<float> unit(-1, 1);
  int kept_in_all = 0, checked = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const RandomBlock block = MakeRandomBlock(trial, gen);
    const auto& [t, p_sums, q_sums, norms, auxs, count] = block;
    PruneTerms exact_terms = t;
    exact_terms.e = 0;
    const double middle = ExactBound(exact_terms, p_sums[0], q_sums[0], norms[0], auxs[0]);
    // Half the trials put the threshold on a key exactly: a tie is kept.
    float threshold = static_cast<float>(middle + unit(gen) * std::fabs(middle) * 0.5);
    if (trial % 2 == 0) threshold = TableKey(t, p_sums[1], q_sums[1], norms[1], auxs[1]);
    float expected_keys[kBlockSize];
    const uint32_t expected =
        KeyBlockScalar(t, p_sums, q_sums, norms, auxs, count, threshold, expected_keys);
    if (count < kBlockSize) {
      EXPECT_EQ(expected >> count, 0u) << "a lane past count was kept";
    }
    if (trial % 2 == 0 && count > 1 && norms[1] >= 0) {
      EXPECT_TRUE(expected >> 1 & 1) << "a key equal to the threshold is kept";
    }
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(expected_keys[i], TableKey(t, p_sums[i], q_sums[i], norms[i], auxs[i]));
      EXPECT_EQ(expected >> i & 1, norms[i] < 0 || expected_keys[i] >= threshold);
      if (norms[i] >= 0) {
        const double exact = ExactBound(exact_terms, p_sums[i], q_sums[i], norms[i], auxs[i]);
        // A few roundings of terms as large as the key's parts.
        const double scale =
            std::fabs(double{t.a_const} + t.a_norm * norms[i]) *
                (std::fabs(t.p0) + t.p1 * p_sums[i] +
                 std::fabs(auxs[i]) * (std::fabs(t.q0) + std::fabs(t.q1) * q_sums[i])) +
            std::fabs(t.c0) + std::fabs(t.c1) * norms[i] * norms[i];
        EXPECT_NEAR(expected_keys[i], exact, scale * 1e-6) << "trial " << trial << " vector " << i;
      }
      ++checked;
      kept_in_all += expected >> i & 1;
    }
    for (const auto& [level, kernel] : SupportedKeyKernels()) {
      float keys[kBlockSize];
      ASSERT_EQ(kernel(t, p_sums, q_sums, norms, auxs, count, threshold, keys), expected)
          << ScanLevelName(level) << " trial " << trial << " count " << count;
      for (int i = 0; i < count; ++i) {
        ASSERT_EQ(keys[i], expected_keys[i]) << ScanLevelName(level) << " trial " << trial;
      }
    }
  }
  EXPECT_GT(kept_in_all, checked / 10);
  EXPECT_LT(kept_in_all, checked * 9 / 10);
}

// Collections store 16-bit factors: the key kernels that widen the halves themselves give, bit
// for bit, what the float kernels give for the halves' values, and keep nothing past the count
// (whatever the halves there hold: NaNs here).
TEST(KeyKernelsTest, HalvesGiveTheKeysOfTheirValues) {
  std::vector<std::pair<ScanLevel, KeyHalvesFn>> kernels = {{ScanLevel::kScalar, KeyHalvesScalar}};
  if (CpuSupports(ScanLevel::kAvx2)) kernels.push_back({ScanLevel::kAvx2, KeyHalvesAvx2});
  if (CpuSupports(ScanLevel::kAvx512)) kernels.push_back({ScanLevel::kAvx512, KeyHalvesAvx512});
  std::mt19937_64 gen(31);
  std::uniform_real_distribution<float> unit(-1, 1);
  int kept = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const RandomBlock block = MakeRandomBlock(trial, gen);
    const auto& [t, p_sums, q_sums, norms, auxs, count] = block;
    constexpr uint16_t kNanHalf = 0x7e00;
    alignas(64) uint16_t norm_halves[kBlockSize], aux_halves[kBlockSize];
    float norm_values[kBlockSize], aux_values[kBlockSize];
    for (int i = 0; i < kBlockSize; ++i) {
      norm_halves[i] = i < count ? FloatToHalf(norms[i]) : kNanHalf;
      aux_halves[i] = i < count ? FloatToHalf(auxs[i]) : kNanHalf;
      norm_values[i] = HalfToFloat(norm_halves[i]);
      aux_values[i] = HalfToFloat(aux_halves[i]);
    }
    const float threshold = trial % 2 == 0
                                ? TableKey(t, p_sums[0], q_sums[0], norm_values[0], aux_values[0])
                                : TableKey(t, p_sums[0], q_sums[0], norm_values[0], aux_values[0]) +
                                      unit(gen) * std::fabs(t.c0 + 1);
    float expected_keys[kBlockSize];
    const uint32_t expected =
        KeyBlockScalar(t, p_sums, q_sums, norm_values, aux_values, count, threshold, expected_keys);
    kept += __builtin_popcount(expected);
    for (const auto& [level, kernel] : kernels) {
      float keys[kBlockSize];
      ASSERT_EQ(kernel(t, p_sums, q_sums, norm_halves, aux_halves, count, threshold, keys),
                expected)
          << ScanLevelName(level) << " trial " << trial << " count " << count;
      for (int i = 0; i < count; ++i) {
        ASSERT_EQ(keys[i], expected_keys[i]) << ScanLevelName(level) << " trial " << trial;
      }
    }
  }
  EXPECT_GT(kept, 2000);  // a fair share kept, so the comparison is not of empty masks
}

TEST(WidenHalvesTest, EverySimdPathWidensEveryHalfAsTheReferenceDoes) {
  std::vector<std::pair<ScanLevel, WidenHalvesFn>> kernels = {
      {ScanLevel::kScalar, WidenHalvesScalar}};
  if (CpuSupports(ScanLevel::kAvx2)) kernels.push_back({ScanLevel::kAvx2, WidenHalvesAvx2});
  if (CpuSupports(ScanLevel::kAvx512)) kernels.push_back({ScanLevel::kAvx512, WidenHalvesAvx512});
  std::vector<uint16_t> halves(65536 + kBlockSize);
  for (size_t i = 0; i < halves.size(); ++i) halves[i] = static_cast<uint16_t>(i);
  for (const auto& [level, widen] : kernels) {
    SCOPED_TRACE(ScanLevelName(level));
    for (size_t first = 0; first < 65536; first += kBlockSize) {
      // Every count from 1 to 32 over the first blocks, whole blocks after.
      const int count =
          first < kBlockSize * kBlockSize ? 1 + static_cast<int>(first / kBlockSize) : kBlockSize;
      alignas(64) float out[kBlockSize];
      std::fill_n(out, kBlockSize, 1.0f);
      widen(&halves[first], count, out);
      for (int i = 0; i < kBlockSize; ++i) {
        const float want = i < count ? HalfToFloat(halves[first + i]) : 0.0f;
        if (std::isnan(want)) {
          ASSERT_TRUE(std::isnan(out[i])) << first + i;
        } else {
          // Bit for bit (the sign of zero too).
          ASSERT_EQ(std::signbit(out[i]), std::signbit(want)) << first + i;
          ASSERT_EQ(out[i], want) << first + i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tqdb::scan
