// storage::Store against a real RocksDB directory: memtables left full when writes stop go to
// table files once the store has been quiet for StoreOptions::quiet_flush_ms, so point reads
// (re-rank, get) stop walking memtable skip lists; while writes go on, nothing is flushed early.
#include <chrono>
#include <string>
#include <thread>

#include "db/storage/store.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb::storage {
namespace {

// Writes `rows` records of 1 KiB to the default column family.
void WriteRows(Store& store, int first, int rows) {
  rocksdb::WriteBatch batch;
  const std::string value(1024, 'v');
  for (int i = first; i < first + rows; ++i) {
    batch.Put(store.cf(Cf::kDefault), "row" + std::to_string(i), value);
  }
  ASSERT_TRUE(store.Write(&batch, Durability::kGroupCommit).ok());
}

// Waits up to `limit` for the memtables to hold less than `bytes`; what they hold then.
uint64_t MemtableBytesWithin(const Store& store, uint64_t bytes, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  uint64_t held = store.Stats().memtable_bytes;
  while (held >= bytes && std::chrono::steady_clock::now() - start < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    held = store.Stats().memtable_bytes;
  }
  return held;
}

TEST(StoreQuietFlushTest, MemtablesGoToTableFilesOnceWritesStop) {
  testing::ScopedTempDir dir;
  StoreOptions options;
  options.durable_sequence_interval_ms = 50;
  options.quiet_flush_ms = 300;
  auto store = Store::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  // Writes every 100 ms for a second: never quiet long enough, so the memtable keeps them.
  for (int round = 0; round < 10; ++round) {
    WriteRows(**store, round * 400, 400);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const uint64_t written = (*store)->Stats().memtable_bytes;
  EXPECT_GT(written, uint64_t{3} << 20);
  // Quiet: flushed within the quiet period and a check or two.
  const uint64_t left = MemtableBytesWithin(**store, written / 4, std::chrono::seconds(5));
  EXPECT_LT(left, written / 4) << "memtables still hold " << left << " of " << written << " bytes";
  std::string value;
  ASSERT_TRUE((*store)
                  ->db()
                  ->Get(rocksdb::ReadOptions(), (*store)->cf(Cf::kDefault), "row3999", &value)
                  .ok());
  EXPECT_EQ(value.size(), 1024u);
}

}  // namespace
}  // namespace tqdb::storage
