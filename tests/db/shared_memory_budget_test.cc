// Databases sharing one memory budget (tqdb/memory_budget.h), as a cluster node's shards do:
// together they stay within its block cache and memtable sizes, however many there are, where
// each database alone keeps a cache and memtables of its own.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"
#include "tqdb/memory_budget.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 256;  // 1 KiB of floats per vector
constexpr size_t kMiB = size_t{1} << 20;

DatabaseOptions Options(std::shared_ptr<const SharedMemoryBudget> budget) {
  DatabaseOptions options;
  options.block_cache_bytes = 8 * kMiB;
  options.write_buffer_bytes = 8 * kMiB;  // memtables of 4 MiB
  options.shared_budget = std::move(budget);
  options.ingest_min_bytes = 0;  // through the log and memtables
  options.background_partitioning = false;
  return options;
}

TEST(SharedMemoryBudgetTest, EightDatabasesStayWithinOneCacheAndOneMemtableBudget) {
  ScopedTempDir dir;
  const auto budget = SharedMemoryBudget::Make(/*block_cache_bytes=*/6 * kMiB,
                                               /*write_buffer_bytes=*/4 * kMiB);
  std::vector<std::unique_ptr<Database>> databases;
  for (int i = 0; i < 8; ++i) {
    auto db = Database::Open(dir.path() + "/shard" + std::to_string(i), Options(budget));
    ASSERT_TRUE(db.ok()) << db.status();
    databases.push_back(*std::move(db));
  }
  // 4 MiB of floats into each, then every row read back (through the cache).
  const size_t n = 4096;
  for (auto& db : databases) {
    CollectionConfig config = MakeCollectionConfig("c", kDim, 4);
    config.partition_at = 0;
    auto collection = db->CreateCollection(config);
    ASSERT_TRUE(collection.ok()) << collection.status();
    for (size_t first = 0; first < n; first += 512) {
      ASSERT_TRUE((*collection)
                      ->Upsert(IdRange(first, first + 512),
                               testing::RandomUnitVectors(512, kDim, first), {})
                      .ok());
    }
  }
  for (auto& db : databases) {
    auto collection = db->GetCollection("c");
    ASSERT_TRUE(collection.ok());
    ASSERT_TRUE((*collection)->Get(IdRange(0, n), /*with_vectors=*/true, false).ok());
  }
  uint64_t memtables = 0, cache = 0;
  std::set<const void*> caches_counted;
  for (auto& db : databases) {
    const StorageStats stats = db->Stats();
    EXPECT_EQ(stats.shared_budget, budget.get());
    EXPECT_EQ(stats.block_cache_capacity, 6 * kMiB);
    EXPECT_EQ(stats.write_buffer_limit, 4 * kMiB);
    memtables += stats.memtable_bytes;
    // A shared cache counts once (each database reports all of it), as the metrics count it.
    if (stats.shared_budget == nullptr || caches_counted.insert(stats.shared_budget).second) {
      cache += stats.block_cache_bytes;
    }
  }
  // 32 MiB written and read in all; eight databases of their own held 15 MiB of memtables and
  // 36 MiB of cache here. The memtable budget is looser than the cache's: past it RocksDB's
  // manager flushes the largest memtable of the database being written, so the others' stay
  // until they are written again or quiet (Store::FlushWhenQuiet): 3.6-8.7 MiB seen here.
  std::printf("memtables %.1f MiB, cache %.1f MiB\n", memtables / 1048576.0, cache / 1048576.0);
  EXPECT_LE(memtables, 12 * kMiB) << "memtables far above the shared budget";
  EXPECT_LE(cache, 6 * kMiB + kMiB) << "cache above the shared budget";
  EXPECT_GT(cache, 2 * kMiB) << "the reads did not go through the shared cache";
}

}  // namespace
}  // namespace tqdb
