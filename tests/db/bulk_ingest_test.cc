// Bulk writes through ingested table files (DatabaseOptions::ingest_min_bytes): an upsert of new
// ids writes its floats as one RocksDB table file instead of through the write-ahead log, and
// reads, re-rank and a reopen see exactly what was written; an upsert that replaces ids takes
// the log as before; and the vectors of an ingestion whose segments never committed (a crash
// between the two) are gone after the next open, along with any table file left unfinished.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "db/storage/catalog.h"
#include "db/storage/collection_store.h"
#include "db/storage/store.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 64;

std::vector<float> Gaussian(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * kDim);
  for (float& x : v) x = normal(gen);
  return v;
}

// Bytes in the data directory's write-ahead logs.
uintmax_t LogBytes(const std::string& dir) {
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".log") bytes += entry.file_size();
  }
  return bytes;
}

DatabaseOptions IngestEverything() {
  DatabaseOptions options;
  options.ingest_min_bytes = 1;
  options.background_partitioning = false;
  return options;
}

CollectionConfig Config() {
  CollectionConfig config = MakeCollectionConfig("bulk", kDim, 4);
  config.partition_at = 0;
  config.centering = Centering::kNone;  // every upsert takes the plain path
  return config;
}

// Every id of `ids` reads back with exactly its row of `vectors`.
void ExpectVectors(const Collection& collection, const std::vector<uint64_t>& ids,
                   const std::vector<float>& vectors) {
  absl::StatusOr<std::vector<Record>> records = collection.Get(ids, true, false);
  ASSERT_TRUE(records.ok()) << records.status();
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE((*records)[i].found) << ids[i];
    ASSERT_EQ((*records)[i].vector,
              std::vector<float>(vectors.begin() + i * kDim, vectors.begin() + (i + 1) * kDim))
        << "id " << ids[i];
  }
}

// After a reopen of `dir`: the collection holds `count` vectors, `ids` with exactly `vectors`.
void ExpectAfterReopen(const std::string& dir, size_t count, const std::vector<uint64_t>& ids,
                       const std::vector<float>& vectors) {
  auto db = Database::Open(dir, IngestEverything());
  ASSERT_TRUE(db.ok()) << db.status();
  auto collection = (*db)->GetCollection("bulk");
  ASSERT_TRUE(collection.ok());
  EXPECT_EQ((*collection)->count(), count);
  ExpectVectors(**collection, ids, vectors);
}

TEST(BulkIngestTest, NewIdsSkipTheLogAndReadBackExactlyAfterAReopen) {
  ScopedTempDir dir;
  const size_t n = 3000;
  // Ids out of order: the table file takes them sorted.
  std::vector<uint64_t> ids = IdRange(0, n);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(3));
  const std::vector<float> vectors = Gaussian(n, 1);
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->CreateCollection(Config());
    ASSERT_TRUE(collection.ok()) << collection.status();
    const uintmax_t log_before = LogBytes(dir.path());
    for (size_t first = 0; first < n; first += 1000) {
      ASSERT_TRUE((*collection)
                      ->Upsert(absl::MakeConstSpan(ids).subspan(first, 1000),
                               absl::MakeConstSpan(vectors).subspan(first * kDim, 1000 * kDim), {},
                               WriteOptions())
                      .ok());
    }
    // The codes go through the log (about 40 bytes a vector here); the 256-byte floats do not.
    EXPECT_LT(LogBytes(dir.path()) - log_before, n * kDim * sizeof(float) / 4);
    ExpectVectors(**collection, ids, vectors);
    // A re-ranked search scores with the ingested floats: a stored vector finds itself first.
    SearchOptions options;
    options.k = 1;
    options.rerank = true;
    auto hits =
        (*collection)->Search(absl::MakeConstSpan(vectors).subspan(17 * kDim, kDim), options);
    ASSERT_TRUE(hits.ok()) << hits.status();
    EXPECT_EQ((*hits)[0].id, ids[17]);
    EXPECT_NEAR((*hits)[0].score, 1.0, 1e-5);
  }
  ExpectAfterReopen(dir.path(), n, ids, vectors);
}

