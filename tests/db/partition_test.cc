// Partitioned collections against a real RocksDB directory and real GloVe vectors: the switch from
// flat in the background, restart without re-training, nprobe, writes made during a re-partition,
// re-partitioning without floats, and bad input. (Kills during a re-partition:
// crash_recovery_test.)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "stored_code_check.h"
#include "test_util.h"
#include "tqdb/collection.h"
#include "tqdb/database.h"
#include "tqdb/ivf_index.h"
#include "tqdb/metric.h"

namespace tqdb {
namespace {

using ::tqdb::testing::GloveFixture;
using ::tqdb::testing::ScopedTempDir;

constexpr size_t kQueries = 100;
constexpr size_t kBatch = 1000;

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = GloveFixture().dim;
    n_ = GloveFixture().count - kQueries;
    testing::SplitGloveFixture(kQueries, &base_, &queries_);
  }

  // Partitioning as the count grows, without the drift jobs: the fixture's rows come in word
  // frequency order, and a re-training of drifted lists (drift_test) would move the partition
  // numbers these tests follow, at times that depend on the machine.
  std::unique_ptr<Database> Open() {
    DatabaseOptions options;
    options.follow_drift = false;
    options.job_catch_up_under_lock = catch_up_under_lock_;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.path(), options);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  CollectionConfig Config(uint64_t partition_at, bool store_vectors = true) const {
    CollectionConfig config = MakeCollectionConfig("glove", d_, 4);
    config.partition_at = partition_at;
    config.store_vectors = store_vectors;
    return config;
  }

  // Upserts base rows [begin, end) with ids = row numbers, in batches.
  void Load(Collection& collection, size_t begin, size_t end) {
    for (size_t first = begin; first < end; first += kBatch) {
      const size_t count = std::min(kBatch, end - first);
      std::vector<uint64_t> ids(count);
      for (size_t i = 0; i < count; ++i) ids[i] = first + i;
      ASSERT_TRUE(
          collection.Upsert(ids, absl::MakeConstSpan(base_).subspan(first * d_, count * d_)).ok());
    }
  }

  // The exact top-k ids by cosine among base rows [0, n).
  std::vector<uint64_t> ExactTop(const float* q, size_t n, int k) const {
    return testing::ExactTopCosine(base_.data(), n, d_, q, k);
  }

  // Mean recall@10 of the collection's searches against the exact top 10 of rows [0, n).
  double Recall(const Collection& collection, size_t n, const SearchOptions& options) const {
    size_t hits = 0;
    for (size_t q = 0; q < kQueries; ++q) {
      const float* query = &queries_[q * d_];
      absl::StatusOr<std::vector<Record>> found =
          collection.Search(absl::MakeConstSpan(query, d_), options);
      EXPECT_TRUE(found.ok()) << found.status();
      if (!found.ok()) return 0;
      const std::vector<uint64_t> exact = ExactTop(query, n, 10);
      for (const Record& r : *found) {
        hits += std::count(exact.begin(), exact.end(), r.id);
      }
    }
    return static_cast<double>(hits) / (kQueries * 10);
  }

  void WritesAndSearchesDuringARepartition(size_t catch_up_under_lock);

  // Waits (up to a minute) for the background partitioning to reach `partitioning`.
  static CollectionInfo WaitForPartitioning(const Collection& collection, uint64_t partitioning) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    CollectionInfo info = collection.Describe();
    while ((info.partitioning < partitioning || info.repartitioning) &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      info = collection.Describe();
    }
    return info;
  }

  // Writes made during a partitioning past this many are taken in outside the write lock.
  size_t catch_up_under_lock_ = DatabaseOptions().job_catch_up_under_lock;
  ScopedTempDir dir_;
  int d_ = 0;
  size_t n_ = 0;
  std::vector<float> base_, queries_;
};

