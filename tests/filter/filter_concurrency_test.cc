// Filtered searches and counts while writes replace payloads and delete points, and payload
// indexes built while a writer rewrites every payload (runs under ThreadSanitizer too): every
// answer is one the collection held at some moment, never an error, and the indexes end up equal
// to the payloads.
#include <algorithm>
#include <atomic>
#include <random>
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
  // The indexes are built while a writer rewrites every payload, round after round: each build
  // must catch up with the rounds committed while it read its snapshot.
  std::atomic<int> round{0};
  std::thread writer([&] {
    for (int r = 1; r <= 8; ++r) {
      if (!collection->Upsert(IdRange(0, kPoints), vectors, Payloads(0, kPoints, r)).ok()) ++errors;
      round = r;
    }
  });
  while (round.load() < 1) std::this_thread::yield();
  EXPECT_TRUE(collection->CreatePayloadIndex({"hot", PayloadIndexType::kBool}).ok());
  EXPECT_TRUE(collection->CreatePayloadIndex({"round", PayloadIndexType::kInteger}).ok());
  writer.join();
  // Every point is in round 8, and the indexes say so.
  const Filter last_round =
      *Filter::Parse(R"({"must": [{"key": "round", "match": {"value": 8}}]})");
  EXPECT_EQ(*collection->Count(last_round), kPoints);
  EXPECT_EQ(*collection->Count(hot), 100u);
  ASSERT_TRUE(collection->Delete(IdRange(0, 100)).ok());
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(*collection->Count(hot), 90u);
  EXPECT_EQ(collection->Describe().payload_indexes.size(), 2u);
}

TEST(FilterConcurrencyTest, AnIndexBuiltDuringWritesEqualsThePayloads) {
  // A writer keeps moving points between tags while the index is built from a snapshot: the
  // built index must take in every write made between that snapshot and its switch.
  constexpr uint64_t kMany = 20000;
  constexpr int kTags = 5;
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  auto collection = *db->CreateCollection(MakeCollectionConfig("c", kDim, 4));
  const std::vector<float> vectors = testing::RandomUnitVectors(kMany, kDim, 6);
  std::vector<int> tag_of(kMany, 0);
  std::vector<std::string> payloads(kMany, R"({"tag": 0})");
  ASSERT_TRUE(collection->Upsert(IdRange(0, kMany), vectors, payloads).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    std::mt19937 gen(8);
    while (!stop.load()) {
      const uint64_t id = gen() % kMany;
      const int tag = static_cast<int>(gen() % kTags);
      if (collection
              ->Upsert({id}, absl::MakeConstSpan(vectors).subspan(id * kDim, kDim),
                       {absl::StrCat(R"({"tag": )", tag, "}")})
              .ok()) {
        tag_of[id] = tag;  // only this thread writes; read after join
        ++writes;
      }
    }
  });
  while (writes.load() < 5) std::this_thread::yield();
  ASSERT_TRUE(collection->CreatePayloadIndex({"tag", PayloadIndexType::kInteger}).ok());
  const int during = writes.load();
  while (writes.load() < during + 5) std::this_thread::yield();
  stop = true;
  writer.join();
  for (int tag = 0; tag < kTags; ++tag) {
    const Filter filter = *Filter::Parse(
        absl::StrCat(R"({"must": [{"key": "tag", "match": {"value": )", tag, "}}]}"));
    EXPECT_EQ(*collection->Count(filter),
              static_cast<size_t>(std::count(tag_of.begin(), tag_of.end(), tag)))
        << "tag " << tag;
  }
}

}  // namespace
}  // namespace tqdb
