// storage::CollectionStore and storage::Catalog against a real RocksDB directory: what a batch
// writes is what loading, MultiGet and the catalog read back, collections do not see each other's
// data, and drop removes all of it.
#include "db/storage/collection_store.h"

#include <map>

#include "db/storage/catalog.h"
#include "db/storage/store.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb::storage {
namespace {

using ::tqdb::testing::ScopedTempDir;

constexpr size_t kCodeBytes = 3;
constexpr int kDim = 2;

std::string Segment(const std::vector<uint64_t>& ids) {
  std::vector<uint8_t> codes(ids.size() * kCodeBytes);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i);
  std::vector<VectorFactors> factors(ids.size(), VectorFactors{1, 2});
  return EncodeSegment(ids, codes, factors, kCodeBytes);
}

// Segment number -> (ids, dead ids) as loading sees them.
std::map<uint64_t, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> LoadAll(
    const CollectionStore& store) {
  std::map<uint64_t, std::pair<std::vector<uint64_t>, std::vector<uint64_t>>> out;
  EXPECT_TRUE(store
                  .ForEachSegment(kCodeBytes,
                                  [&](const CollectionStore::LoadedSegment& segment) {
                                    auto& [ids, dead] = out[segment.number];
                                    ids = segment.view.ids;
                                    for (uint64_t id : ids) {
                                      if (segment.dead != nullptr && segment.dead->contains(id)) {
                                        dead.push_back(id);
                                      }
                                    }
                                    return absl::OkStatus();
                                  })
                  .ok());
  return out;
}

class CollectionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.path(), StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *store;
  }
  ScopedTempDir dir_;
  std::shared_ptr<Store> store_;
};

TEST_F(CollectionStoreTest, LoadingSeesSegmentsInOrderWithTheirDeadMarks) {
  CollectionStore a(store_, 1, "a"), b(store_, 2, "b");
  CollectionStore::Batch batch = a.NewBatch();
  batch.PutSegment(7, Segment({10, 11, 12}));
  batch.PutSegment(3, Segment({20}));
  batch.MarkDead(7, 11);
  ASSERT_TRUE(a.Write(&batch, Durability::kSync).ok());
  CollectionStore::Batch other = b.NewBatch();
  other.PutSegment(1, Segment({10}));
  ASSERT_TRUE(b.Write(&other, Durability::kSync).ok());

  const auto loaded = LoadAll(a);
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded.begin()->first, 3u);  // numeric order
  EXPECT_EQ(loaded.at(7).first, (std::vector<uint64_t>{10, 11, 12}));
  EXPECT_EQ(loaded.at(7).second, (std::vector<uint64_t>{11}));
  EXPECT_TRUE(loaded.at(3).second.empty());
  EXPECT_EQ(LoadAll(b).size(), 1u);
  EXPECT_EQ(*a.ReadSegmentIds(7, kCodeBytes), (std::vector<uint64_t>{10, 11, 12}));
  EXPECT_EQ(a.ReadSegmentIds(5, kCodeBytes).status().code(), absl::StatusCode::kNotFound);

  // Deleting a segment takes its dead marks with it.
  CollectionStore::Batch rewrite = a.NewBatch();
  rewrite.DeleteSegment(7);
  rewrite.PutSegment(8, Segment({10, 12}));
  ASSERT_TRUE(a.Write(&rewrite, Durability::kGroupCommit).ok());
  const auto rewritten = LoadAll(a);
  EXPECT_EQ(rewritten.count(7), 0u);
  EXPECT_TRUE(rewritten.at(8).second.empty());
}

TEST_F(CollectionStoreTest, RecordsReadBackAsOfTheirSnapshot) {
  CollectionStore a(store_, 1, "a");
  CollectionStore::Batch batch = a.NewBatch();
  batch.PutVector(5, std::vector<float>{1.5f, -2});
  batch.PutPayload(5, "five");
  batch.PutVector(6, std::vector<float>{3, 4});
  ASSERT_TRUE(a.Write(&batch, Durability::kSync).ok());
  const ReadView before = a.Snapshot();
  CollectionStore::Batch remove = a.NewBatch();
  remove.DeleteRecord(5);
  ASSERT_TRUE(a.Write(&remove, Durability::kSync).ok());

  const auto vectors = a.ReadVectors({5, 6}, kDim, before);
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  EXPECT_EQ((*vectors)[0], (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(*a.ReadPayloads({5, 6}, before), (std::vector<std::string>{"five", ""}));
  // Now 5 is gone: a missing vector is damage, a missing payload is none.
  EXPECT_EQ(a.ReadVectors({5}, kDim, a.Snapshot()).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*a.ReadPayloads({5}, a.Snapshot()), (std::vector<std::string>{""}));
  // A vector of the wrong length is damage too.
  EXPECT_EQ(a.ReadVectors({6}, kDim + 1, a.Snapshot()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(CollectionStoreTest, CatalogAddsReadsAndDropsCollectionsWithTheirData) {
  Catalog catalog(store_);
  EXPECT_EQ(*catalog.ReadNextCollectionId(), 1u);
  StoredCollection stored;
  stored.id = 1;
  stored.config.name = "docs";
  stored.config.quantizer.dim = kDim;
  ASSERT_TRUE(catalog.AddCollection(stored).ok());
  EXPECT_EQ(*catalog.ReadNextCollectionId(), 2u);
  const auto listed = catalog.ReadCollections(2);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].config.name, "docs");
  // A record whose id the counter has not passed is damage.
  EXPECT_EQ(catalog.ReadCollections(1).status().code(), absl::StatusCode::kDataLoss);

  CollectionStore docs(store_, 1, "docs");
  CollectionStore::Batch batch = docs.NewBatch();
  batch.PutSegment(0, Segment({1}));
  batch.PutVector(1, std::vector<float>{1, 2});
  ASSERT_TRUE(docs.Write(&batch, Durability::kSync).ok());
  ASSERT_TRUE(catalog.DropCollection("docs", 1).ok());
  EXPECT_TRUE(catalog.ReadCollections(2)->empty());
  EXPECT_TRUE(LoadAll(docs).empty());
  EXPECT_EQ(docs.ReadVectors({1}, kDim, docs.Snapshot()).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(*catalog.ReadNextCollectionId(), 2u);  // ids are never reused
}

}  // namespace
}  // namespace tqdb::storage
