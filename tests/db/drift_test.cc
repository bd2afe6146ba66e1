// A center and lists that follow the data (db/drift_sample.h, collection_recenter.cc): the
// reservoir sample is uniform and measures drift as the excess residual energy it is defined as;
// real GloVe vectors loaded in their file's order (sorted by word frequency) and shuffled give
// the same recall once the collection follows the data, where without it the ordered load
// loses; a re-centering stopped midway leaves the collection whole.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "db/drift_sample.h"
#include "gtest/gtest.h"
#include "index/vector_coder.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

TEST(DriftSampleTest, TheReservoirIsAUniformSampleOfEverythingOffered) {
  constexpr int kDim = 2;
  DriftSample sample(Metric::kL2, kDim, 2000);
  constexpr size_t kOffered = 100000;
  for (size_t first = 0; first < kOffered; first += 1000) {
    const std::vector<uint64_t> ids = IdRange(first, first + 1000);
    std::vector<float> rows;
    for (uint64_t id : ids) rows.insert(rows.end(), {static_cast<float>(id), 1.0f});
    sample.Add(ids, rows);
  }
  ASSERT_EQ(sample.size(), 2000u);
  // Each tenth of the offered ids holds about 200 of the sample's (5 standard deviations: 67).
  std::vector<int> tenths(10);
  for (uint64_t id : sample.ids()) ++tenths[id / (kOffered / 10)];
  for (int count : tenths) EXPECT_NEAR(count, 200, 67);
}

TEST(DriftSampleTest, CenterDriftIsTheExcessResidualEnergy) {
  constexpr int kDim = 50;
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  DriftSample sample(Metric::kL2, kDim, 4096);
  std::vector<float> rows;
  for (int i = 0; i < 4096 * kDim; ++i) rows.push_back(3.0f + normal(rng));
  sample.Add(IdRange(0, 4096), rows);
  // Unit variance per coordinate: mean |x - m|^2 = 50. A center off by 1 in every coordinate
  // adds 50: a drift of 1.
  std::vector<float> off(kDim, 4.0f), on(kDim, 3.0f);
  EXPECT_NEAR(sample.CenterDrift(off), 1.0, 0.05);
  EXPECT_NEAR(sample.CenterDrift(on), 0.0, 0.01);
  // Lists: one centroid at the mean leaves 50 of energy; adding a far one changes nothing.
  std::vector<float> lists = on;
  EXPECT_NEAR(sample.ListEnergy(lists), 50.0, 2.0);
  lists.insert(lists.end(), kDim, 100.0f);
  EXPECT_NEAR(sample.ListEnergy(lists), 50.0, 2.0);
}

TEST(DriftSampleTest, DeletedIdsLeaveAndReplacedOnesChangeInPlace) {
  DriftSample sample(Metric::kCosine, 2, 10);
  sample.Add(IdRange(0, 10), std::vector<float>(20, 1.0f));
  sample.Remove({3, 4, 99});
  EXPECT_EQ(sample.size(), 8u);
  // Rows are kept at unit length for cosine: a replaced id moves the mean.
  const std::vector<float> diagonal = {std::sqrt(0.5f), std::sqrt(0.5f)};
  EXPECT_NEAR(sample.CenterDrift(diagonal), 0.0, 1e-9);
  sample.Add(std::vector<uint64_t>{0}, std::vector<float>{1.0f, 0.0f});
  EXPECT_EQ(sample.size(), 8u);
  EXPECT_GT(sample.CenterDrift(diagonal), 0.0);
}

// The exact top 10 of the fixture's last 1,000 rows among its first 9,000 (cosine).
const std::vector<std::vector<uint64_t>>& Truth() {
  static const auto* truth = [] {
    const DenseDataset& glove = testing::GloveFixture();
    auto* result = new std::vector<std::vector<uint64_t>>;
    for (size_t q = 9000; q < 10000; ++q) {
      result->push_back(
          testing::ExactTopCosine(glove.values.data(), 9000, glove.dim, glove.row(q), 10));
    }
    return result;
  }();
  return *truth;
}

