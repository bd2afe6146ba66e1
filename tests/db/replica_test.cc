// Replicas fed the primary's write-ahead log (tqdb/replica.h, Database::ReadLog) against real
// RocksDB directories: a snapshot plus the shipped log opens as the same database (the same
// records, stored codes, partitioning and search answers, though background jobs ran only on the
// primary), writes apply in order and once, a log the primary no longer holds says to seed
// again, bulk writes of a primary that keeps its log go through it, and shipping keeps up with
// writers.
#include "tqdb/replica.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kDim = 100;  // the GloVe fixture

DatabaseOptions PrimaryOptions() {
  DatabaseOptions options;
  options.log_retention_seconds = 3600;
  options.log_retention_mb = 1024;
  return options;
}

// Ships everything the primary wrote since the replica's sequence, in reads of `max_bytes`.
// Returns the writes applied.
size_t Ship(const Database& primary, Replica* replica, size_t max_bytes = 64 << 10) {
  size_t applied = 0;
  while (true) {
    absl::StatusOr<std::vector<LoggedWrite>> writes =
        primary.ReadLog(replica->LatestSequence() + 1, max_bytes);
    EXPECT_TRUE(writes.ok()) << writes.status();
    if (!writes.ok() || writes->empty()) return applied;
    for (const LoggedWrite& write : *writes) {
      const absl::Status status = replica->Apply(write);
      EXPECT_TRUE(status.ok()) << status;
      if (!status.ok()) return applied;
      ++applied;
    }
  }
}

void WaitForJobs(const Collection& collection) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (collection.Describe().background_jobs && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(collection.Describe().background_jobs) << "the background jobs did not end";
}

std::vector<float> Rows(const DenseDataset& data, size_t begin, size_t end) {
  return std::vector<float>(data.row(begin), data.row(begin) + (end - begin) * data.dim);
}

std::vector<std::string> Payloads(const std::string& tag, uint64_t begin, uint64_t end) {
  std::vector<std::string> payloads;
  for (uint64_t id = begin; id < end; ++id) payloads.push_back(absl::StrCat(tag, id));
  return payloads;
}

// Everything a client can read of `name` is the same in both databases.
void ExpectSameCollection(const Database& a, const Database& b, const std::string& name,
                          uint64_t max_id) {
  auto left = *a.GetCollection(name);
  auto right = *b.GetCollection(name);
  const CollectionInfo li = left->Describe(), ri = right->Describe();
  EXPECT_EQ(li.count, ri.count);
  EXPECT_EQ(li.center, ri.center);
  EXPECT_EQ(li.partitioning, ri.partitioning);
  EXPECT_EQ(li.centroids, ri.centroids);
  EXPECT_EQ(li.list_sizes, ri.list_sizes);
  const std::vector<uint64_t> ids = testing::IdRange(0, max_id);
  testing::ExpectSameRecords(*left, *right, ids);
  for (uint64_t id = 0; id < max_id; id += 97) {
    const absl::StatusOr<StoredCode> lc = left->GetStoredCode(id), rc = right->GetStoredCode(id);
    ASSERT_EQ(lc.ok(), rc.ok()) << "id " << id;
    if (!lc.ok()) continue;  // deleted in both
    EXPECT_EQ(lc->code, rc->code) << "id " << id;
    EXPECT_EQ(lc->list, rc->list) << "id " << id;
  }
  const DenseDataset& glove = testing::GloveFixture();
  SearchOptions options;
  options.k = 10;
  for (size_t q = 9900; q < 9920; ++q) {
    const std::vector<float> query = Rows(glove, q, q + 1);
    auto lh = *left->Search(query, options);
    auto rh = *right->Search(query, options);
    ASSERT_EQ(lh.size(), rh.size());
    for (size_t i = 0; i < lh.size(); ++i) {
      EXPECT_EQ(lh[i].id, rh[i].id) << "query " << q << " rank " << i;
      EXPECT_EQ(lh[i].score, rh[i].score) << "query " << q << " rank " << i;
    }
  }
}

