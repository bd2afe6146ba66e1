// Damaged data directories: every kind of damage is a clear error at open, never a crash and never
// a database that opens and answers wrongly.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "db/storage/durable_sequence.h"
#include "db/storage/keys.h"
#include "db/storage/partition_codec.h"
#include "db/storage/segment_codec.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

namespace fs = std::filesystem;
using ::tqdb::testing::RandomUnitVectors;
using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 32;
constexpr size_t kCount = 3000;

// A directory with one collection of kCount vectors; `flushed` moves everything into table files
// (otherwise it stays in the write-ahead log).
// Upserts kCount vectors into a new collection "c" of `db`, in three batches.
std::shared_ptr<Collection> CreateAndFill(Database& db) {
  auto collection = *db.CreateCollection(MakeCollectionConfig("c", kDim, 4));
  const std::vector<float> base = RandomUnitVectors(kCount, kDim, 1);
  for (uint64_t b = 0; b < 3; ++b) {
    std::vector<uint64_t> ids;
    for (uint64_t i = 0; i < kCount / 3; ++i) ids.push_back(b * (kCount / 3) + i);
    EXPECT_TRUE(collection
                    ->Upsert(ids, absl::MakeConstSpan(base).subspan(b * (kCount / 3) * kDim,
                                                                    kCount / 3 * kDim))
                    .ok());
  }
  return collection;
}

void Populate(const std::string& path, bool flushed) {
  auto db = *Database::Open(path);
  auto collection = CreateAndFill(*db);
  if (flushed) {
    ASSERT_TRUE(collection->Compact().ok());
  }
}

// The largest file in `dir` whose name ends with `suffix`.
fs::path LargestFile(const std::string& dir, const std::string& suffix) {
  fs::path best;
  uintmax_t best_size = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        entry.file_size() > best_size) {
      best = entry.path();
      best_size = entry.file_size();
    }
  }
  return best;
}

void FlipBytes(const fs::path& file, uintmax_t offset, size_t count) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  for (size_t i = 0; i < count; ++i) {
    f.seekg(offset + i);
    const char c = static_cast<char>(f.get());
    f.seekp(offset + i);
    f.put(static_cast<char>(c ^ 0x5a));
  }
}

// Opens the directory with plain RocksDB (all its column families) to plant bad records.
void RawPut(const std::string& path, storage::Cf cf, const std::string& key,
            const std::string& value) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (std::string_view name : storage::kCfNames)
    descriptors.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &db).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[static_cast<int>(cf)], key, value).ok());
  for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  delete db;
}

void ExpectOpenFails(const std::string& path, absl::StatusCode code, const std::string& words) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
  ASSERT_FALSE(db.ok()) << "a damaged directory opened";
  EXPECT_EQ(db.status().code(), code) << db.status();
  EXPECT_NE(db.status().message().find(words), absl::string_view::npos) << db.status();
}

TEST(CorruptionTest, DamagedTableFileIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/true);
  const fs::path sst = LargestFile(dir.path(), ".sst");
  ASSERT_FALSE(sst.empty());
  FlipBytes(sst, fs::file_size(sst) / 2, 64);
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "checksum");
}

TEST(CorruptionTest, TruncatedTableFileIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/true);
  const fs::path sst = LargestFile(dir.path(), ".sst");
  ASSERT_FALSE(sst.empty());
  fs::resize_file(sst, fs::file_size(sst) / 2);
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir.path());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().code() == absl::StatusCode::kDataLoss ||
              db.status().code() == absl::StatusCode::kUnavailable)
      << db.status();
}

TEST(CorruptionTest, DamagedLogRecordIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  const fs::path log = LargestFile(dir.path(), ".log");
  ASSERT_FALSE(log.empty());
  ASSERT_GT(fs::file_size(log), 100000);  // the batches are in the log, not in tables
  FlipBytes(log, fs::file_size(log) / 3, 16);
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "");
}

