// Snapshots (Database::Snapshot, a RocksDB checkpoint) against a real RocksDB directory: taken
// while acknowledged upserts stream in, a snapshot opens as a normal data directory and holds a
// prefix of them with no half-applied batch; a one-collection snapshot holds nothing of the
// others, not even in its files.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kDim = 16;
constexpr uint64_t kBatch = 100;

std::vector<uint64_t> BatchIds(uint64_t batch) {
  return testing::IdRange(batch * kBatch, (batch + 1) * kBatch);
}

std::vector<std::string> BatchPayloads(const std::string& tag, uint64_t batch) {
  return std::vector<std::string>(kBatch, absl::StrCat(tag, "-batch-", batch));
}

TEST(SnapshotTest, TakenDuringAStreamOfUpsertsItHoldsAWholePrefixOfThem) {
  testing::ScopedTempDir dir;
  const std::string snapshot = dir.path() + "/snapshot";
  std::atomic<uint64_t> acknowledged{0};
  uint64_t acknowledged_before = 0;
  {
    auto db = *Database::Open(dir.path() + "/data");
    auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (uint64_t b = 0; !stop.load(); ++b) {
        const std::vector<float> vectors = testing::RandomUnitVectors(kBatch, kDim, b);
        ASSERT_TRUE(collection->Upsert(BatchIds(b), vectors, BatchPayloads("c", b)).ok());
        acknowledged.store(b + 1);
      }
    });
    while (acknowledged.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    acknowledged_before = acknowledged.load();
    ASSERT_TRUE(db->Snapshot(snapshot).ok());
    stop.store(true);
    writer.join();
  }
  auto copy = Database::Open(snapshot);
  ASSERT_TRUE(copy.ok()) << copy.status();
  auto collection = (*copy)->GetCollection("c");
  ASSERT_TRUE(collection.ok()) << collection.status();
  const size_t count = (*collection)->Describe().count;
  ASSERT_EQ(count % kBatch, 0u) << "a batch is in the snapshot in part";
  const uint64_t batches = count / kBatch;
  EXPECT_GE(batches, acknowledged_before) << "writes acknowledged before the snapshot are missing";
  EXPECT_LE(batches, acknowledged.load());
  for (uint64_t b = 0; b < batches; ++b) {
    auto records = (*collection)->Get(BatchIds(b), /*with_vectors=*/true, /*with_payloads=*/true);
    ASSERT_TRUE(records.ok());
    const std::vector<float> vectors = testing::RandomUnitVectors(kBatch, kDim, b);
    for (uint64_t i = 0; i < kBatch; ++i) {
      const Record& r = (*records)[i];
      ASSERT_TRUE(r.found) << "batch " << b;
      EXPECT_EQ(r.payload, BatchPayloads("c", b)[i]);
      EXPECT_EQ(r.vector,
                std::vector<float>(vectors.begin() + i * kDim, vectors.begin() + (i + 1) * kDim));
    }
  }
  std::printf("snapshot holds %lu of %lu acknowledged batches (%lu before it started)\n",
              static_cast<unsigned long>(batches), static_cast<unsigned long>(acknowledged.load()),
              static_cast<unsigned long>(acknowledged_before));
}

// True when any file under `dir` contains `needle`.
bool FilesContain(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(SnapshotTest, OneCollectionsSnapshotHoldsNothingOfTheOthers) {
  testing::ScopedTempDir dir;
  auto db = *Database::Open(dir.path() + "/data");
  for (const char* name : {"kept", "other"}) {
    auto collection = *db->CreateCollection(MakeCollectionConfig(name, kDim, 4));
    for (uint64_t b = 0; b < 3; ++b) {
      ASSERT_TRUE(collection
                      ->Upsert(BatchIds(b), testing::RandomUnitVectors(kBatch, kDim, b),
                               BatchPayloads(name, b))
                      .ok());
    }
  }
  const std::string snapshot = dir.path() + "/kept-only";
  ASSERT_TRUE(db->Snapshot(snapshot, "kept").ok());
  EXPECT_FALSE(FilesContain(snapshot, "other-batch-")) << "the other collection's payloads";
  EXPECT_TRUE(FilesContain(dir.path() + "/data", "other-batch-"));  // the needle does work

  auto copy = Database::Open(snapshot);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ((*copy)->ListCollections(), std::vector<std::string>{"kept"});
  EXPECT_EQ((*(*copy)->GetCollection("kept"))->Describe().count, 3 * kBatch);

  EXPECT_EQ(db->Snapshot(snapshot).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(db->Snapshot(dir.path() + "/x", "missing").code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/x"));
}

}  // namespace
}  // namespace tqdb
