// Collection and Database against a real RocksDB directory: round trips across reopen, upsert and
// delete semantics, segment merging and compaction, drop, and bad input.
#include "tqdb/collection.h"

#include <cmath>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::RandomUnitVectors;
using ::tqdb::testing::ScopedTempDir;

std::unique_ptr<Database> OpenDb(const std::string& path, const DatabaseOptions& options = {}) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

std::shared_ptr<Collection> Create(Database& db, const CollectionConfig& config) {
  absl::StatusOr<std::shared_ptr<Collection>> collection = db.CreateCollection(config);
  EXPECT_TRUE(collection.ok()) << collection.status();
  return collection.ok() ? *collection : nullptr;
}

std::vector<std::string> Payloads(absl::Span<const uint64_t> ids, const std::string& tag) {
  std::vector<std::string> payloads;
  for (uint64_t id : ids) payloads.push_back(absl::StrCat(tag, id));
  return payloads;
}

constexpr int kDim = 48;

TEST(CollectionTest, SearchGetAndCodesAreIdenticalAfterReopen) {
  ScopedTempDir dir;
  const std::vector<float> base = RandomUnitVectors(3000, kDim, 1);
  const std::vector<float> queries = RandomUnitVectors(20, kDim, 2);
  const std::vector<uint64_t> ids = IdRange(1000, 4000);
  SearchOptions options;
  options.k = 10;
  options.with_payloads = true;

  std::vector<std::vector<Record>> before;
  std::vector<StoredCode> codes_before;
  {
    auto db = OpenDb(dir.path());
    auto collection = Create(*db, MakeCollectionConfig("docs", kDim, 4, Metric::kInnerProduct));
    // Three batches, so the collection spans several segments.
    for (size_t b = 0; b < 3; ++b) {
      absl::Span<const uint64_t> batch = absl::MakeConstSpan(ids).subspan(b * 1000, 1000);
      auto result =
          collection->Upsert(batch, absl::MakeConstSpan(base).subspan(b * 1000 * kDim, 1000 * kDim),
                             Payloads(batch, "p"));
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(result->inserted, 1000);
    }
    auto results = collection->SearchBatch(queries, options);
    ASSERT_TRUE(results.ok()) << results.status();
    before = *results;
    for (uint64_t id : {1000, 2500, 3999}) codes_before.push_back(*collection->GetStoredCode(id));
  }
  auto db = OpenDb(dir.path());
  ASSERT_EQ(db->ListCollections(), std::vector<std::string>{"docs"});
  auto collection = *db->GetCollection("docs");
  EXPECT_EQ(collection->Describe().count, 3000);
  EXPECT_EQ(collection->config().metric, Metric::kInnerProduct);
  auto after = collection->SearchBatch(queries, options);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before.size());
  for (size_t q = 0; q < before.size(); ++q) {
    ASSERT_EQ((*after)[q].size(), 10);
    for (size_t i = 0; i < 10; ++i) {
      EXPECT_EQ((*after)[q][i].id, before[q][i].id);
      EXPECT_EQ((*after)[q][i].score, before[q][i].score);
      EXPECT_EQ((*after)[q][i].payload, absl::StrCat("p", before[q][i].id));
    }
  }
  int i = 0;
  for (uint64_t id : {1000, 2500, 3999}) {
    StoredCode code = *collection->GetStoredCode(id);
    EXPECT_EQ(code.code, codes_before[i].code);
    EXPECT_EQ(code.factors.norm, codes_before[i].factors.norm);
    EXPECT_EQ(code.factors.aux, codes_before[i].factors.aux);
    ++i;
  }
  auto records = collection->Get({1000, 3999, 7}, /*with_vectors=*/true, /*with_payloads=*/true);
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE((*records)[0].found);
  EXPECT_EQ((*records)[0].vector, std::vector<float>(base.begin(), base.begin() + kDim));
  EXPECT_EQ((*records)[1].payload, "p3999");
  EXPECT_FALSE((*records)[2].found);
}