// The first upsert of an auto-centered collection takes the center from its rows and
// re-encodes against it; its floats still go in as a table file, and read back exactly.
TEST(BulkIngestTest, TheUpsertThatTakesTheCenterIngestsItsFloatsToo) {
  ScopedTempDir dir;
  const size_t n = 2000;
  const std::vector<uint64_t> ids = IdRange(0, n);
  const std::vector<float> vectors = Gaussian(n, 4);
  CollectionConfig config = Config();
  config.centering = Centering::kAuto;
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->CreateCollection(config);
    ASSERT_TRUE(collection.ok()) << collection.status();
    const uintmax_t log_before = LogBytes(dir.path());
    auto written = (*collection)->Upsert(ids, vectors, {}, WriteOptions());
    ASSERT_TRUE(written.ok()) << written.status();
    EXPECT_EQ(written->inserted, n);
    EXPECT_FALSE((*collection)->Describe().center.empty()) << "the upsert took no center";
    EXPECT_LT(LogBytes(dir.path()) - log_before, n * kDim * sizeof(float) / 4);
    ExpectVectors(**collection, ids, vectors);
  }
  ExpectAfterReopen(dir.path(), n, ids, vectors);
}

TEST(BulkIngestTest, ReplacingIdsTakesTheLogAndTheNewVectorWins) {
  ScopedTempDir dir;
  const std::vector<uint64_t> ids = IdRange(0, 500);
  const std::vector<float> first = Gaussian(500, 1), second = Gaussian(500, 2);
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->CreateCollection(Config());
    ASSERT_TRUE(collection.ok());
    ASSERT_TRUE((*collection)->Upsert(ids, first, {}, WriteOptions()).ok());
    const uintmax_t log_before = LogBytes(dir.path());
    auto replaced = (*collection)->Upsert(ids, second, {}, WriteOptions());
    ASSERT_TRUE(replaced.ok()) << replaced.status();
    EXPECT_EQ(replaced->replaced, ids.size());
    EXPECT_GE(LogBytes(dir.path()) - log_before, ids.size() * kDim * sizeof(float));
    ExpectVectors(**collection, ids, second);
  }
  ExpectAfterReopen(dir.path(), ids.size(), ids, second);
}

// Deleted ids are new again: their second bulk write is ingested over their tombstones, and
// must come out above them (an ingested file that overlaps nothing enters below every write,
// store_ingest.cc), with the collection's read view open across it, and after a reopen.
TEST(BulkIngestTest, DeletedIdsComeBackInABulkWriteAboveTheirTombstones) {
  ScopedTempDir dir;
  const std::vector<uint64_t> ids = IdRange(0, 1000), back = IdRange(0, 500);
  const std::vector<float> first = Gaussian(1000, 1), second = Gaussian(500, 2);
  std::vector<float> expected = second;
  expected.insert(expected.end(), first.begin() + 500 * kDim, first.end());
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->CreateCollection(Config());
    ASSERT_TRUE(collection.ok());
    ASSERT_TRUE((*collection)->Upsert(ids, first, {}, WriteOptions()).ok());
    ASSERT_TRUE((*collection)->Delete(back).ok());
    EXPECT_EQ((*collection)->count(), 500u);
    auto added = (*collection)->Upsert(back, second, {}, WriteOptions());
    ASSERT_TRUE(added.ok()) << added.status();
    EXPECT_EQ(added->replaced, 0u);  // new ids again: the ingested path
    EXPECT_EQ((*collection)->count(), 1000u);
    ExpectVectors(**collection, ids, expected);
  }
  ExpectAfterReopen(dir.path(), 1000u, ids, expected);
}