// The write that takes an auto-centered collection's center (its first 1,000 vectors or more)
// also starts its background jobs: a collection loaded in one message past partition_at
// partitions without waiting for another write (it once stayed flat until one came).
TEST_F(PartitionTest, AFirstWritePastPartitionAtPartitionsWithoutAnotherWrite) {
  auto db = Open();
  auto collection = *db->CreateCollection(Config(/*partition_at=*/4000));
  ASSERT_EQ(collection->config().centering, Centering::kAuto);
  ASSERT_TRUE(collection->Upsert(testing::IdRange(0, n_), base_).ok());
  const CollectionInfo info = WaitForPartitioning(*collection, 1);
  EXPECT_EQ(info.partitioning, 1u);
  EXPECT_EQ(info.count, n_);
}

TEST_F(PartitionTest, PartitionsInTheBackgroundPastItsSizeAndRestartsWithoutRetraining) {
  SearchOptions options;
  options.k = 10;
  std::vector<std::vector<Record>> before;
  CollectionInfo info;
  {
    auto db = Open();
    auto collection = *db->CreateCollection(Config(/*partition_at=*/4000));
    Load(*collection, 0, 3000);
    EXPECT_EQ(collection->Describe().partitioning, 0u) << "partitioned below partition_at";
    const double flat_recall = Recall(*collection, 3000, options);
    Load(*collection, 3000, n_);
    info = WaitForPartitioning(*collection, 1);
    ASSERT_EQ(info.partitioning, 1u);
    EXPECT_FALSE(info.repartitioning);
    // About sqrt(n) lists when the job began (between 4,000 and n vectors), none empty.
    EXPECT_GE(info.list_sizes.size(), 60u);
    EXPECT_LE(info.list_sizes.size(), 100u);
    EXPECT_EQ(info.centroids.size(), info.list_sizes.size() * d_);
    size_t total = 0;
    for (size_t s : info.list_sizes) total += s;
    EXPECT_EQ(total, n_);
    EXPECT_EQ(info.count, n_);
    EXPECT_EQ(info.nprobe, 32);

    // Every list probed and re-ranked: at least the flat collection's recall at 3,000.
    options.nprobe = static_cast<int>(info.list_sizes.size());
    options.rerank = true;
    const double all_lists = Recall(*collection, n_, options);
    EXPECT_GE(all_lists, 0.95) << "flat recall at 3,000 was " << flat_recall;
    // The default nprobe (one list in 16, at least 32) re-ranked stays above a floor.
    options.nprobe = 0;
    EXPECT_GE(Recall(*collection, n_, options), 0.90);
    // More lists, no lower recall (same candidates plus more).
    SearchOptions one_list = options;
    one_list.nprobe = 1;
    EXPECT_LT(Recall(*collection, n_, one_list), Recall(*collection, n_, options));

    for (size_t q = 0; q < 20; ++q) {
      before.push_back(*collection->Search(absl::MakeConstSpan(&queries_[q * d_], d_), options));
    }
    const testing::StoredCodeCheck check(*collection);
    for (size_t i = 0; i < n_; i += 97) EXPECT_TRUE(check.Matches(i, &base_[i * d_]));
  }
  // Restart: the same centroids and lists, the same answers, no training.
  auto db = Open();
  auto collection = *db->GetCollection("glove");
  const CollectionInfo reopened = collection->Describe();
  EXPECT_EQ(reopened.partitioning, info.partitioning);
  // New partitions assign cosine lists by direction; the stored partitioning says so.
  EXPECT_TRUE(info.lists_by_direction);
  EXPECT_TRUE(reopened.lists_by_direction);
  EXPECT_EQ(reopened.centroids, info.centroids);
  EXPECT_EQ(reopened.list_sizes, info.list_sizes);
  for (size_t q = 0; q < 20; ++q) {
    const auto after = *collection->Search(absl::MakeConstSpan(&queries_[q * d_], d_), options);
    ASSERT_EQ(after.size(), before[q].size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].id, before[q][i].id);
      EXPECT_EQ(after[i].score, before[q][i].score);
    }
  }
}