TEST(ReplicaTest, ASnapshotFedThePrimarysLogOpensAsTheSameDatabase) {
  testing::ScopedTempDir dir;
  const DenseDataset& glove = testing::GloveFixture();
  auto primary = *Database::Open(dir.path() + "/primary", PrimaryOptions());
  CollectionConfig config = MakeCollectionConfig("c", kDim, 4);
  config.partition_at = 4000;
  auto c = *primary->CreateCollection(config);
  ASSERT_TRUE(
      c->Upsert(testing::IdRange(0, 2000), Rows(glove, 0, 2000), Payloads("a", 0, 2000)).ok());
  ASSERT_TRUE(primary->Snapshot(dir.path() + "/replica").ok());
  auto replica = Replica::Open(dir.path() + "/replica", PrimaryOptions());
  ASSERT_TRUE(replica.ok()) << replica.status();

  // After the copy: loads that take the collection past partition_at (the partitioning runs on
  // the primary only), deletes, replaced payloads, a collection made and dropped.
  for (uint64_t begin = 2000; begin < 9000; begin += 500) {
    ASSERT_TRUE(c->Upsert(testing::IdRange(begin, begin + 500), Rows(glove, begin, begin + 500),
                          Payloads("a", begin, begin + 500))
                    .ok());
    if (begin == 4000) Ship(*primary, replica->get());  // shipped while the job may run
  }
  ASSERT_TRUE(c->Delete(testing::IdRange(100, 200)).ok());
  ASSERT_TRUE(
      c->Upsert(testing::IdRange(300, 350), Rows(glove, 300, 350), Payloads("b", 300, 350)).ok());
  ASSERT_TRUE(primary->CreateCollection(MakeCollectionConfig("gone", 8, 4)).ok());
  ASSERT_TRUE(primary->DropCollection("gone").ok());
  WaitForJobs(*c);
  ASSERT_GT(c->Describe().partitioning, 0u) << "the primary did not partition";

  EXPECT_GT(Ship(*primary, replica->get()), 0u);
  EXPECT_EQ((*replica)->LatestSequence(), primary->LatestSequence());
  replica->reset();

  DatabaseOptions open_options;
  open_options.background_partitioning = false;  // compared as shipped
  auto copy = Database::Open(dir.path() + "/replica", open_options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->ListCollections(), primary->ListCollections());
  ExpectSameCollection(*primary, **copy, "c", 9000);
}

TEST(ReplicaTest, WritesApplyInOrderAndOnce) {
  testing::ScopedTempDir dir;
  auto primary = *Database::Open(dir.path() + "/primary", PrimaryOptions());
  auto c = *primary->CreateCollection(MakeCollectionConfig("c", 16, 4));
  ASSERT_TRUE(c->Upsert({1}, testing::RandomUnitVectors(1, 16, 1)).ok());
  ASSERT_TRUE(primary->Snapshot(dir.path() + "/replica").ok());
  for (uint64_t id = 2; id <= 4; ++id) {
    ASSERT_TRUE(c->Upsert({id}, testing::RandomUnitVectors(1, 16, id)).ok());
  }
  auto replica = *Replica::Open(dir.path() + "/replica");
  const uint64_t start = replica->LatestSequence();
  auto writes = primary->ReadLog(start + 1, 1 << 20);
  ASSERT_TRUE(writes.ok()) << writes.status();
  ASSERT_GE(writes->size(), 3u);
  EXPECT_EQ((*writes)[0].sequence, start + 1);

  const absl::Status gap = replica->Apply((*writes)[1]);
  EXPECT_EQ(gap.code(), absl::StatusCode::kFailedPrecondition) << gap;
  EXPECT_EQ(replica->LatestSequence(), start);
  ASSERT_TRUE(replica->Apply((*writes)[0]).ok());
  const uint64_t after_first = replica->LatestSequence();
  EXPECT_EQ(after_first, start + (*writes)[0].count);
  EXPECT_TRUE(replica->Apply((*writes)[0]).ok()) << "a resend is skipped";
  EXPECT_EQ(replica->LatestSequence(), after_first);
  LoggedWrite miscounted = (*writes)[1];
  ++miscounted.count;
  EXPECT_EQ(replica->Apply(miscounted).code(), absl::StatusCode::kDataLoss);
  for (size_t i = 1; i < writes->size(); ++i) ASSERT_TRUE(replica->Apply((*writes)[i]).ok());
  EXPECT_EQ(replica->LatestSequence(), primary->LatestSequence());
  // Nothing past the end: an empty answer, not an error.
  auto none = primary->ReadLog(primary->LatestSequence() + 1, 1 << 20);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(primary->ReadLog(0, 1).status().code(), absl::StatusCode::kInvalidArgument);

  // A replica is a copy: not made from nothing, and not a directory that lost its version.
  EXPECT_FALSE(Replica::Open(dir.path() + "/empty").ok());
}