// Two writers upsert the same new ids at once: both write a table file while they encode (the
// ids are new to both), the first to take the lock ingests its file, the second finds the ids
// stored and replaces them through the log, its file removed unused. However they interleave,
// every id holds one of the two vectors written for it, and no table file is left behind.
TEST(BulkIngestTest, AWriterThatLosesTheRaceForNewIdsLeavesNoTableFile) {
  ScopedTempDir dir;
  const std::vector<float> first = Gaussian(2000, 1), second = Gaussian(2000, 2);
  auto db = Database::Open(dir.path(), IngestEverything());
  ASSERT_TRUE(db.ok()) << db.status();
  auto collection = (*db)->CreateCollection(Config());
  ASSERT_TRUE(collection.ok());
  for (int round = 0; round < 5; ++round) {
    const std::vector<uint64_t> round_ids = IdRange(round * 2000, (round + 1) * 2000);
    absl::StatusOr<WriteResult> a, b;
    std::thread other([&] { b = (*collection)->Upsert(round_ids, second, {}, WriteOptions()); });
    a = (*collection)->Upsert(round_ids, first, {}, WriteOptions());
    other.join();
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_EQ(a->inserted + b->inserted, round_ids.size());
    EXPECT_EQ(a->replaced + b->replaced, round_ids.size());
    // The last writer's rows, whichever it was.
    ExpectVectors(**collection, round_ids, a->replaced > 0 ? first : second);
    const std::string ingest_dir = dir.path() + "/" + storage::kIngestDirectory;
    if (std::filesystem::exists(ingest_dir)) {
      EXPECT_TRUE(std::filesystem::is_empty(ingest_dir))
          << "a table file was left in " << ingest_dir;
    }
  }
  EXPECT_EQ((*collection)->count(), 5u * 2000);
}

// A crash after the ingestion and before the segments' commit, reproduced step by step with the
// storage layer: the marker and the ingested vectors are there, the segments are not.
TEST(BulkIngestTest, VectorsOfAnIngestionThatNeverCommittedAreRemovedAtOpen) {
  ScopedTempDir dir;
  const std::vector<uint64_t> kept = IdRange(0, 300), orphans = IdRange(1000, 1200);
  const std::vector<float> vectors = Gaussian(300, 1);
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->CreateCollection(Config());
    ASSERT_TRUE(collection.ok());
    ASSERT_TRUE((*collection)->Upsert(kept, vectors, {}, WriteOptions()).ok());
  }
  uint32_t cid = 0;
  {
    auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    storage::Catalog catalog(*store);
    auto next = catalog.ReadNextCollectionId();
    ASSERT_TRUE(next.ok());
    auto collections = catalog.ReadCollections(*next);
    ASSERT_TRUE(collections.ok() && collections->size() == 1);
    cid = collections->front().id;
    storage::CollectionStore collection_store(*store, cid, "bulk");
    absl::StatusOr<storage::TableFile> table =
        collection_store.WriteVectorTable(orphans, Gaussian(orphans.size(), 9), kDim);
    ASSERT_TRUE(table.ok()) << table.status();
    ASSERT_TRUE(collection_store.IngestVectors(7, orphans, *std::move(table)).ok());
    auto markers = collection_store.ReadIngestMarkers();
    ASSERT_TRUE(markers.ok());
    ASSERT_EQ(markers->size(), 1u);
    EXPECT_EQ(markers->front().number, 7u);
    EXPECT_EQ(markers->front().ids, orphans);
    ASSERT_TRUE(collection_store.ReadVectors(orphans, kDim, nullptr).ok());  // ingested
    // And a table file a crash left half-written.
    std::ofstream(storage::IngestDirectory(dir.path()) + "/99.sst") << "partial";
  }
  {
    auto db = Database::Open(dir.path(), IngestEverything());
    ASSERT_TRUE(db.ok()) << db.status();
    auto collection = (*db)->GetCollection("bulk");
    ASSERT_TRUE(collection.ok());
    EXPECT_EQ((*collection)->count(), kept.size());
    ExpectVectors(**collection, kept, vectors);
    // A later bulk write numbers its marker past the one found.
    ASSERT_TRUE(
        (*collection)->Upsert(IdRange(2000, 2100), Gaussian(100, 4), {}, WriteOptions()).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(storage::IngestDirectory(dir.path()) + "/99.sst"));
  auto store = storage::Store::Open(dir.path(), storage::StoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  storage::CollectionStore collection_store(*store, cid, "bulk");
  auto markers = collection_store.ReadIngestMarkers();
  ASSERT_TRUE(markers.ok());
  EXPECT_TRUE(markers->empty());
  for (uint64_t id : {orphans.front(), orphans.back()}) {
    auto read = collection_store.ReadVectors({id}, kDim, nullptr);
    EXPECT_TRUE(absl::IsDataLoss(read.status())) << "id " << id << " " << read.status();
  }
  EXPECT_TRUE(collection_store.ReadVectors(kept, kDim, nullptr).ok());
}

}  // namespace
}  // namespace tqdb