// Writes, deletes and searches while a re-partition runs; every write is in the result, as
// stored, and survives a restart. `catch_up_under_lock`: see DatabaseOptions.
void PartitionTest::WritesAndSearchesDuringARepartition(size_t catch_up_under_lock) {
  catch_up_under_lock_ = catch_up_under_lock;
  auto db = Open();
  auto collection = *db->CreateCollection(Config(/*partition_at=*/0));
  Load(*collection, 0, 6000);
  ASSERT_TRUE(collection->Repartition(40).ok());
  // A writer replaces, deletes and inserts from before the second partitioning starts until it
  // has committed.
  absl::flat_hash_map<uint64_t, size_t> expected;  // id -> its base row
  for (uint64_t id = 0; id < 6000; ++id) expected[id] = id;
  std::atomic<bool> done{false};
  std::atomic<int> rounds{0}, rounds_while_partitioning{0};
  std::thread writer([&] {
    for (size_t round = 0; !done.load() || round < 5; ++round) {
      std::vector<uint64_t> replaced, deleted, inserted;
      std::vector<float> replaced_rows, inserted_rows;
      for (size_t i = 0; i < 20; ++i) {
        const size_t row = 6000 + (round * 20 + i) % 3800;  // rows the first 6,000 ids lack
        const uint64_t id = (round * 100 + i) % 6000;
        replaced.push_back(id);
        replaced_rows.insert(replaced_rows.end(), &base_[row * d_], &base_[(row + 1) * d_]);
        expected[id] = row;
        const uint64_t gone = (round * 100 + 50 + i) % 6000;
        deleted.push_back(gone);
        expected.erase(gone);
        const uint64_t fresh = 100000 + round * 20 + i;
        inserted.push_back(fresh);
        inserted_rows.insert(inserted_rows.end(), &base_[row * d_], &base_[(row + 1) * d_]);
        expected[fresh] = row;
      }
      ASSERT_TRUE(collection->Upsert(replaced, replaced_rows).ok());
      ASSERT_TRUE(collection->Delete(deleted).ok());
      ASSERT_TRUE(collection->Upsert(inserted, inserted_rows).ok());
      // Some fresh ids of the round before leave, and those that left a round ago come back:
      // ids written during the partitioning, then deleted, then new again.
      std::vector<uint64_t> leaving, back;
      std::vector<float> back_rows;
      for (size_t i = 0; i < 5 && round >= 1; ++i) {
        leaving.push_back(100000 + (round - 1) * 20 + i);
        expected.erase(leaving.back());
      }
      for (size_t i = 0; i < 5 && round >= 2; ++i) {
        const size_t row = 6000 + (round * 7 + i) % 3800;
        back.push_back(100000 + (round - 2) * 20 + i);
        back_rows.insert(back_rows.end(), &base_[row * d_], &base_[(row + 1) * d_]);
        expected[back.back()] = row;
      }
      if (!leaving.empty()) ASSERT_TRUE(collection->Delete(leaving).ok());
      if (!back.empty()) ASSERT_TRUE(collection->Upsert(back, back_rows).ok());
      ++rounds;
      if (collection->Describe().repartitioning) ++rounds_while_partitioning;
    }
  });
  // A reader searches all the while: id 5999 is never written again, so a re-ranked search for
  // its own vector finds it first, whichever index is in place.
  std::atomic<int> searches{0}, searches_while_partitioning{0};
  std::thread reader([&] {
    SearchOptions options;
    options.rerank = true;
    options.nprobe = 1000;  // every list of either partitioning
    while (!done.load()) {
      const auto hits = collection->Search(absl::MakeConstSpan(&base_[5999 * d_], d_), options);
      ASSERT_TRUE(hits.ok()) << hits.status();
      ASSERT_FALSE(hits->empty());
      EXPECT_EQ((*hits)[0].id, 5999u);
      ++searches;
      if (collection->Describe().repartitioning) ++searches_while_partitioning;
    }
  });
  while (rounds.load() == 0) std::this_thread::yield();
  const absl::Status repartitioned = collection->Repartition(60);
  done = true;
  writer.join();
  reader.join();
  EXPECT_GT(searches_while_partitioning.load(), 0) << "no search overlapped the partitioning";
  std::printf("%d searches, %d while partitioning\n", searches.load(),
              searches_while_partitioning.load());
  ASSERT_TRUE(repartitioned.ok()) << repartitioned;
  EXPECT_GT(rounds_while_partitioning.load(), 0) << "no write overlapped the partitioning";
  std::printf("%d write rounds, %d while partitioning\n", rounds.load(),
              rounds_while_partitioning.load());

  auto check_state = [&](const Collection& c) {
    const CollectionInfo info = c.Describe();
    EXPECT_EQ(info.partitioning, 2u);
    EXPECT_EQ(info.list_sizes.size(), 60u);
    EXPECT_EQ(info.count, expected.size());
    const testing::StoredCodeCheck check(c);
    std::vector<uint64_t> ids;
    for (const auto& [id, row] : expected) ids.push_back(id);
    const std::vector<Record> records = *c.Get(ids, /*with_vectors=*/true, false);
    for (const Record& r : records) {
      const float* row = &base_[expected.at(r.id) * d_];
      ASSERT_TRUE(r.found) << r.id;
      EXPECT_TRUE(std::equal(r.vector.begin(), r.vector.end(), row)) << r.id;
      EXPECT_TRUE(check.Matches(r.id, row));
    }
    for (uint64_t id = 0; id < 6000; ++id) {
      if (expected.contains(id)) continue;
      EXPECT_FALSE((*c.Get(std::vector<uint64_t>{id}, false, false))[0].found) << id;
    }
    for (uint64_t id = 100000; id < 100000 + rounds.load() * 20; ++id) {
      if (expected.contains(id)) continue;
      EXPECT_FALSE((*c.Get(std::vector<uint64_t>{id}, false, false))[0].found) << id;
    }
  };
  check_state(*collection);
  collection.reset();
  db.reset();
  db = Open();
  check_state(**db->GetCollection("glove"));
}