// Recall@10@10 of the fixture's last 1,000 rows over `order` (rows of the fixture's first 9,000)
// loaded in batches of 500, each followed by the background jobs it started.
double LoadAndMeasure(Database* db, const std::vector<uint64_t>& order, int bits,
                      uint64_t partition_at) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  CollectionConfig config = MakeCollectionConfig("drift", d, bits);
  config.partition_at = partition_at;
  config.durability = Durability::kGroupCommit;
  std::shared_ptr<Collection> collection = *db->CreateCollection(config);
  auto settle = [&] {
    for (int i = 0; i < 3000; ++i) {
      const CollectionInfo info = collection->Describe();
      if (!info.background_jobs) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "a background job did not finish";
  };
  std::vector<float> rows;
  for (size_t first = 0; first < order.size(); first += 500) {
    const auto ids = absl::MakeConstSpan(order).subspan(first, 500);
    rows.clear();
    for (uint64_t id : ids) rows.insert(rows.end(), glove.row(id), glove.row(id) + d);
    EXPECT_TRUE(collection->Upsert(ids, rows).ok());
    settle();
  }
  size_t found = 0;
  SearchOptions options;
  options.k = 10;
  for (size_t q = 0; q < 1000; ++q) {
    const std::vector<uint64_t>& truth = Truth()[q];
    const auto query = absl::MakeConstSpan(glove.row(9000 + q), d);
    const absl::StatusOr<std::vector<Record>> hits = collection->Search(query, options);
    EXPECT_TRUE(hits.ok()) << hits.status();
    if (!hits.ok()) continue;
    for (const Record& hit : *hits) found += std::count(truth.begin(), truth.end(), hit.id);
  }
  EXPECT_TRUE(db->DropCollection("drift").ok());
  return static_cast<double>(found) / 10000.0;
}

std::unique_ptr<Database> OpenDb(const std::string& path, bool follow) {
  DatabaseOptions options;
  options.background_partitioning = follow;
  return *Database::Open(path, options);
}