// What a crash leaves of a populated directory: a copy of its files taken while the database is
// still open (every batch fsynced, no clean close). With `after_durable_record`, the copy waits
// until the durable-sequence record (storage/durable_sequence.h) has caught up with the writes.
void PopulateAndCrash(const std::string& crash_copy, bool after_durable_record) {
  ScopedTempDir live;
  auto db = *Database::Open(live.path());
  const fs::path record = fs::path(live.path()) / storage::kDurableSequenceFile;
  auto read_record = [&] {
    std::ifstream in(record);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string record_at_open = read_record();
  auto collection = CreateAndFill(*db);
  if (after_durable_record) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (read_record() == record_at_open && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_NE(read_record(), record_at_open) << "the durable-sequence record never moved";
  }
  fs::copy(live.path(), crash_copy, fs::copy_options::recursive);
}

TEST(CorruptionTest, TornLastRecordLeftByACrashLosesOnlyThatBatch) {
  // A crash in the middle of writing the last record leaves it torn; that batch was never
  // acknowledged (the copy stands for the moment of the crash), so recovery drops it and keeps
  // every batch before it, whole.
  ScopedTempDir dir;
  PopulateAndCrash(dir.path() + "/crashed", /*after_durable_record=*/false);
  const std::string crashed = dir.path() + "/crashed";
  const fs::path log = LargestFile(crashed, ".log");
  ASSERT_FALSE(log.empty());
  fs::resize_file(log, fs::file_size(log) - 1000);
  auto db = Database::Open(crashed);
  ASSERT_TRUE(db.ok()) << db.status();
  auto collection = *(*db)->GetCollection("c");
  EXPECT_EQ(collection->Describe().count, kCount / 3 * 2);
  auto records = *collection->Get({kCount / 3 * 2 - 1, kCount / 3 * 2}, false, false);
  EXPECT_TRUE(records[0].found);
  EXPECT_FALSE(records[1].found);
}

TEST(CorruptionTest, LogCutAfterACleanCloseIsRefusedUnlessTheLossIsAccepted) {
  // After a clean close every write in the log was acknowledged: a shorter log lost some, at any
  // cut, even one that leaves a torn last record or ends exactly on a record boundary.
  for (const double keep : {0.25, 0.5, 0.9, 0.999}) {
    ScopedTempDir dir;
    Populate(dir.path(), /*flushed=*/false);
    const fs::path log = LargestFile(dir.path(), ".log");
    ASSERT_GT(fs::file_size(log), 100000);
    fs::resize_file(log, static_cast<uintmax_t>(fs::file_size(log) * keep));
    const uintmax_t cut_size = fs::file_size(log);
    ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, log.string());
    // A refused open changes nothing: the same file is named again, still as it was.
    ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, log.string());
    ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "accept_log_loss");
    EXPECT_EQ(fs::file_size(log), cut_size);

    DatabaseOptions accept;
    accept.accept_log_loss = true;
    {
      auto db = Database::Open(dir.path(), accept);
      ASSERT_TRUE(db.ok()) << db.status();
      auto collection = (*db)->GetCollection("c");
      if (collection.ok()) {
        EXPECT_LT((*collection)->Describe().count, kCount) << keep;
      }
    }
    // Accepted once, the directory opens normally from then on.
    auto reopened = Database::Open(dir.path());
    EXPECT_TRUE(reopened.ok()) << reopened.status();
  }
}

TEST(CorruptionTest, LogCutAfterACrashIsRefusedOnceTheDurableRecordHasCaughtUp) {
  ScopedTempDir dir;
  const std::string crashed = dir.path() + "/crashed";
  PopulateAndCrash(crashed, /*after_durable_record=*/true);
  const fs::path log = LargestFile(crashed, ".log");
  fs::resize_file(log, fs::file_size(log) / 2);
  ExpectOpenFails(crashed, absl::StatusCode::kDataLoss, "acknowledged writes (RocksDB sequence");
}

TEST(CorruptionTest, DamagedDurableSequenceRecordIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  std::ofstream(fs::path(dir.path()) / storage::kDurableSequenceFile) << "banana\n";
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, storage::kDurableSequenceFile);
}