// 16-bit factors through the partitioned index's lists and their TQS4 segments: the same
// recall as 32-bit factors on real vectors, half the factor memory, the same answers after a
// restart. (The segments' 4 bytes less per entry are checked exactly by storage_codecs_test;
// bytes_on_disk, approximate and dominated by the float vectors, cannot show them.)
TEST_F(PartitionTest, CompactFactorsPartitionAndRestartWithTheSameAnswers) {
  SearchOptions options;
  options.k = 10;
  std::vector<std::vector<Record>> before;
  double recall[2] = {0, 0};
  {
    auto db = Open();
    for (const int factor_bits : {32, 16}) {
      CollectionConfig config = Config(/*partition_at=*/4000);
      config.name = factor_bits == 16 ? "compact" : "glove";
      config.quantizer.factor_bits = factor_bits;
      auto collection = *db->CreateCollection(config);
      // The rest only after the partitioning: rows it caught up with would grow the lists'
      // arrays in steps that depend on the machine's timing (CI once saw 0.76 of the floats').
      Load(*collection, 0, 4000);
      ASSERT_EQ(WaitForPartitioning(*collection, 1).partitioning, 1u);
      Load(*collection, 4000, n_);
      recall[factor_bits == 16] = Recall(*collection, n_, options);
    }
    const CollectionInfo full = (*db->GetCollection("glove"))->Describe();
    const CollectionInfo compact = (*db->GetCollection("compact"))->Describe();
    std::printf("factor bytes: 32-bit %zu, 16-bit %zu\n", size_t{full.memory.factors},
                size_t{compact.memory.factors});
    // Half, but for each small list's arrays rounding up to whole cache lines.
    EXPECT_LT(compact.memory.factors, 0.53 * full.memory.factors);
    for (size_t q = 0; q < kQueries; ++q) {
      before.push_back(*(*db->GetCollection("compact"))
                            ->Search(absl::MakeConstSpan(&queries_[q * d_], d_), options));
    }
  }
  std::printf("recall@10 with 32-bit factors %.3f, 16-bit %.3f\n", recall[0], recall[1]);
  EXPECT_NEAR(recall[1], recall[0], 0.01);
  auto db = Open();
  auto collection = *db->GetCollection("compact");
  EXPECT_EQ(collection->Describe().partitioning, 1u);
  EXPECT_EQ(collection->config().quantizer.factor_bits, 16);
  for (size_t q = 0; q < kQueries; ++q) {
    const std::vector<Record> after =
        *collection->Search(absl::MakeConstSpan(&queries_[q * d_], d_), options);
    ASSERT_EQ(after.size(), before[q].size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].id, before[q][i].id) << q;
      EXPECT_EQ(after[i].score, before[q][i].score) << q;
    }
  }
}

