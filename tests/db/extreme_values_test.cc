// Extreme but finite floats, through a real collection: inputs whose squared norm overflows
// float or whose norm underflows are refused with InvalidArgument; everything inside the bounds
// (index/vector_checks.h) scores finite under every metric, with and without re-ranking, and no
// stored vector ever drops out of a search that asks for all of them.
#include <cmath>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "index/vector_checks.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kDim = 100;
constexpr int kCount = 101;

std::vector<float> Filled(float value) { return std::vector<float>(kDim, value); }

// A random direction scaled to `norm`.
std::vector<float> WithNorm(double norm, uint64_t seed) {
  std::vector<float> v = testing::RandomUnitVectors(1, kDim, seed);
  for (float& x : v) x = static_cast<float>(x * norm);
  return v;
}

std::unique_ptr<Database> OpenDb(const std::string& path) {
  auto db = Database::Open(path);
  EXPECT_TRUE(db.ok()) << db.status();
  return std::move(*db);
}

class ExtremeValuesTest : public ::testing::TestWithParam<Metric> {};

TEST_P(ExtremeValuesTest, OverflowingAndUnderflowingInputsAreRefused) {
  testing::ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  auto collection = db->CreateCollection(MakeCollectionConfig("c", kDim, 4, GetParam()));
  ASSERT_TRUE(collection.ok()) << collection.status();
  const std::vector<float> good = WithNorm(1, 1);
  ASSERT_TRUE((*collection)->Upsert({1}, good, {}).ok());
  // The vectors of the report: each squared norm overflows, or the norm underflows, in float.
  for (const std::vector<float>& bad :
       {Filled(3e38f), Filled(1e20f), Filled(1e-40f), WithNorm(2 * kMaxVectorNorm, 2),
        WithNorm(kMinVectorNorm / 2, 3)}) {
    const absl::Status upserted = (*collection)->Upsert({2}, bad, {}).status();
    EXPECT_EQ(upserted.code(), absl::StatusCode::kInvalidArgument) << upserted;
    EXPECT_NE(upserted.message().find("norm"), std::string_view::npos) << upserted;
    SearchOptions options;
    const absl::Status searched = (*collection)->Search(bad, options).status();
    EXPECT_EQ(searched.code(), absl::StatusCode::kInvalidArgument) << searched;
  }
  // Nothing refused was stored, and the good vector is intact.
  EXPECT_EQ((*collection)->Describe().count, 1u);
  auto got = (*collection)->Get({1, 2}, true, false);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE((*got)[0].found);
  EXPECT_EQ((*got)[0].vector, good);
  EXPECT_FALSE((*got)[1].found);
}

TEST_P(ExtremeValuesTest, NormsAtTheBoundsScoreFiniteAndNeverDropAVector) {
  testing::ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  auto collection = db->CreateCollection(MakeCollectionConfig("c", kDim, 4, GetParam()));
  ASSERT_TRUE(collection.ok()) << collection.status();
  // Norms spread log-uniformly over the whole accepted range, both ends, and a zero vector.
  std::vector<uint64_t> ids;
  std::vector<float> vectors;
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> exponent(std::log10(kMinVectorNorm),
                                                  std::log10(kMaxVectorNorm));
  for (int i = 0; i < kCount; ++i) {
    double norm = std::pow(10.0, exponent(gen));
    if (i == 0) norm = kMaxVectorNorm * 0.999;
    if (i == 1) norm = kMinVectorNorm * 1.001;
    const std::vector<float> v = i == 2 ? Filled(0) : WithNorm(norm, 100 + i);
    ids.push_back(i);
    vectors.insert(vectors.end(), v.begin(), v.end());
  }
  ASSERT_TRUE((*collection)->Upsert(ids, vectors, {}).ok());

  for (const double query_norm : {1.0, kMaxVectorNorm * 0.999, kMinVectorNorm * 1.001}) {
    for (const bool rerank : {false, true}) {
      for (const bool reference_scan : {false, true}) {
        SearchOptions options;
        options.k = kCount;
        options.rerank = rerank;
        options.rerank_candidates = kCount;
        options.reference_scan = reference_scan;
        auto hits = (*collection)->Search(WithNorm(query_norm, 5), options);
        ASSERT_TRUE(hits.ok()) << hits.status();
        std::set<uint64_t> seen;
        for (const Record& hit : *hits) {
          EXPECT_TRUE(std::isfinite(hit.score))
              << "id " << hit.id << " scored " << hit.score << " (query norm " << query_norm
              << ", rerank " << rerank << ", reference " << reference_scan << ")";
          seen.insert(hit.id);
        }
        EXPECT_EQ(seen.size(), static_cast<size_t>(kCount))
            << "query norm " << query_norm << ", rerank " << rerank << ", reference "
            << reference_scan;
      }
    }
  }
}

// A squared distance is never negative, but its estimate |q|^2 + n^2 - 2 n <q, u> can round below
// zero when the query is a stored vector of a large norm (the report: [1e15, 0, 0, 0] scored
// -1.5e23; at d = 64 with norms near 8e12, 21 of 500 hits were negative). Re-rank gives 0.
TEST(ExtremeValuesL2Test, EstimatedDistancesAreNeverNegative) {
  testing::ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  for (const int dim : {4, 64}) {
    const std::string name = "l2_" + std::to_string(dim);
    auto collection = db->CreateCollection(MakeCollectionConfig(name, dim, 4, Metric::kL2));
    ASSERT_TRUE(collection.ok()) << collection.status();
    constexpr int kVectors = 500;
    std::vector<uint64_t> ids;
    std::vector<float> vectors;
    for (int i = 0; i < kVectors; ++i) {
      std::vector<float> v = testing::RandomUnitVectors(1, dim, 1000 + i);
      const double norm = i == 0 ? kMaxVectorNorm * 0.999 : 8e12 * (1 + 0.01 * (i % 7));
      for (float& x : v) x = static_cast<float>(x * norm);
      if (i == 0) std::fill(v.begin(), v.end(), 0.0f), v[0] = 1e15f * 0.999f;
      ids.push_back(i);
      vectors.insert(vectors.end(), v.begin(), v.end());
    }
    ASSERT_TRUE((*collection)->Upsert(ids, vectors, {}).ok());
    int negative = 0;
    for (int i = 0; i < kVectors; ++i) {
      SearchOptions options;
      options.k = 1;
      const std::vector<float> query(vectors.begin() + i * dim, vectors.begin() + (i + 1) * dim);
      auto hits = (*collection)->Search(query, options);
      ASSERT_TRUE(hits.ok()) << hits.status();
      ASSERT_FALSE(hits->empty());
      if ((*hits)[0].score < 0) ++negative;
    }
    EXPECT_EQ(negative, 0) << "d = " << dim << ": " << negative << " of " << kVectors
                           << " nearest hits had a negative squared distance";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryMetric, ExtremeValuesTest,
                         ::testing::Values(Metric::kCosine, Metric::kInnerProduct, Metric::kL2),
                         [](const ::testing::TestParamInfo<Metric>& info) {
                           return std::string(MetricName(info.param));
                         });

}  // namespace
}  // namespace tqdb