TEST(CorruptionTest, NonEmptyDirectoryOfOtherFilesIsRefused) {
  ScopedTempDir dir;
  std::ofstream(fs::path(dir.path()) / "notes.txt") << "my files\n";
  ExpectOpenFails(dir.path(), absl::StatusCode::kFailedPrecondition, "notes.txt");
  EXPECT_FALSE(fs::exists(fs::path(dir.path()) / "CURRENT"));  // nothing was written into it
}

TEST(CorruptionTest, DamagedCollectionRecordIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  RawPut(dir.path(), storage::Cf::kCollections, "c", "format=1\nid=1\nname=c\ndim=banana\n");
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "collection 'c'");
}

TEST(CorruptionTest, DamagedSegmentIsReportedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  RawPut(dir.path(), storage::Cf::kSegments, storage::SegmentKey(1, 0), "TQS1 but too short");
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "segment 0");
}

// What a kill during a first partitioning leaves: a segment of a partitioning that was never
// stored. The open ignores and deletes it; the collection is as it was.
TEST(CorruptionTest, SegmentsOfAPartitioningNeverStoredAreDroppedAtOpen) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  const size_t code_bytes = 16;  // 32 coordinates at 4 bits
  const std::vector<uint64_t> ids = {5};
  const std::vector<uint8_t> code(code_bytes, 0x11);
  const std::vector<VectorFactors> factors = {{1, 1}};
  const std::vector<uint32_t> lists = {0};
  const std::string orphan = storage::SegmentKey(1, 999999);
  RawPut(dir.path(), storage::Cf::kSegments, orphan,
         storage::EncodeSegment(ids, code, factors, code_bytes, lists, /*partitioning=*/1));
  {
    auto db = *Database::Open(dir.path());
    auto collection = *db->GetCollection("c");
    const CollectionInfo info = collection->Describe();
    EXPECT_EQ(info.count, kCount);
    EXPECT_EQ(info.partitioning, 0u);
    const StoredCode stored = *collection->GetStoredCode(5);
    EXPECT_NE(stored.code, code) << "the orphan's code was loaded";
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (std::string_view name : storage::kCfNames)
    descriptors.emplace_back(std::string(name), rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(
      rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), descriptors, &handles, &raw).ok());
  std::string value;
  EXPECT_TRUE(raw->Get(rocksdb::ReadOptions(), handles[static_cast<int>(storage::Cf::kSegments)],
                       orphan, &value)
                  .IsNotFound())
      << "the orphaned segment is still stored";
  for (auto* handle : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(handle).ok());
  delete raw;
}

TEST(CorruptionTest, SegmentsOfAnotherPartitioningThanTheStoredOneAreDataLoss) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  storage::StoredPartitioning partitioning;
  partitioning.number = 2;
  partitioning.dim = kDim;
  partitioning.centroids.assign(kDim, 0.1f);
  RawPut(dir.path(), storage::Cf::kPartitions, storage::PartitionsKey(1),
         storage::EncodePartitioning(partitioning));
  ExpectOpenFails(dir.path(), absl::StatusCode::kDataLoss, "partitioning 2 is in use");
}

TEST(CorruptionTest, OtherFormatVersionIsRefused) {
  ScopedTempDir dir;
  Populate(dir.path(), /*flushed=*/false);
  RawPut(dir.path(), storage::Cf::kDefault, std::string(storage::kFormatVersionKey), "2");
  ExpectOpenFails(dir.path(), absl::StatusCode::kFailedPrecondition, "format version 2");
}

TEST(CorruptionTest, ForeignRocksDbDirectoryIsRefused) {
  ScopedTempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &db).ok());
    rocksdb::ColumnFamilyHandle* handle = nullptr;
    ASSERT_TRUE(db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "users", &handle).ok());
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    delete db;
  }
  ExpectOpenFails(dir.path(), absl::StatusCode::kFailedPrecondition, "not a tqdb data directory");
}

}  // namespace
}  // namespace tqdb
