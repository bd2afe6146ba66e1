// Filtered searches and counts while writes replace payloads and delete points, with payload
// indexes built meanwhile (runs under ThreadSanitizer too): every answer is one the collection
// held at some moment, and never an error.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"
#include "tqdb/filter.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

constexpr int kDim = 16;
constexpr uint64_t kPoints = 1000;

std::vector<std::string> Payloads(uint64_t first, uint64_t n, int round) {
  std::vector<std::string> payloads;
  for (uint64_t id = first; id < first + n; ++id) {
    // Exactly one point in ten is "hot" in every round.
    payloads.push_back(absl::StrCat(R"({"hot": )", (id + round) % 10 == 0 ? "true" : "false",
                                    R"(, "round": )", round, "}"));
  }
  return payloads;
}

TEST(FilterConcurrencyTest, FilteredReadsDuringWritesAndIndexBuilds) {
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  const std::vector<float> vectors = testing::RandomUnitVectors(kPoints, kDim, 5);
  ASSERT_TRUE(collection->Upsert(IdRange(0, kPoints), vectors, Payloads(0, kPoints, 0)).ok());
  const Filter hot = *Filter::Parse(R"({"must": [{"key": "hot", "match": {"value": true}}]})");
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      const std::vector<float> query = testing::RandomUnitVectors(1, kDim, 100 + t);
      SearchOptions options;
      options.k = 5;
      options.rerank = true;
      options.filter = &hot;
      while (!done.load()) {
        absl::StatusOr<size_t> count = collection->Count(hot);
        // Whole rounds replace all points; deletes remove at most 100 points, 10 of them hot.
        if (!count.ok() || *count < 90 || *count > 100) ++errors;
        absl::StatusOr<std::vector<Record>> hits = collection->Search(query, options);
        if (!hits.ok() || hits->size() != 5) ++errors;
      }
    });
  }
  for (int round = 1; round <= 6; ++round) {
    ASSERT_TRUE(collection->Upsert(IdRange(0, kPoints), vectors, Payloads(0, kPoints, round)).ok());
    if (round == 2) {
      ASSERT_TRUE(collection->CreatePayloadIndex({"hot", PayloadIndexType::kBool}).ok());
    }
    if (round == 4) {
      ASSERT_TRUE(collection->CreatePayloadIndex({"round", PayloadIndexType::kInteger}).ok());
    }
  }
  ASSERT_TRUE(collection->Delete(IdRange(0, 100)).ok());
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(*collection->Count(hot), 90u);
}

}  // namespace
}  // namespace tqdb
