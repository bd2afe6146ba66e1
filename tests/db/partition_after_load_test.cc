// A partitioning waits out a bulk load (DatabaseOptions::partition_load_window): the gauge that
// tells a load from steady writes, and collections on a real RocksDB directory loaded with the
// GloVe fixture, fast (partitioned once, after the load) and slowly (partitioned meanwhile).
#include <chrono>
#include <thread>

#include "db/growth_gauge.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/collection.h"
#include "tqdb/database.h"
#include "tqdb/ivf_index.h"

namespace tqdb {
namespace {

using std::chrono::milliseconds;
using ::tqdb::testing::GloveFixture;
using ::tqdb::testing::ScopedTempDir;
using Clock = GrowthGauge::Clock;

TEST(GrowthGaugeTest, CountsTheLastWindowAndForgetsOlderOnes) {
  GrowthGauge gauge(milliseconds(1000));
  const Clock::time_point t0 = Clock::now();
  gauge.Note(100, t0);
  gauge.Note(50, t0 + milliseconds(400));
  EXPECT_EQ(gauge.Recent(t0 + milliseconds(900)), 150u);
  // A new window began at 1,000 ms: the rows before it still count for one more window.
  gauge.Note(7, t0 + milliseconds(1000));
  EXPECT_EQ(gauge.Recent(t0 + milliseconds(1500)), 157u);
  EXPECT_EQ(gauge.Recent(t0 + milliseconds(2100)), 7u);  // the 150 are 1.7-2.1 s old
  EXPECT_EQ(gauge.Recent(t0 + milliseconds(5000)), 0u);  // 7 is four seconds old
}

TEST(GrowthGaugeTest, ALongPauseForgetsEverything) {
  GrowthGauge gauge(milliseconds(100));
  const Clock::time_point t0 = Clock::now();
  gauge.Note(1000, t0);
  gauge.Note(1, t0 + milliseconds(250));  // past two windows: the 1,000 are dropped
  EXPECT_EQ(gauge.Recent(t0 + milliseconds(260)), 1u);
}

class PartitionAfterLoadTest : public ::testing::Test {
 protected:
  // A database with this load window and, in it, a collection partitioned past 1,000 vectors
  // (null when either cannot be made).
  Collection* Create(milliseconds window) {
    DatabaseOptions options;
    options.follow_drift = false;  // only the partitionings the growth asks for
    options.partition_load_window = window;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.path(), options);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return nullptr;
    db_ = *std::move(db);
    absl::StatusOr<std::shared_ptr<Collection>> created = db_->CreateCollection(Config());
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return nullptr;
    collection_ = *std::move(created);
    return collection_.get();
  }

  static CollectionConfig Config() {
    CollectionConfig config = MakeCollectionConfig("glove", GloveFixture().dim, 4);
    config.partition_at = 1000;
    return config;
  }

  // Upserts fixture rows [begin, end), ids = row numbers.
  static void Upsert(Collection& collection, size_t begin, size_t end) {
    const size_t d = GloveFixture().dim;
    std::vector<uint64_t> ids;
    for (size_t i = begin; i < end; ++i) ids.push_back(i);
    const absl::Status status =
        collection
            .Upsert(ids,
                    absl::MakeConstSpan(GloveFixture().values).subspan(begin * d, ids.size() * d))
            .status();
    ASSERT_TRUE(status.ok()) << status;
  }

  // Waits up to `limit` for a partitioning to be in place, calling `meanwhile` between looks.
  static CollectionInfo WaitForPartitioned(const Collection& collection, std::chrono::seconds limit,
                                           const std::function<void()>& meanwhile) {
    const auto give_up = Clock::now() + limit;
    CollectionInfo info = collection.Describe();
    while ((info.partitioning == 0 || info.repartitioning) && Clock::now() < give_up) {
      meanwhile();
      info = collection.Describe();
    }
    return info;
  }

  ScopedTempDir dir_;
  std::unique_ptr<Database> db_;
  std::shared_ptr<Collection> collection_;
};

TEST_F(PartitionAfterLoadTest, ABulkLoadIsPartitionedOnceAfterItEnds) {
  Collection* created = Create(milliseconds(2000));
  ASSERT_NE(created, nullptr);
  Collection& collection = *created;
  // Batches of 500 rows, each more than 1% of the collection: a load from first to last. Begun
  // during it, a partitioning at 1,000 rows and a re-training at 4,000 would follow.
  const size_t n = GloveFixture().count;
  for (size_t first = 0; first + 500 <= n; first += 500) {
    Upsert(collection, first, first + 500);
    const CollectionInfo info = collection.Describe();
    ASSERT_EQ(info.partitioning, 0u) << "partitioned during the load, at " << first + 500;
    ASSERT_FALSE(info.repartitioning) << "began partitioning during the load, at " << first + 500;
  }
  const CollectionInfo info = WaitForPartitioned(
      collection, std::chrono::seconds(60), [] { std::this_thread::sleep_for(milliseconds(20)); });
  EXPECT_EQ(info.partitioning, 1u) << "one partitioning, of the whole load";
  EXPECT_EQ(info.list_sizes.size(), DefaultListCount(n));
  EXPECT_EQ(info.count, n);
  // Nothing more to do: the next partitioning is for four times as many vectors.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(collection.Describe().partitioning, 1u);
  const std::vector<float> query(GloveFixture().values.begin(),
                                 GloveFixture().values.begin() + GloveFixture().dim);
  SearchOptions options;
  options.rerank = true;  // exact scores: a stored vector is its own best match
  absl::StatusOr<std::vector<Record>> found = collection.Search(query, options);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_FALSE(found->empty());
  EXPECT_EQ(found->front().id, 0u);  // row 0 finds itself
}

TEST_F(PartitionAfterLoadTest, SteadyWritesDoNotHoldOffPartitioning) {
  Collection* created = Create(milliseconds(250));
  ASSERT_NE(created, nullptr);
  Collection& collection = *created;
  Upsert(collection, 0, 1000);
  // One row every 200 ms: at most 4 rows in three windows, under 1% of 1,000.
  size_t next = 1000;
  const CollectionInfo info = WaitForPartitioned(collection, std::chrono::seconds(60), [&] {
    Upsert(collection, next, next + 1);
    ++next;
    std::this_thread::sleep_for(milliseconds(200));
  });
  EXPECT_EQ(info.partitioning, 1u) << "still flat after " << next - 1000 << " steady writes";
  EXPECT_LT(next, 1000u + 50) << "partitioning waited " << next - 1000 << " writes";
}

}  // namespace
}  // namespace tqdb
