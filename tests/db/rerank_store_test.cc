// The memory and mapped re-rank stores (CollectionConfig::rerank_store): the half-precision
// conversion, the mapped file's rows, the store against a model, and collections whose re-rank
// reads memory or a mapped file instead of RocksDB, checked
// against a collection that reads RocksDB (same data, same queries) through writes, deletes
// and a reopen that rebuilds the store from RocksDB.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "db/rerank_vectors.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::tqdb::testing::IdRange;
using ::tqdb::testing::ScopedTempDir;

// The mapped file's rows: written rows read back across chunks, rows added after a shrink read
// as zero (in a chunk still held, and in one freed and mapped again), and the file has no name
// in the directory, during its life or after.
TEST(MappedRowsTest, RowsReadBackAndNewRowsReadAsZeroAcrossChunks) {
  ScopedTempDir dir;
  auto rows = MappedRows::Create(dir.path(), 12, /*keep_free=*/0, /*chunk_rows=*/8);
  ASSERT_TRUE(rows.ok()) << rows.status();
  MappedRows& m = **rows;
  m.Resize(30);  // four chunks
  for (size_t i = 0; i < 30; ++i) {
    const std::vector<uint8_t> row(12, static_cast<uint8_t>(i + 1));
    m.Write(i, row.data());
  }
  m.Copy(29, 28);  // the last row into a hole, as a removal does
  EXPECT_EQ(m.slot(28)[11], 30);
  for (size_t i = 0; i < 28; ++i) {
    for (size_t b = 0; b < 12; ++b) ASSERT_EQ(m.slot(i)[b], i + 1) << i;
  }
  EXPECT_EQ(m.MappedBytes(), 4u * 8 * 12);  // in the file: the disk had room
  m.Resize(5);                              // frees chunks 1-3, keeps rows 5-7 of chunk 0 held
  m.Resize(20);                             // rows 5-19 come back as zeros
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(m.slot(i)[0], i + 1);
  EXPECT_EQ(m.MappedBytes(), 3u * 8 * 12);
  for (size_t i = 5; i < 20; ++i) {
    for (size_t b = 0; b < 12; ++b) ASSERT_EQ(m.slot(i)[b], 0) << i;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  rows->reset();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_FALSE(MappedRows::Create(dir.path() + "/missing", 12, 0).ok());
  // A chunk that would leave the disk less free than asked stays in memory.
  auto in_memory = MappedRows::Create(dir.path(), 12, /*keep_free=*/uint64_t{1} << 62);
  ASSERT_TRUE(in_memory.ok());
  (*in_memory)->Resize(3);
  const std::vector<uint8_t> row(12, 7);
  (*in_memory)->Write(2, row.data());
  EXPECT_EQ((*in_memory)->slot(2)[11], 7);
  EXPECT_EQ((*in_memory)->MappedBytes(), 0u);
  EXPECT_GE((*in_memory)->MemoryBytes(), 3u * 12);
}

TEST(RerankVectorsTest, FollowsAModelThroughPutsAndRemoves) {
  const int d = 20;
  ScopedTempDir dir;
  for (RerankStore store :
       {RerankStore::kFloat32, RerankStore::kFloat16, RerankStore::kInt8, RerankStore::kMapped}) {
    SCOPED_TRACE(RerankStoreName(store));
    auto created = RerankVectors::Create(store, d, dir.path(), /*keep_free=*/0);
    ASSERT_TRUE(created.ok()) << created.status();
    RerankVectors& vectors = **created;
    std::map<uint64_t, std::vector<float>> model;
    std::mt19937 gen(2);
    std::normal_distribution<float> normal(0, 1e3);
    for (int step = 0; step < 3000; ++step) {
      const uint64_t id = gen() % 400;
      if (gen() % 4 == 0) {
        vectors.Remove({id});
        model.erase(id);
      } else {
        std::vector<float> v(d);
        for (float& x : v) x = normal(gen);
        vectors.Put({id}, v);
        model[id] = v;
      }
    }
    ASSERT_EQ(vectors.size(), model.size());
    std::vector<float> buffer(d);
    for (const auto& [id, v] : model) {
      const float* row = vectors.Find(id, buffer.data());
      ASSERT_NE(row, nullptr);
      float scale = 0;
      for (float x : v) scale = std::max(scale, std::abs(x));
      // f32 and mmap exact; f16 within half an ulp of x / s; int8 within half a step of s / 127.
      const float bound = store == RerankStore::kFloat32 || store == RerankStore::kMapped ? 0
                          : store == RerankStore::kFloat16 ? scale * std::ldexp(1.0f, -11)
                                                           : scale / 127 * 0.5001f;
      for (int j = 0; j < d; ++j) EXPECT_LE(std::abs(row[j] - v[j]), bound) << id << " " << j;
    }
    EXPECT_EQ(vectors.Find(1000, buffer.data()), nullptr);
    const size_t row_bytes = model.size() * d * (store == RerankStore::kInt8 ? 1 : 2);
    if (store == RerankStore::kMapped) {
      EXPECT_GE(vectors.MappedBytes(), model.size() * d * 4);
      EXPECT_LT(vectors.MemoryBytes(), row_bytes);  // the id map only
    } else {
      EXPECT_GT(vectors.MemoryBytes(), row_bytes);
      EXPECT_EQ(vectors.MappedBytes(), 0u);
    }
  }
}

// A load of consecutive ids puts id first + r in row r, and Find tries that row first; removals
// move the last row into the hole and ids outside the run land anywhere, so every lookup must
// still find its own row or nothing.
TEST(RerankVectorsTest, FindsEveryRowWhenRowsNoLongerFollowTheIds) {
  const int d = 4;
  ScopedTempDir dir;
  auto created = RerankVectors::Create(RerankStore::kFloat32, d, dir.path(), /*keep_free=*/0);
  ASSERT_TRUE(created.ok()) << created.status();
  RerankVectors& vectors = **created;
  std::map<uint64_t, float> model;  // id -> its vector's first value
  std::vector<uint64_t> ids;
  std::vector<float> rows;
  for (uint64_t id = 1000; id < 2000; ++id) {
    ids.push_back(id);
    for (int j = 0; j < d; ++j) rows.push_back(static_cast<float>(id) + j);
    model[id] = static_cast<float>(id);
  }
  vectors.Put(ids, rows);
  EXPECT_EQ(*vectors.RowOf(1500), 500u);
  // Row 0 (id 1000) and others taken by the last rows; ids below and above the run.
  vectors.Remove({1000, 1500, 1998});
  for (uint64_t id : {1000, 1500, 1998}) model.erase(id);
  for (uint64_t id : {uint64_t{3}, uint64_t{2001}, uint64_t{1} << 40}) {
    vectors.Put({id}, std::vector<float>(d, static_cast<float>(id)));
    model[id] = static_cast<float>(id);
  }
  std::vector<float> buffer(d);
  for (const auto& [id, first] : model) {
    const float* row = vectors.Find(id, buffer.data());
    ASSERT_NE(row, nullptr) << id;
    EXPECT_EQ(row[0], first) << id;
  }
  for (uint64_t absent : {uint64_t{1000}, uint64_t{1500}, uint64_t{999}, uint64_t{2999}}) {
    EXPECT_EQ(vectors.Find(absent, buffer.data()), nullptr) << absent;
    EXPECT_FALSE(vectors.RowOf(absent).has_value()) << absent;
  }
}

// Two collections over the same GloVe rows, one re-ranking from RocksDB and one from memory:
// f32 gives identical results (ids, scores, order), f16 and int8 nearly the same ids; both
// follow deletes and replacements, and after a reopen (the store rebuilt from RocksDB) return
// what they returned before. with_vectors returns the exact stored floats either way.
TEST(RerankStoreTest, MemoryAndMappedStoresMatchTheDiskReRankThroughWritesAndReopen) {
  std::vector<float> base, queries;
  testing::SplitGloveFixture(50, &base, &queries);
  const int d = 100;
  const size_t n = base.size() / d;
  const std::vector<uint64_t> ids = IdRange(0, n);
  // New vectors for ids 0..99: rows 100..199 moved a little (not copies, which would tie).
  std::vector<float> replacements(100 * d);
  for (size_t j = 0; j < replacements.size(); ++j) {
    replacements[j] = base[100 * d + j] + 0.05f * base[400 * d + j];
  }
  SearchOptions options;
  options.k = 10;
  options.rerank = true;
  options.rerank_candidates = 50;
  for (RerankStore store :
       {RerankStore::kFloat32, RerankStore::kFloat16, RerankStore::kInt8, RerankStore::kMapped}) {
    SCOPED_TRACE(RerankStoreName(store));
    ScopedTempDir dir;
    std::vector<std::vector<Record>> memory_before;
    {
      auto db = *Database::Open(dir.path());
      CollectionConfig disk_config = MakeCollectionConfig("disk", d, 4);
      CollectionConfig memory_config = MakeCollectionConfig("memory", d, 4);
      memory_config.rerank_store = store;
      auto disk = *db->CreateCollection(disk_config);
      auto memory = *db->CreateCollection(memory_config);
      for (auto* c : {&disk, &memory}) {
        ASSERT_TRUE((*c)->Upsert(ids, base).ok());
        // Replace the first 100 rows, delete 100 more.
        ASSERT_TRUE((*c)->Upsert(IdRange(0, 100), replacements).ok());
        ASSERT_TRUE((*c)->Delete(IdRange(200, 300)).ok());
      }
      auto expected = *disk->SearchBatch(queries, options);
      memory_before = *memory->SearchBatch(queries, options);
      size_t shared = 0, total = 0;
      for (size_t q = 0; q < expected.size(); ++q) {
        ASSERT_EQ(memory_before[q].size(), expected[q].size());
        std::set<uint64_t> want;
        for (const Record& r : expected[q]) want.insert(r.id);
        for (size_t i = 0; i < expected[q].size(); ++i) {
          const Record& got = memory_before[q][i];
          EXPECT_FALSE(got.id >= 200 && got.id < 300) << "deleted id " << got.id << " returned";
          shared += want.count(got.id);
          ++total;
          if (store == RerankStore::kFloat32 || store == RerankStore::kMapped) {
            EXPECT_EQ(got.id, expected[q][i].id);
            EXPECT_EQ(got.score, expected[q][i].score);
          } else {
            EXPECT_NEAR(got.score, expected[q][i].score, 0.02);
          }
        }
      }
      EXPECT_GE(static_cast<double>(shared) / total, store == RerankStore::kInt8 ? 0.97 : 0.99);
      // with_vectors: the exact stored floats.
      SearchOptions with_vectors = options;
      with_vectors.with_vectors = true;
      auto records = *memory->Search(absl::MakeConstSpan(queries).subspan(0, d), with_vectors);
      for (const Record& r : records) {
        ASSERT_EQ(r.vector.size(), static_cast<size_t>(d));
        const float* stored = r.id < 100 ? &replacements[r.id * d] : &base[r.id * d];
        EXPECT_TRUE(std::equal(r.vector.begin(), r.vector.end(), stored));
      }
      const size_t row_bytes = store == RerankStore::kFloat32   ? 4 * d
                               : store == RerankStore::kFloat16 ? 2 * d + 4
                                                                : d + 4;
      if (store == RerankStore::kMapped) {  // the rows are in the file, counted on disk
        EXPECT_LT(memory->Describe().memory.vectors, (n - 100) * 4 * d);
        EXPECT_GE(memory->Describe().rerank_file_bytes, (n - 100) * 4 * d);
      } else {
        EXPECT_GE(memory->Describe().memory.vectors, (n - 100) * row_bytes);
        EXPECT_EQ(memory->Describe().rerank_file_bytes, 0u);
      }
      EXPECT_EQ(disk->Describe().memory.vectors, 0u);
    }
    auto db = *Database::Open(dir.path());
    auto memory = *db->GetCollection("memory");
    EXPECT_EQ(memory->config().rerank_store, store);
    auto after = *memory->SearchBatch(queries, options);
    for (size_t q = 0; q < after.size(); ++q) {
      ASSERT_EQ(after[q].size(), memory_before[q].size());
      for (size_t i = 0; i < after[q].size(); ++i) {
        EXPECT_EQ(after[q][i].id, memory_before[q][i].id)
            << "query " << q << " rank " << i << " score " << after[q][i].score << " vs "
            << memory_before[q][i].score;
        EXPECT_EQ(after[q][i].score, memory_before[q][i].score);
      }
    }
  }
}

TEST(RerankStoreTest, AMemoryStoreNeedsStoredVectors) {
  ScopedTempDir dir;
  auto db = *Database::Open(dir.path());
  CollectionConfig config = MakeCollectionConfig("c", 8, 4);
  config.store_vectors = false;
  config.rerank_store = RerankStore::kFloat16;
  EXPECT_EQ(db->CreateCollection(config).status().code(), absl::StatusCode::kInvalidArgument);
  RerankStore parsed;
  EXPECT_TRUE(ParseRerankStore("int8", &parsed).ok());
  EXPECT_EQ(parsed, RerankStore::kInt8);
  EXPECT_TRUE(ParseRerankStore("mmap", &parsed).ok());
  EXPECT_EQ(parsed, RerankStore::kMapped);
  config.rerank_store = RerankStore::kMapped;
  EXPECT_EQ(db->CreateCollection(config).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseRerankStore("f64", &parsed).ok());
}

}  // namespace
}  // namespace tqdb