// Files are sorted: GloVe by word frequency, catalogues by category, logs by time. The fixture's
// 9,000 rows sorted along the direction they differ most stand for such a file (the fixture alone
// is the 10,000 most frequent words, too alike for their frequency order to show): loaded in that
// order, a center (or lists) fitted to the first vectors leaves the later ones' codes worse than a
// shuffled load's; following the data, the two agree.
TEST(DriftTest, AnOrderedLoadAndAShuffledOneGiveTheSameRecall) {
  ScopedTempDir dir;
  // The direction the rows differ most along (the first principal component of the unit
  // rows, by power iteration), and each row's place along it.
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  std::vector<double> unit(9000 * d), mean(d), direction(d, 1.0), along(9000);
  for (size_t i = 0; i < 9000; ++i) {
    double norm = 0;
    for (int j = 0; j < d; ++j) norm += double{glove.row(i)[j]} * glove.row(i)[j];
    for (int j = 0; j < d; ++j) unit[i * d + j] = glove.row(i)[j] / std::sqrt(norm);
    for (int j = 0; j < d; ++j) mean[j] += unit[i * d + j] / 9000;
  }
  for (int iteration = 0; iteration < 50; ++iteration) {
    std::vector<double> next(d);
    for (size_t i = 0; i < 9000; ++i) {
      double dot = 0;
      for (int j = 0; j < d; ++j) dot += (unit[i * d + j] - mean[j]) * direction[j];
      for (int j = 0; j < d; ++j) next[j] += dot * (unit[i * d + j] - mean[j]);
    }
    double norm = 0;
    for (double x : next) norm += x * x;
    for (int j = 0; j < d; ++j) direction[j] = next[j] / std::sqrt(norm);
  }
  for (size_t i = 0; i < 9000; ++i) {
    for (int j = 0; j < d; ++j) along[i] += unit[i * d + j] * direction[j];
  }
  std::vector<uint64_t> ordered = IdRange(0, 9000), shuffled = ordered;
  std::sort(ordered.begin(), ordered.end(),
            [&](uint64_t a, uint64_t b) { return along[a] < along[b]; });
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(29));
  struct Layout {
    const char* name;
    uint64_t partition_at;  // 0: flat throughout
  };
  double largest_gap = 0;
  for (const Layout layout : {Layout{"flat", 0}, Layout{"partitioned", 2000}}) {
    for (const int bits : {2, 4}) {
      SCOPED_TRACE(absl::StrCat(layout.name, ", ", bits, " bits"));
      auto db = OpenDb(dir.path() + "/follow", /*follow=*/true);
      const double in_order = LoadAndMeasure(db.get(), ordered, bits, layout.partition_at);
      const double at_random = LoadAndMeasure(db.get(), shuffled, bits, layout.partition_at);
      EXPECT_NEAR(in_order, at_random, 0.01);
      std::printf("%s, %d bits: file order %.4f, shuffled %.4f\n", layout.name, bits, in_order,
                  at_random);
      largest_gap = std::max(largest_gap, std::abs(in_order - at_random));
    }
  }
  // Without following (a center and lists fitted once), the ordered load loses more.
  auto still = OpenDb(dir.path() + "/still", /*follow=*/false);
  const double fixed_center = LoadAndMeasure(still.get(), ordered, 2, 0);
  auto follow = OpenDb(dir.path() + "/follow2", /*follow=*/true);
  const double moving_center = LoadAndMeasure(follow.get(), ordered, 2, 0);
  std::printf("flat, 2 bits, file order: center fixed %.4f, following %.4f\n", fixed_center,
              moving_center);
  EXPECT_GT(moving_center - fixed_center, largest_gap)
      << "fixed " << fixed_center << ", following " << moving_center;
}

// Background jobs stopped by closing the database (at whatever point they have reached) leave
// the collection whole: a re-centering writes nothing before its switch, one atomic write.
TEST(DriftTest, JobsStoppedByClosingLeaveTheCollectionWhole) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  for (const int pause_ms : {0, 2, 5, 20}) {
    SCOPED_TRACE(absl::StrCat("closed ", pause_ms, " ms after the last write"));
    ScopedTempDir dir;
    size_t stored = 0;
    {
      auto db = OpenDb(dir.path(), /*follow=*/true);
      CollectionConfig config = MakeCollectionConfig("words", d, 4);
      config.partition_at = 0;
      auto collection = *db->CreateCollection(config);
      // In file order, in growing batches: each check finds the center behind.
      for (size_t first = 0; first < 9000; first += 1500) {
        const std::vector<uint64_t> ids = IdRange(first, first + 1500);
        ASSERT_TRUE(
            collection->Upsert(ids, absl::MakeConstSpan(glove.values).subspan(first * d, 1500 * d))
                .ok());
        stored = first + 1500;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }  // the collection's destructor stops its job and waits for it
    auto db = OpenDb(dir.path(), /*follow=*/false);
    auto collection = *db->GetCollection("words");
    EXPECT_EQ(collection->Describe().count, stored);
    const std::vector<uint64_t> ids = IdRange(0, stored);
    const auto records = *collection->Get(ids, /*with_vectors=*/true, /*with_payloads=*/false);
    for (size_t i = 0; i < ids.size(); i += 97) {
      ASSERT_TRUE(records[i].found) << i;
      EXPECT_EQ(records[i].vector, std::vector<float>(glove.row(i), glove.row(i) + d));
    }
    SearchOptions options;
    options.k = 1;
    for (const uint64_t id : {0, 4321, 8999}) {
      EXPECT_EQ((*collection->Search(absl::MakeConstSpan(glove.row(id), d), options))[0].id, id);
    }
  }
}

}  // namespace
}  // namespace tqdb