// A log reader keeps its place: read a part at a time while writes go on and the log moves to
// new files (memtable flushes), it returns exactly the writes ReadLog returns from the start, and
// ApplyAll applies them (one sync each call) into the same database.
TEST(ReplicaTest, ALogReaderReadsOnAcrossNewLogFilesAsReadLogDoes) {
  testing::ScopedTempDir dir;
  DatabaseOptions options = PrimaryOptions();
  options.write_buffer_bytes = size_t{1} << 20;  // flushes, each starting a new log file
  auto primary = *Database::Open(dir.path() + "/primary", options);
  auto c = *primary->CreateCollection(MakeCollectionConfig("c", 64, 4));
  ASSERT_TRUE(primary->Snapshot(dir.path() + "/replica").ok());
  auto replica = *Replica::Open(dir.path() + "/replica");
  const uint64_t start = replica->LatestSequence();
  const std::unique_ptr<LogReader> reader = primary->OpenLog(start + 1);
  std::vector<LoggedWrite> read;
  for (uint64_t round = 0; round < 40; ++round) {
    const uint64_t first = round * 200;
    ASSERT_TRUE(
        c->Upsert(testing::IdRange(first, first + 200), testing::RandomUnitVectors(200, 64, round))
            .ok());
    // Small reads: a read ends inside the round's writes as often as at their end.
    for (int part = 0; part < 3; ++part) {
      auto writes = reader->Read(16 << 10);
      ASSERT_TRUE(writes.ok()) << writes.status();
      ASSERT_TRUE(replica->ApplyAll(*writes).ok());
      read.insert(read.end(), writes->begin(), writes->end());
    }
  }
  // The whole log as ReadLog reads it now (a background write may follow: read to its end).
  auto all = primary->ReadLog(start + 1, size_t{1} << 30);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_FALSE(all->empty());
  while (read.empty() || read.back().sequence < all->back().sequence) {
    auto writes = reader->Read(1 << 20);
    ASSERT_TRUE(writes.ok()) << writes.status();
    ASSERT_FALSE(writes->empty()) << "the reader stopped short of the log's end";
    ASSERT_TRUE(replica->ApplyAll(*writes).ok());
    read.insert(read.end(), writes->begin(), writes->end());
  }
  ASSERT_GE(read.size(), all->size());
  for (size_t i = 0; i < all->size(); ++i) {
    ASSERT_EQ(read[i].sequence, (*all)[i].sequence) << i;
    ASSERT_EQ(read[i].data, (*all)[i].data) << i;
  }
  EXPECT_EQ(replica->LatestSequence(), read.back().sequence + read.back().count - 1);
  std::error_code error;
  size_t logs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() + "/primary")) {
    logs += entry.path().extension() == ".log";
  }
  EXPECT_GT(logs, 1u) << "the log never moved to a new file: the reader's reopening went untried";
  replica.reset();
  DatabaseOptions offline;
  offline.background_partitioning = false;
  auto copy = *Database::Open(dir.path() + "/replica", offline);
  testing::ExpectSameRecords(*c, **copy->GetCollection("c"), testing::IdRange(0, 8000));
}