TEST(CollectionTest, UpsertReplacesVectorAndPayload) {
  ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  auto collection = Create(*db, MakeCollectionConfig("c", kDim, 2, Metric::kL2));
  const std::vector<float> v = RandomUnitVectors(2, kDim, 3);
  const std::vector<float> first(v.begin(), v.begin() + kDim), second(v.begin() + kDim, v.end());
  ASSERT_TRUE(collection->Upsert({7}, first, {"old"}).ok());
  auto replaced = collection->Upsert({7}, second);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->inserted, 0);
  EXPECT_EQ(replaced->replaced, 1);
  auto records = *collection->Get({7}, true, true);
  EXPECT_EQ(records[0].vector, second);
  EXPECT_EQ(records[0].payload, "");  // a replaced vector keeps no stale payload
  EXPECT_EQ(collection->Describe().count, 1);
  // The first segment held only the replaced entry, so it was dropped at once.
  EXPECT_EQ(collection->Describe().segments, 1);
  EXPECT_EQ(collection->Describe().dead_entries, 0);

  // Searching with the new vector finds it at distance ~0 after exact re-rank.
  SearchOptions options;
  options.k = 1;
  options.rerank = true;
  auto hits = *collection->Search(second, options);
  ASSERT_EQ(hits.size(), 1);
  EXPECT_EQ(hits[0].id, 7);
  EXPECT_NEAR(hits[0].score, 0.0f, 1e-6);
}

TEST(CollectionTest, DeleteIsImmediateIdempotentAndDurable) {
  ScopedTempDir dir;
  const std::vector<float> base = RandomUnitVectors(200, kDim, 4);
  const std::vector<uint64_t> ids = IdRange(0, 200);
  {
    auto db = OpenDb(dir.path());
    auto collection = Create(*db, MakeCollectionConfig("c", kDim, 4));
    ASSERT_TRUE(collection->Upsert(ids, base).ok());
    auto deleted = collection->Delete({5, 5, 6, 999});
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(deleted->deleted, 2);  // repeated and absent ids are not errors
    EXPECT_EQ(collection->Delete({5})->deleted, 0);
    SearchOptions options;
    options.k = 1;
    auto hits = *collection->Search(absl::MakeConstSpan(base).subspan(5 * kDim, kDim), options);
    EXPECT_NE(hits[0].id, 5);
  }
  auto db = OpenDb(dir.path());
  auto collection = *db->GetCollection("c");
  EXPECT_EQ(collection->Describe().count, 198);
  auto records = *collection->Get({4, 5, 6}, true, false);
  EXPECT_TRUE(records[0].found);
  EXPECT_FALSE(records[1].found);
  EXPECT_FALSE(records[2].found);
  SearchOptions options;
  options.k = 198;
  const std::vector<Record> hits =
      *collection->Search(absl::MakeConstSpan(base).subspan(0, kDim), options);
  for (const Record& hit : hits) {
    EXPECT_NE(hit.id, 5);
    EXPECT_NE(hit.id, 6);
  }
}

TEST(CollectionTest, SmallSegmentsMergeAndCompactionReclaimsSpace) {
  ScopedTempDir dir;
  DatabaseOptions db_options;
  db_options.segment_target_bytes = 16 << 10;  // force many merges
  const std::vector<float> base = RandomUnitVectors(4000, kDim, 5);
  std::vector<std::vector<Record>> before;
  const std::vector<float> queries = RandomUnitVectors(5, kDim, 6);
  SearchOptions options;
  options.k = 20;
  {
    auto db = OpenDb(dir.path(), db_options);
    auto collection = Create(*db, MakeCollectionConfig("c", kDim, 4));
    for (uint64_t b = 0; b < 200; ++b) {
      const std::vector<uint64_t> ids = IdRange(b * 20, b * 20 + 20);
      ASSERT_TRUE(
          collection->Upsert(ids, absl::MakeConstSpan(base).subspan(b * 20 * kDim, 20 * kDim))
              .ok());
    }
    const CollectionInfo merged = collection->Describe();
    EXPECT_EQ(merged.count, 4000);
    // 200 upserts without merging would be 200 segments.
    EXPECT_LT(merged.segments, 40) << "segments were not merged";
    ASSERT_TRUE(collection->Compact().ok());
    const uint64_t full_bytes = collection->Describe().bytes_on_disk;

    ASSERT_TRUE(collection->Delete(IdRange(0, 3000)).ok());
    ASSERT_TRUE(collection->Compact().ok());
    const CollectionInfo compacted = collection->Describe();
    EXPECT_EQ(compacted.count, 1000);
    EXPECT_EQ(compacted.dead_entries, 0);
    EXPECT_LT(compacted.bytes_on_disk, full_bytes / 2)
        << "full " << full_bytes << " after deleting 3/4: " << compacted.bytes_on_disk;
    before = *collection->SearchBatch(queries, options);
  }
  auto db = OpenDb(dir.path(), db_options);
  auto collection = *db->GetCollection("c");
  EXPECT_EQ(collection->Describe().count, 1000);
  auto after = *collection->SearchBatch(queries, options);
  for (size_t q = 0; q < before.size(); ++q) {
    for (size_t i = 0; i < before[q].size(); ++i) {
      EXPECT_EQ(after[q][i].id, before[q][i].id);
      EXPECT_GE(after[q][i].id, 3000);
    }
  }
}

