// Centering in a durable collection (docs/DESIGN.md, "Centering"): the automatic center is taken
// once, from the stored vectors and the batch that reaches kAutoCenterVectors, re-encoding the
// earlier vectors without changing any id, payload or float; it survives a restart; a given
// center is kept as given; the layouts that cannot be centered are refused.
#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "index/vector_coder.h"
#include "stored_code_check.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

// Without background jobs: these tests follow the center step by step (drift_test has the
// center that follows the data on its own).
std::unique_ptr<Database> OpenDb(const std::string& path, size_t catch_up_under_lock = 4096) {
  DatabaseOptions options;
  options.background_partitioning = false;
  options.job_catch_up_under_lock = catch_up_under_lock;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

std::vector<std::string> Payloads(absl::Span<const uint64_t> ids) {
  std::vector<std::string> payloads;
  for (uint64_t id : ids) payloads.push_back(absl::StrCat("payload ", id));
  return payloads;
}

// Every id's record is its fixture row and payload, and its stored code is that row encoded
// relative to the collection's current center.
void ExpectHolds(const Collection& collection, absl::Span<const uint64_t> ids) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  ASSERT_EQ(collection.Describe().count, ids.size());
  const testing::StoredCodeCheck stored_codes(collection);
  auto records = *collection.Get(ids, /*with_vectors=*/true, /*with_payloads=*/true);
  for (size_t i = 0; i < ids.size(); ++i) {
    const float* row = &glove.values[ids[i] * d];
    ASSERT_TRUE(records[i].found) << ids[i];
    ASSERT_EQ(records[i].vector, std::vector<float>(row, row + d)) << ids[i];
    ASSERT_EQ(records[i].payload, absl::StrCat("payload ", ids[i]));
    ASSERT_TRUE(stored_codes.Matches(ids[i], row));
  }
}

TEST(CenteringTest, AutoCenterIsTakenOnceReencodesAndSurvivesRestart) {
  ScopedTempDir dir;
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  const std::vector<uint64_t> first = IdRange(0, 600), second = IdRange(500, 1200);
  const std::vector<uint64_t> all = IdRange(0, 1200);
  std::vector<float> expected_center;
  {
    auto db = OpenDb(dir.path());
    const CollectionConfig config = MakeCollectionConfig("words", d, 2);
    ASSERT_EQ(config.centering, Centering::kAuto);
    auto collection = *db->CreateCollection(config);
    ASSERT_TRUE(
        collection->Upsert(first, absl::MakeConstSpan(glove.values).first(600 * d), Payloads(first))
            .ok());
    EXPECT_TRUE(collection->Describe().center.empty()) << "600 vectors: not yet";
    ExpectHolds(*collection, first);
    // 600 stored + 700 in the batch (100 of them replacing stored ids) reach 1,000.
    auto result = collection->Upsert(
        second, absl::MakeConstSpan(glove.values).subspan(500 * d, 700 * d), Payloads(second));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->inserted, 600u);
    EXPECT_EQ(result->replaced, 100u);
    expected_center = MeanCenter(Metric::kCosine, glove.values.data(), 1200, d);
    EXPECT_EQ(collection->Describe().center, expected_center);
    ExpectHolds(*collection, all);
    // The center is taken once: later upserts encode against it.
    const std::vector<uint64_t> more = IdRange(1200, 1300);
    ASSERT_TRUE(collection
                    ->Upsert(more, absl::MakeConstSpan(glove.values).subspan(1200 * d, 100 * d),
                             Payloads(more))
                    .ok());
    EXPECT_EQ(collection->Describe().center, expected_center);
    EXPECT_TRUE(collection->config().center.empty()) << "config() shows only a given center";
  }
  auto db = OpenDb(dir.path());
  auto collection = *db->GetCollection("words");
  EXPECT_EQ(collection->Describe().center, expected_center);
  ExpectHolds(*collection, IdRange(0, 1300));
  // A centered collection finds a vector's own id first.
  SearchOptions options;
  options.k = 1;
  for (uint64_t id : {3, 700, 1250}) {
    auto hits = *collection->Search(absl::MakeConstSpan(&glove.values[id * d], d), options);
    EXPECT_EQ(hits[0].id, id);
  }
}

