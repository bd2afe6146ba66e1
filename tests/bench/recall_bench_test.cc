// The pieces of bench/recall that decide what its tables say: recall arithmetic, the cached
// FAISS ground truth, and the padded column layout that gives FAISS PQ exact byte budgets.
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "faiss_methods.h"
#include "ground_truth.h"
#include "ground_truth_cache.h"
#include "gtest/gtest.h"
#include "recall_metrics.h"
#include "test_util.h"

namespace tqdb::bench {
namespace {

TEST(RecallMetricsTest, RecallAtOneAndAtTen) {
  // Two queries, k = 64 results each; query 0 finds its nearest at rank 3 (0-based 2), query 1
  // never finds it.
  std::vector<int64_t> labels(2 * 64, -1);
  std::vector<std::vector<int64_t>> truth(2);
  for (int i = 0; i < 10; ++i) truth[0].push_back(100 + i), truth[1].push_back(200 + i);
  labels[0] = 105;
  labels[1] = 999;
  labels[2] = 100;  // nearest at rank 3
  labels[3] = 101;
  labels[64] = 201;  // query 1: 2 of its top 10, not the nearest
  labels[64 + 9] = 209;
  labels[64 + 10] = 200;  // rank 11: outside the top 10, inside the top 16
  const Recall recall = ComputeRecall(labels, 64, truth);
  EXPECT_DOUBLE_EQ(recall.at1[0], 0.0);  // @1
  EXPECT_DOUBLE_EQ(recall.at1[1], 0.0);  // @2
  EXPECT_DOUBLE_EQ(recall.at1[2], 0.5);  // @4
  EXPECT_DOUBLE_EQ(recall.at1[3], 0.5);  // @8
  EXPECT_DOUBLE_EQ(recall.at1[4], 1.0);  // @16
  EXPECT_DOUBLE_EQ(recall.at10, (3 + 2) / 20.0);
}

TEST(FaissLayoutTest, SpreadColumnsUsesEveryColumnOnceAndBalancesSubspaces) {
  for (auto [dim, m] : {std::pair{100, 26}, {100, 13}, {100, 38}, {7, 3}, {1536, 1000}}) {
    const std::vector<int> columns = SpreadColumns(dim, m);
    const int width = (dim + m - 1) / m;
    ASSERT_EQ(columns.size(), static_cast<size_t>(m * width));
    std::vector<int> seen;
    for (int s = 0; s < m; ++s) {
      int real = 0;
      for (int j = 0; j < width; ++j) {
        if (columns[s * width + j] >= 0) ++real, seen.push_back(columns[s * width + j]);
      }
      EXPECT_GE(real, dim / m) << dim << " " << m;
      EXPECT_LE(real, (dim + m - 1) / m);
    }
    ASSERT_EQ(seen.size(), static_cast<size_t>(dim));
    for (int i = 0; i < dim; ++i) EXPECT_EQ(seen[i], i);  // in order, each once
  }
}

std::vector<float> RandomRows(size_t n, int d, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> rows(n * d);
  for (float& v : rows) v = normal(random);
  return rows;
}

TEST(GroundTruthCacheTest, MatchesBruteForceAndIsReusedUntilTheDataChanges) {
  testing::ScopedTempDir dir;
  const int d = 16, k = 10;
  const size_t n = 700, nq = 25;
  std::vector<float> base = RandomRows(n, d, 1), queries = RandomRows(nq, d, 2);
  const auto expected = ExactTopKByInnerProduct(base.data(), n, queries.data(), nq, d, k);

  absl::StatusOr<GroundTruth> first = CachedExactTopK(
      base.data(), n, queries.data(), nq, d, k, TruthMetric::kInnerProduct, dir.path(), "set");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->from_cache);
  ASSERT_TRUE(std::filesystem::exists(first->cache_path));
  for (size_t q = 0; q < nq; ++q) {
    EXPECT_EQ(std::vector<int64_t>(expected[q].begin(), expected[q].end()), first->ids[q]);
  }
  absl::StatusOr<GroundTruth> again = CachedExactTopK(
      base.data(), n, queries.data(), nq, d, k, TruthMetric::kInnerProduct, dir.path(), "set");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->ids, first->ids);

  // One changed value: another key, computed afresh.
  base[123] += 1;
  absl::StatusOr<GroundTruth> changed = CachedExactTopK(
      base.data(), n, queries.data(), nq, d, k, TruthMetric::kInnerProduct, dir.path(), "set");
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->from_cache);
  EXPECT_NE(changed->cache_path, first->cache_path);

  // A damaged cache file is recomputed, not trusted.
  std::ofstream(first->cache_path, std::ios::binary | std::ios::trunc) << "garbage";
  base[123] -= 1;
  absl::StatusOr<GroundTruth> repaired = CachedExactTopK(
      base.data(), n, queries.data(), nq, d, k, TruthMetric::kInnerProduct, dir.path(), "set");
  ASSERT_TRUE(repaired.ok());
  EXPECT_FALSE(repaired->from_cache);
  EXPECT_EQ(repaired->ids, first->ids);
}

TEST(GroundTruthCacheTest, L2NeighboursAreTheClosest) {
  testing::ScopedTempDir dir;
  const int d = 8;
  const size_t n = 300, nq = 5;
  const std::vector<float> base = RandomRows(n, d, 3), queries = RandomRows(nq, d, 4);
  absl::StatusOr<GroundTruth> truth =
      CachedExactTopK(base.data(), n, queries.data(), nq, d, 3, TruthMetric::kL2, dir.path(), "l2");
  ASSERT_TRUE(truth.ok());
  for (size_t q = 0; q < nq; ++q) {
    std::vector<std::pair<float, int64_t>> all;
    for (size_t i = 0; i < n; ++i) {
      float s = 0;
      for (int j = 0; j < d; ++j) {
        const float diff = base[i * d + j] - queries[q * d + j];
        s += diff * diff;
      }
      all.emplace_back(s, i);
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(truth->ids[q], (std::vector<int64_t>{all[0].second, all[1].second, all[2].second}));
  }
  EXPECT_FALSE(CachedExactTopK(base.data(), 0, queries.data(), nq, d, 3, TruthMetric::kL2,
                               dir.path(), "none")
                   .ok());
}

}  // namespace
}  // namespace tqdb::bench