TEST(CollectionTest, ConfigComesFromDiskAndLayoutChangesAreRefused) {
  ScopedTempDir dir;
  CollectionConfig config = MakeCollectionConfig("c", 32, 3, Metric::kL2);
  ASSERT_TRUE(ApplyVariantName("prod", &config.quantizer).ok());
  config.quantizer.seed = 42;
  config.store_vectors = false;
  config.durability = Durability::kGroupCommit;
  {
    auto db = OpenDb(dir.path());
    Create(*db, config);
  }
  auto db = OpenDb(dir.path());
  auto collection = *db->GetCollection("c");
  EXPECT_TRUE(SameDataLayout(collection->config(), config));
  EXPECT_EQ(collection->config().durability, Durability::kGroupCommit);

  EXPECT_EQ(db->CreateCollection(config).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(db->CreateCollection(config, /*if_not_exists=*/true).ok());
  CollectionConfig other = config;
  other.quantizer.dim = 64;
  absl::Status status = db->CreateCollection(other, true).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("dim=32"), absl::string_view::npos) << status;
  other = config;
  other.quantizer.bits = 4;
  EXPECT_EQ(db->CreateCollection(other, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CollectionTest, BadInputGetsClearErrorsAndChangesNothing) {
  ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  CollectionConfig config = MakeCollectionConfig("c", 4, 4);
  config.store_vectors = false;
  auto collection = Create(*db, config);
  const std::vector<float> good = {1, 2, 3, 4, 4, 3, 2, 1};
  ASSERT_TRUE(collection->Upsert({1, 2}, good).ok());
  const auto invalid = absl::StatusCode::kInvalidArgument;

  EXPECT_EQ(collection->Upsert({3}, {1, 2, 3}).status().code(), invalid);  // wrong dimension
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(collection->Upsert({3}, {1, nan, 3, 4}).status().code(), invalid);
  EXPECT_EQ(collection->Upsert({3}, {1, 2, inf, 4}).status().code(), invalid);
  EXPECT_EQ(collection->Upsert({3, 3}, good).status().code(), invalid);  // duplicate ids
  EXPECT_EQ(collection->Upsert({}, {}).status().code(), invalid);
  EXPECT_EQ(collection->Upsert({3, 4}, good, {"only one"}).status().code(), invalid);
  EXPECT_EQ(collection->Upsert({3}, {1, 2, 3, 4}, {std::string(kMaxPayloadBytes + 1, 'x')})
                .status()
                .code(),
            invalid);
  EXPECT_EQ(collection->Delete({}).status().code(), invalid);
  EXPECT_EQ(collection->Get({}, false, false).status().code(), invalid);

  SearchOptions options;
  const std::vector<float> query = {1, 0, 0, 0};
  options.k = 0;
  EXPECT_EQ(collection->Search(query, options).status().code(), invalid);
  options.k = kMaxSearchK + 1;
  EXPECT_EQ(collection->Search(query, options).status().code(), invalid);
  options.k = 5;
  EXPECT_EQ(collection->Search({1, 0, 0}, options).status().code(), invalid);
  EXPECT_EQ(collection->Search({0, 0, 0, 0}, options).status().code(), invalid);  // zero cosine
  EXPECT_EQ(collection->Search({nan, 0, 0, 0}, options).status().code(), invalid);
  options.rerank = true;  // needs stored vectors
  EXPECT_EQ(collection->Search(query, options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(collection->Get({1}, /*with_vectors=*/true, false).status().code(),
            absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(db->GetCollection("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db->DropCollection("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(db->CreateCollection(MakeCollectionConfig("bad name", 4, 4)).status().code(), invalid);
  EXPECT_EQ(db->CreateCollection(MakeCollectionConfig("", 4, 4)).status().code(), invalid);
  EXPECT_EQ(db->CreateCollection(MakeCollectionConfig("d", 0, 4)).status().code(), invalid);
  EXPECT_EQ(db->CreateCollection(MakeCollectionConfig("d", kMaxDimension + 1, 4)).status().code(),
            invalid);
  EXPECT_EQ(db->CreateCollection(MakeCollectionConfig("d", 4, 12)).status().code(), invalid);

  // Nothing above changed the stored data.
  EXPECT_EQ(collection->Describe().count, 2);
  options.rerank = false;
  auto hits = collection->Search(query, options);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), 2);
}

TEST(CollectionTest, DropWhileSearchingIsSafeAndRemovesEverything) {
  ScopedTempDir dir;
  const std::vector<float> base = RandomUnitVectors(2000, kDim, 7);
  {
    auto db = OpenDb(dir.path());
    auto collection = Create(*db, MakeCollectionConfig("c", kDim, 4));
    ASSERT_TRUE(collection->Upsert(IdRange(0, 2000), base, Payloads(IdRange(0, 2000), "x")).ok());
    std::atomic<bool> stop = false;
    std::atomic<int> ok = 0, not_found = 0;
    std::thread searcher([&] {
      SearchOptions options;
      options.with_payloads = true;
      while (!stop) {
        auto hits = collection->Search(absl::MakeConstSpan(base).subspan(0, kDim), options);
        if (hits.ok()) {
          ++ok;
        } else {
          EXPECT_EQ(hits.status().code(), absl::StatusCode::kNotFound) << hits.status();
          ++not_found;
        }
      }
    });
    while (ok == 0) std::this_thread::yield();
    ASSERT_TRUE(db->DropCollection("c").ok());
    while (not_found == 0) std::this_thread::yield();
    stop = true;
    searcher.join();
    EXPECT_EQ(collection->Upsert({1}, absl::MakeConstSpan(base).subspan(0, kDim)).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(db->GetCollection("c").status().code(), absl::StatusCode::kNotFound);
    // The name is free again, and the new collection starts empty.
    auto again = Create(*db, MakeCollectionConfig("c", kDim, 2));
    EXPECT_EQ(again->Describe().count, 0);
  }
  auto db = OpenDb(dir.path());
  auto collection = *db->GetCollection("c");
  EXPECT_EQ(collection->Describe().count, 0);
  EXPECT_EQ(collection->config().quantizer.bits, 2);
  EXPECT_FALSE((*collection->Get({1}, false, true))[0].found);
}

TEST(CollectionTest, GroupCommitWritesSurviveReopen) {
  ScopedTempDir dir;
  const std::vector<float> base = RandomUnitVectors(100, kDim, 8);
  {
    DatabaseOptions options;
    options.group_commit_interval_ms = 1;
    auto db = OpenDb(dir.path(), options);
    CollectionConfig config = MakeCollectionConfig("c", kDim, 4);
    config.durability = Durability::kGroupCommit;
    auto collection = Create(*db, config);
    WriteOptions sync;
    sync.durability = Durability::kSync;
    ASSERT_TRUE(
        collection->Upsert(IdRange(0, 50), absl::MakeConstSpan(base).subspan(0, 50 * kDim)).ok());
    ASSERT_TRUE(collection
                    ->Upsert(IdRange(50, 100),
                             absl::MakeConstSpan(base).subspan(50 * kDim, 50 * kDim), {}, sync)
                    .ok());
  }
  auto db = OpenDb(dir.path());
  EXPECT_EQ((*db->GetCollection("c"))->Describe().count, 100);
}

TEST(CollectionTest, ReRankUsesStoredVectorsAndReturnsThem) {
  ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  const std::vector<float> base = RandomUnitVectors(1000, kDim, 9);
  auto collection = Create(*db, MakeCollectionConfig("c", kDim, 2, Metric::kCosine));
  ASSERT_TRUE(collection->Upsert(IdRange(0, 1000), base).ok());
  SearchOptions options;
  options.k = 5;
  options.rerank = true;
  options.rerank_candidates = 1000;  // every vector: the exact top-5
  options.with_vectors = true;
  const std::vector<float> query = RandomUnitVectors(1, kDim, 10);
  auto hits = *collection->Search(query, options);
  ASSERT_EQ(hits.size(), 5);
  std::vector<std::pair<double, uint64_t>> exact;
  for (uint64_t id = 0; id < 1000; ++id) {
    double dot = 0;
    for (int j = 0; j < kDim; ++j) dot += double{query[j]} * base[id * kDim + j];
    exact.emplace_back(-dot, id);
  }
  std::sort(exact.begin(), exact.end());
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(hits[i].id, exact[i].second);
    EXPECT_NEAR(hits[i].score, -exact[i].first, 1e-5);
    EXPECT_EQ(hits[i].vector, std::vector<float>(base.begin() + hits[i].id * kDim,
                                                 base.begin() + (hits[i].id + 1) * kDim));
  }
}

TEST(DatabaseTest, SecondOpenOfTheSameDirectoryIsRefused) {
  ScopedTempDir dir;
  auto db = OpenDb(dir.path());
  absl::StatusOr<std::unique_ptr<Database>> second = Database::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
}

// Issue "RAM holds the codes": the in-memory index grows by the code, its factors and the id
// map per vector, never by the floats (they stay in RocksDB, read through its cache).
TEST(CollectionTest, MemoryGrowsWithCodeBytesNotFloatBytes) {
  ScopedTempDir dir;
  constexpr int kWideDim = 512;  // 2 KiB of floats per vector against 256 code bytes
  const std::vector<float> base = RandomUnitVectors(8000, kWideDim, 11);
  const std::vector<uint64_t> ids = IdRange(0, 8000);
  size_t code_bytes = 0;
  auto memory_after_reopen = [&](size_t count) {
    {
      auto db = OpenDb(dir.path());
      absl::StatusOr<std::shared_ptr<Collection>> collection = db->GetCollection("wide");
      if (!collection.ok()) {
        collection = db->CreateCollection(MakeCollectionConfig("wide", kWideDim, 4));
      }
      EXPECT_TRUE(collection.ok()) << collection.status();
      const size_t stored = (*collection)->count();
      EXPECT_TRUE((*collection)
                      ->Upsert(absl::MakeConstSpan(ids).subspan(stored, count - stored),
                               absl::MakeConstSpan(base).subspan(stored * kWideDim,
                                                                 (count - stored) * kWideDim))
                      .ok());
    }
    auto db = OpenDb(dir.path());
    const CollectionInfo info = (*db->GetCollection("wide"))->Describe();
    EXPECT_EQ(info.count, count);
    code_bytes = info.code_bytes;
    EXPECT_EQ(info.memory.vectors, 0u) << "no float vectors in memory";
    return info.memory;
  };
  const IndexMemory small = memory_after_reopen(2000);
  const IndexMemory large = memory_after_reopen(8000);
  const double per_vector = static_cast<double>(large.total() - small.total()) / 6000;
  EXPECT_EQ(code_bytes, kWideDim / 2u);
  // Codes, 8 bytes of factors, the 8-byte id, its segment (8) and a slot in the id set (4 + 1
  // bytes at a load between 7/16 and 7/8): 256 + 8 + 16 + at most 12.
  EXPECT_GE(per_vector, code_bytes + 8 + 16);
  EXPECT_LE(per_vector, code_bytes + 8 + 16 + 12);
  // One copy, shrunk to fit after loading (plus a pointer and a size per chunk of blocks).
  EXPECT_GE(large.codes, 8000 * code_bytes);
  EXPECT_LE(large.codes, 8000 * code_bytes + 64);
  EXPECT_LT(per_vector, 0.2 * kWideDim * sizeof(float));
}

}  // namespace
}  // namespace tqdb
