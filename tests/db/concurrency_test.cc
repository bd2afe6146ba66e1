// Concurrent upsert, delete, search, get, describe and compact on one collection. Readers check
// that every write is seen whole or not at all. Runs in the ThreadSanitizer build too
// (scripts/test.sh), where data races fail the test.
#include <atomic>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "stored_code_check.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kDim = 16;
constexpr uint64_t kBatch = 32;
constexpr uint64_t kSteps = 240;

std::vector<uint64_t> BatchIds(uint64_t b) {
  return testing::IdRange(b * kBatch, (b + 1) * kBatch);
}

TEST(ConcurrencyTest, ReadersSeeEveryWriteWholeOrNotAtAll) {
  testing::ScopedTempDir dir;
  DatabaseOptions options;
  options.segment_target_bytes = 4 << 10;  // merges run while readers read
  auto db = *Database::Open(dir.path(), options);
  CollectionConfig config = MakeCollectionConfig("c", kDim, 4);
  config.durability = Durability::kGroupCommit;
  // Re-ranked searches read the memory store while writes change it (rerank_store).
  config.rerank_store = RerankStore::kFloat16;
  auto collection = *db->CreateCollection(config);
  const std::vector<float> vectors = testing::RandomUnitVectors(kBatch, kDim, 1);

  std::atomic<uint64_t> written{0};
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};

  // Step s writes batch s with payload "s"; every step also rewrites batch s-1 with payload
  // "s" and every third deletes batch s-3, each as one request.
  std::thread writer([&] {
    for (uint64_t s = 0; s < kSteps; ++s) {
      std::vector<std::string> payloads(kBatch, std::to_string(s));
      ASSERT_TRUE(collection->Upsert(BatchIds(s), vectors, payloads).ok());
      if (s > 0) {
        ASSERT_TRUE(collection->Upsert(BatchIds(s - 1), vectors, payloads).ok());
      }
      if (s % 3 == 0 && s >= 3) {
        ASSERT_TRUE(collection->Delete(BatchIds(s - 3)).ok());
      }
      written = s + 1;
    }
    done = true;
  });

  auto reader = [&](uint64_t seed) {
    std::mt19937_64 gen(seed);
    SearchOptions search;
    search.k = 50;
    search.with_payloads = true;
    search.rerank = seed % 2 == 0;
    while (!done) {
      const uint64_t limit = written.load();
      if (limit == 0) continue;
      const uint64_t b = gen() % limit;
      auto records = collection->Get(BatchIds(b), false, true);
      ASSERT_TRUE(records.ok()) << records.status();
      size_t found = 0;
      for (const Record& r : *records) {
        found += r.found;
        if (r.found && r.payload != (*records)[0].payload) ++torn;
      }
      if (found != 0 && found != kBatch) ++torn;
      auto hits = collection->Search(absl::MakeConstSpan(vectors).subspan(0, kDim), search);
      ASSERT_TRUE(hits.ok()) << hits.status();
      ++reads;
    }
  };
  std::thread reader1(reader, 1), reader2(reader, 2);
  std::thread maintainer([&] {
    while (!done) {
      const CollectionInfo info = collection->Describe();
      EXPECT_LE(info.count, written.load() * kBatch + kBatch);
      ASSERT_TRUE(collection->Compact().ok());
    }
  });
  writer.join();
  reader1.join();
  reader2.join();
  maintainer.join();
  EXPECT_EQ(torn.load(), 0) << "a reader saw part of a write";
  EXPECT_GT(reads.load(), 0);
  // Batches 0..kSteps-1 minus every third one deleted (3, 6, ... are deleted at steps 6, 9, ...).
  uint64_t expected = 0;
  for (uint64_t b = 0; b < kSteps; ++b) expected += (b % 3 == 0 && b + 3 < kSteps) ? 0 : kBatch;
  EXPECT_EQ(collection->Describe().count, expected);
}

// Writers race the upsert that takes the center: a batch encoded against no center before its
// writer gets the lock must be re-encoded, so every stored code ends up relative to the center.
TEST(ConcurrencyTest, ConcurrentWritersAcrossTheAutoCenterAllEndUpCentered) {
  testing::ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  CollectionConfig config = MakeCollectionConfig("c", kDim, 2);
  config.durability = Durability::kGroupCommit;
  auto collection = *db->CreateCollection(config);
  constexpr int kWriters = 4;
  constexpr uint64_t kPerWriter = 400, kWriterBatch = 50;
  const std::vector<float> vectors = testing::RandomUnitVectors(kWriters * kPerWriter, kDim, 3);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t first = w * kPerWriter; first < (w + 1) * kPerWriter; first += kWriterBatch) {
        const auto ids = testing::IdRange(first, first + kWriterBatch);
        EXPECT_TRUE(collection
                        ->Upsert(ids, absl::MakeConstSpan(vectors).subspan(first * kDim,
                                                                           kWriterBatch * kDim))
                        .ok());
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const CollectionInfo info = collection->Describe();
  ASSERT_EQ(info.count, kWriters * kPerWriter);
  ASSERT_EQ(info.center.size(), static_cast<size_t>(kDim));
  const testing::StoredCodeCheck stored_codes(*collection);
  for (uint64_t id = 0; id < kWriters * kPerWriter; ++id) {
    ASSERT_TRUE(stored_codes.Matches(id, &vectors[id * kDim]));
  }
}

}  // namespace
}  // namespace tqdb