TEST_F(PartitionTest, WritesAndSearchesDuringARepartitionAreAllServed) {
  WritesAndSearchesDuringARepartition(DatabaseOptions().job_catch_up_under_lock);
}

// The same with every write made meanwhile taken in by the job's rounds outside the write lock
// (a bulk load's case), not by its commit.
TEST_F(PartitionTest, WritesTakenInByCatchUpRoundsAreAllServed) {
  WritesAndSearchesDuringARepartition(/*catch_up_under_lock=*/0);
}

TEST_F(PartitionTest, WithoutFloatsRepartitionsFromDecodedCodes) {
  auto db = Open();
  auto collection = *db->CreateCollection(Config(/*partition_at=*/0, /*store_vectors=*/false));
  Load(*collection, 0, n_);
  SearchOptions options;
  options.k = 10;
  const double flat = Recall(*collection, n_, options);
  ASSERT_TRUE(collection->Repartition(0).ok());
  const CollectionInfo info = collection->Describe();
  EXPECT_EQ(info.partitioning, 1u);
  EXPECT_EQ(info.count, n_);
  EXPECT_EQ(info.list_sizes.size(), DefaultListCount(n_));
  // Centroids from decoded vectors, codes re-encoded from them: recall over every list stays
  // near the flat scan's of the original codes (both estimate; no floats to re-rank with).
  options.nprobe = static_cast<int>(info.list_sizes.size());
  const double partitioned = Recall(*collection, n_, options);
  EXPECT_GE(partitioned, flat - 0.08) << "flat " << flat;
  std::printf("recall@10 without floats: flat %.3f, partitioned (all lists) %.3f\n", flat,
              partitioned);
}

TEST_F(PartitionTest, CenteringNoneKeepsPlainCodesInTheLists) {
  auto db = Open();
  CollectionConfig config = Config(/*partition_at=*/0);
  config.centering = Centering::kNone;
  auto collection = *db->CreateCollection(config);
  Load(*collection, 0, 2000);
  ASSERT_TRUE(collection->Repartition(8).ok());
  // Each stored code is the plain encoding of its vector (the check encodes without a center
  // when centering is none), in the list of its nearest centroid.
  const testing::StoredCodeCheck check(*collection);
  for (size_t i = 0; i < 2000; i += 37) EXPECT_TRUE(check.Matches(i, &base_[i * d_]));
}

TEST_F(PartitionTest, BadRequestsGetClearErrors) {
  auto db = Open();
  auto collection = *db->CreateCollection(Config(/*partition_at=*/0));
  Load(*collection, 0, 100);
  EXPECT_EQ(collection->Repartition(101).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(collection->Repartition(4).ok());
  SearchOptions options;
  options.nprobe = -1;
  EXPECT_EQ(collection->Search(absl::MakeConstSpan(queries_.data(), d_), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.nprobe = 1000;  // more than there are lists: every list
  EXPECT_TRUE(collection->Search(absl::MakeConstSpan(queries_.data(), d_), options).ok());
  EXPECT_EQ(collection->Recenter(false).status().code(), absl::StatusCode::kFailedPrecondition);
  // Upserts, deletes and compaction keep the lists.
  Load(*collection, 0, 200);
  ASSERT_TRUE(collection->Delete(std::vector<uint64_t>{1, 2, 3}).ok());
  ASSERT_TRUE(collection->Compact().ok());
  const CollectionInfo info = collection->Describe();
  EXPECT_EQ(info.count, 197u);
  EXPECT_EQ(info.list_sizes.size(), 4u);
  CollectionConfig bad = Config(0);
  bad.name = "bad";
  bad.nprobe = -2;
  EXPECT_EQ(db->CreateCollection(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tqdb