TEST(ReplicaTest, ALogThePrimaryNoLongerHoldsSaysToSeedAgain) {
  testing::ScopedTempDir dir;
  for (const bool keeps_log : {false, true}) {
    const std::string path = dir.path() + (keeps_log ? "/kept" : "/removed");
    const DatabaseOptions options = keeps_log ? PrimaryOptions() : DatabaseOptions();
    uint64_t first = 0;
    {
      auto db = *Database::Open(path, options);
      auto c = *db->CreateCollection(MakeCollectionConfig("c", 16, 4));
      first = db->LatestSequence() + 1;
      ASSERT_TRUE(c->Upsert({1, 2}, testing::RandomUnitVectors(2, 16, 3)).ok());
    }
    // Opening again flushes what the log held into table files; then the log may go.
    auto db = *Database::Open(path, options);
    auto writes = db->ReadLog(first, 1 << 20);
    if (keeps_log) {
      ASSERT_TRUE(writes.ok()) << writes.status();
      ASSERT_FALSE(writes->empty());
      EXPECT_EQ(writes->front().sequence, first);
    } else {
      EXPECT_EQ(writes.status().code(), absl::StatusCode::kFailedPrecondition) << writes.status();
      EXPECT_NE(writes.status().message().find("seeded again"), std::string::npos)
          << writes.status();
    }
  }
}

TEST(ReplicaTest, BulkWritesOfAPrimaryThatKeepsItsLogGoThroughIt) {
  // 12,000 x 100 floats, 4.8 MB: past ingest_min_bytes (4 MiB), which a database that keeps its
  // log must not use, or its replicas would lack the floats.
  testing::ScopedTempDir dir;
  auto primary = *Database::Open(dir.path() + "/primary", PrimaryOptions());
  auto c = *primary->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  ASSERT_TRUE(primary->Snapshot(dir.path() + "/replica").ok());
  const std::vector<float> vectors = testing::RandomUnitVectors(12000, kDim, 5);
  ASSERT_TRUE(c->Upsert(testing::IdRange(0, 12000), vectors).ok());
  {
    auto replica = *Replica::Open(dir.path() + "/replica");
    Ship(*primary, replica.get(), 1 << 20);
  }
  DatabaseOptions open_options;
  open_options.background_partitioning = false;
  auto copy = Database::Open(dir.path() + "/replica", open_options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  auto records = (*(*copy)->GetCollection("c"))->Get({0, 5999, 11999}, true, false);
  ASSERT_TRUE(records.ok()) << records.status();
  for (const Record& r : *records) {
    ASSERT_TRUE(r.found) << r.id;
    EXPECT_EQ(r.vector, std::vector<float>(vectors.begin() + r.id * kDim,
                                           vectors.begin() + (r.id + 1) * kDim));
  }
}

TEST(ReplicaTest, ShippingKeepsUpWithWriters) {
  testing::ScopedTempDir dir;
  auto primary = *Database::Open(dir.path() + "/primary", PrimaryOptions());
  auto c = *primary->CreateCollection(MakeCollectionConfig("c", 16, 4));
  ASSERT_TRUE(primary->Snapshot(dir.path() + "/replica").ok());
  auto replica = *Replica::Open(dir.path() + "/replica");
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t b = 0; b < 200; ++b) {
      ASSERT_TRUE(c->Upsert(testing::IdRange(b * 10, b * 10 + 10),
                            testing::RandomUnitVectors(10, 16, b),
                            Payloads("p", b * 10, b * 10 + 10))
                      .ok());
      if (b % 50 == 0) {
        ASSERT_TRUE(c->Delete({b * 10}).ok());
      }
    }
    done.store(true);
  });
  size_t rounds = 0;
  while (!done.load()) {
    if (Ship(*primary, replica.get(), 4096) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ++rounds;
  }
  writer.join();
  Ship(*primary, replica.get());
  EXPECT_EQ(replica->LatestSequence(), primary->LatestSequence());
  std::printf("shipped in %zu rounds while the writer wrote\n", rounds);
  replica.reset();
  DatabaseOptions open_options;
  open_options.background_partitioning = false;
  auto copy = *Database::Open(dir.path() + "/replica", open_options);
  const std::vector<uint64_t> ids = testing::IdRange(0, 2000);
  testing::ExpectSameRecords(*c, **copy->GetCollection("c"), ids);
}

}  // namespace
}  // namespace tqdb