TEST(CenteringTest, RecenterMeasuresDriftAndReencodesWithoutChangingRecords) {
  ScopedTempDir dir;
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  // Centered on rows 0..1199; then rows 0..599 leave and 2000..2999 arrive.
  const std::vector<uint64_t> first = IdRange(0, 1200), later = IdRange(2000, 3000);
  std::vector<uint64_t> stored = IdRange(600, 1200);
  stored.insert(stored.end(), later.begin(), later.end());
  std::vector<float> stored_rows;
  for (uint64_t id : stored) {
    stored_rows.insert(stored_rows.end(), &glove.values[id * d], &glove.values[(id + 1) * d]);
  }
  const std::vector<float> mean = MeanCenter(Metric::kCosine, stored_rows.data(), stored.size(), d);
  {
    auto db = OpenDb(dir.path());
    auto collection = *db->CreateCollection(MakeCollectionConfig("words", d, 3));
    ASSERT_TRUE(
        collection
            ->Upsert(first, absl::MakeConstSpan(glove.values).first(1200 * d), Payloads(first))
            .ok());
    const std::vector<float> taken = collection->Describe().center;
    ASSERT_EQ(taken.size(), static_cast<size_t>(d));
    ASSERT_TRUE(collection->Delete(IdRange(0, 600)).ok());
    ASSERT_TRUE(collection
                    ->Upsert(later, absl::MakeConstSpan(glove.values).subspan(2000 * d, 1000 * d),
                             Payloads(later))
                    .ok());

    const RecenterResult dry = *collection->Recenter(/*dry_run=*/true);
    EXPECT_EQ(dry.old_center, taken);
    EXPECT_EQ(dry.new_center, mean);
    double drift_sq = 0;
    for (int j = 0; j < d; ++j) drift_sq += std::pow(double{mean[j]} - taken[j], 2);
    EXPECT_NEAR(dry.drift, std::sqrt(drift_sq), 1e-6);
    EXPECT_GT(dry.drift, 0.01);
    EXPECT_EQ(dry.reencoded, 0u);
    EXPECT_EQ(collection->Describe().center, taken) << "a dry run changes nothing";

    const RecenterResult done = *collection->Recenter(/*dry_run=*/false);
    EXPECT_EQ(done.reencoded, stored.size());
    EXPECT_EQ(collection->Describe().center, mean);
    ExpectHolds(*collection, stored);
  }
  auto db = OpenDb(dir.path());
  auto collection = *db->GetCollection("words");
  EXPECT_EQ(collection->Describe().center, mean);
  ExpectHolds(*collection, stored);

  auto none_config = MakeCollectionConfig("plain", d, 2);
  none_config.centering = Centering::kNone;
  auto plain = *db->CreateCollection(none_config);
  EXPECT_EQ(plain->Recenter(true).status().code(), absl::StatusCode::kFailedPrecondition);
  auto empty = *db->CreateCollection(MakeCollectionConfig("empty", d, 2));
  EXPECT_EQ(empty->Recenter(true).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CenteringTest, WithoutStoredFloatsOnlyALargeFirstBatchIsCentered) {
  ScopedTempDir dir;
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  auto db = OpenDb(dir.path());
  CollectionConfig config = MakeCollectionConfig("bulk", d, 2);
  config.store_vectors = false;
  auto bulk = *db->CreateCollection(config);
  ASSERT_TRUE(
      bulk->Upsert(IdRange(0, 1000), absl::MakeConstSpan(glove.values).first(1000 * d)).ok());
  EXPECT_EQ(bulk->Describe().center, MeanCenter(Metric::kCosine, glove.values.data(), 1000, d));

  config.name = "trickle";
  auto trickle = *db->CreateCollection(config);
  ASSERT_TRUE(
      trickle->Upsert(IdRange(0, 10), absl::MakeConstSpan(glove.values).first(10 * d)).ok());
  ASSERT_TRUE(
      trickle
          ->Upsert(IdRange(10, 1010), absl::MakeConstSpan(glove.values).subspan(10 * d, 1000 * d))
          .ok());
  EXPECT_TRUE(trickle->Describe().center.empty()) << "10 codes could not be re-encoded";
}

TEST(CenteringTest, GivenCenterIsKeptAndLayoutsThatCannotBeCenteredAreRefused) {
  ScopedTempDir dir;
  const int d = 4;
  auto db = OpenDb(dir.path());
  CollectionSpec spec;
  spec.name = "given";
  spec.dim = d;
  spec.bits = 2;
  spec.metric = Metric::kL2;
  spec.center = {0.5f, -1, 0.25f, 3};
  const CollectionConfig config = *ResolveCollectionConfig(spec);
  EXPECT_EQ(config.centering, Centering::kFixed);
  ASSERT_TRUE(db->CreateCollection(config).ok());
  // Another center is another layout.
  CollectionConfig other = config;
  other.center[0] = 0.75f;
  EXPECT_EQ(db->CreateCollection(other, /*if_not_exists=*/true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(db->CreateCollection(config, /*if_not_exists=*/true).ok());
  db.reset();
  db = OpenDb(dir.path());
  auto given = *db->GetCollection("given");
  EXPECT_EQ(given->config().center, spec.center);
  EXPECT_EQ(given->Describe().center, spec.center);

  CollectionConfig ip = MakeCollectionConfig("ip", d, 2, Metric::kInnerProduct);
  EXPECT_EQ(ip.centering, Centering::kNone);
  ip.centering = Centering::kAuto;
  EXPECT_EQ(db->CreateCollection(ip).status().code(), absl::StatusCode::kInvalidArgument);
  CollectionConfig short_center = config;
  short_center.name = "short";
  short_center.center.pop_back();
  EXPECT_EQ(db->CreateCollection(short_center).status().code(), absl::StatusCode::kInvalidArgument);
  CollectionConfig nan_center = config;
  nan_center.name = "nan";
  nan_center.center[1] = std::nanf("");
  EXPECT_EQ(db->CreateCollection(nan_center).status().code(), absl::StatusCode::kInvalidArgument);
}

// Writes, replacements and deletes while a re-centering runs all end up in the result, encoded
// against the new center, and survive a restart: taken in by the switch under the write lock
// (a few), or by the job's rounds outside it (`catch_up_under_lock` 0: every one).
void WritesDuringARecenterAreTakenIn(size_t catch_up_under_lock) {
  const DenseDataset& glove = testing::GloveFixture();
  const int d = glove.dim;
  ScopedTempDir dir;
  auto db = OpenDb(dir.path(), catch_up_under_lock);
  CollectionConfig config = MakeCollectionConfig("words", d, 4);
  config.partition_at = 0;
  auto collection = *db->CreateCollection(config);
  const std::vector<uint64_t> first = IdRange(0, 5000);
  ASSERT_TRUE(
      collection
          ->Upsert(first, absl::MakeConstSpan(glove.values).subspan(0, 5000 * d), Payloads(first))
          .ok());
  // Ids are rows: a writer puts rows 5000.. and deletes some of the first ones, in rounds.
  std::set<uint64_t> expected(first.begin(), first.end());
  std::atomic<bool> done{false};
  std::atomic<int> rounds{0}, rounds_while_recentering{0};
  std::thread writer([&] {
    for (uint64_t round = 0; (!done.load() || round < 3) && round < 150; ++round) {
      const std::vector<uint64_t> put = IdRange(5000 + round * 20, 5000 + round * 20 + 20);
      ASSERT_TRUE(collection
                      ->Upsert(put, absl::MakeConstSpan(glove.values).subspan(put[0] * d, 20 * d),
                               Payloads(put))
                      .ok());
      const std::vector<uint64_t> gone = {round * 7 % 5000, (round * 7 + 3) % 5000};
      ASSERT_TRUE(collection->Delete(gone).ok());
      for (uint64_t id : put) expected.insert(id);
      for (uint64_t id : gone) expected.erase(id);
      ++rounds;
      if (collection->Describe().recentering) ++rounds_while_recentering;
    }
  });
  while (rounds.load() == 0) std::this_thread::yield();
  const absl::StatusOr<RecenterResult> recentered = collection->Recenter(/*dry_run=*/false);
  done = true;
  writer.join();
  ASSERT_TRUE(recentered.ok()) << recentered.status();
  std::printf("%d write rounds, %d while re-centering\n", rounds.load(),
              rounds_while_recentering.load());
  const std::vector<uint64_t> ids(expected.begin(), expected.end());
  ExpectHolds(*collection, ids);
  collection.reset();
  db.reset();
  db = OpenDb(dir.path());
  ExpectHolds(**db->GetCollection("words"), ids);
}

TEST(CenteringTest, WritesDuringARecenterAreTakenIn) {
  WritesDuringARecenterAreTakenIn(DatabaseOptions().job_catch_up_under_lock);
}

TEST(CenteringTest, WritesDuringARecenterTakenInByCatchUpRounds) {
  WritesDuringARecenterAreTakenIn(/*catch_up_under_lock=*/0);
}

}  // namespace
}  // namespace tqdb
