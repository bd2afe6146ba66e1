// The stored side of an index: the id map from id to (list, slot), the code stores and inverted
// lists that keep codes by slot, and the scanner's slot filter, checked against the scan without
// one (every SIMD level) and against a brute-force model of the lists.
#include "index/store/code_store.h"

#include <algorithm>
#include <map>
#include <random>

#include "gtest/gtest.h"
#include "index/id_map.h"
#include "index/scan/scan_kernels.h"
#include "index/scan/scanner.h"
#include "index/store/inverted_lists.h"
#include "index/topk.h"
#include "index/vector_coder.h"
#include "test_util.h"
#include "tqdb/quantizer_config.h"

namespace tqdb {
namespace {

// Random inserts, moves between lists and removals against a std::map model, with one list (the
// 4-byte slot table) and several (the 8-byte location table).
TEST(IdMapTest, FollowsAModelThroughInsertsMovesAndRemovals) {
  for (size_t lists : {1, 5}) {
    IdMap map(lists);
    std::map<uint64_t, uint32_t> model;  // id -> list
    std::mt19937_64 gen(lists);
    for (int step = 0; step < 20000; ++step) {
      const uint64_t id = gen() % 3000;
      if (gen() % 3 == 0) {
        EXPECT_EQ(map.Remove(id).has_value(), model.erase(id) == 1);
      } else if (!model.contains(id)) {
        const auto list = static_cast<uint32_t>(gen() % lists);
        const Location at = map.Insert(id, list);
        EXPECT_EQ(at.list, list);
        EXPECT_EQ(at.slot, map.list_size(list) - 1);
        model[id] = list;
      }
    }
    ASSERT_EQ(map.size(), model.size());
    size_t listed = 0;
    for (uint32_t l = 0; l < lists; ++l) listed += map.list_size(l);
    EXPECT_EQ(listed, model.size());
    for (const auto& [id, list] : model) {
      const std::optional<Location> at = map.Find(id);
      ASSERT_TRUE(at.has_value()) << id;
      EXPECT_EQ(at->list, list);
      EXPECT_EQ(map.id(*at), id);
    }
    std::vector<uint64_t> ids = map.Ids();
    std::sort(ids.begin(), ids.end());
    std::vector<uint64_t> expected;
    for (const auto& entry : model) expected.push_back(entry.first);
    EXPECT_EQ(ids, expected);
    EXPECT_FALSE(map.Find(999999).has_value());
  }
}

TEST(IdMapTest, OneListTakesFourBytesPerEntryLessThanSeveral) {
  IdMap one(1), several(2);
  for (uint64_t id = 0; id < 10000; ++id) {
    one.Insert(id, 0);
    several.Insert(id, 0);
  }
  one.ShrinkToFit();
  several.ShrinkToFit();
  // The same ids and table capacity; only the packed location's width differs.
  EXPECT_LT(one.MemoryBytes() + 10000 * 4, several.MemoryBytes() + 1000);
  EXPECT_LT(one.MemoryBytes(), 10000 * 20);  // 14 to 20 bytes per id
}

QuantizerConfig Config(int d, int bits, QuantizerKind kind = QuantizerKind::kMse) {
  QuantizerConfig config = DefaultQuantizerConfig(d, bits);
  config.kind = kind;
  return config;
}

// Upserts that move ids between lists keep every code, factor, vector and tag with its id.
TEST(InvertedListsTest, MovesKeepEachIdsCodeFactorsVectorAndTag) {
  const int d = 24;
  std::unique_ptr<Quantizer> quantizer = *Quantizer::Create(Config(d, 3));
  const CodeLayout layout = CodeLayout::Of(*quantizer);
  InvertedLists lists(layout, 3, /*store_vectors=*/true, /*partitioned=*/true);
  std::mt19937_64 gen(7);
  std::map<uint64_t, std::pair<uint32_t, uint64_t>> model;  // id -> (list, round)
  auto vector_of = [&](uint64_t id, uint64_t round) {
    std::vector<float> v(d);
    for (int j = 0; j < d; ++j) v[j] = static_cast<float>(id * 31 + round * 7 + j);
    return v;
  };
  for (uint64_t round = 0; round < 40; ++round) {
    std::vector<uint64_t> ids;
    EncodedVectors encoded;
    std::vector<float> vectors;
    for (int i = 0; i < 25; ++i) {
      const uint64_t id = gen() % 200;
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
      ids.push_back(id);
      const std::vector<float> v = vector_of(id, round);
      vectors.insert(vectors.end(), v.begin(), v.end());
      const auto list = static_cast<uint32_t>(gen() % 3);
      encoded.lists.push_back(list);
      model[id] = {list, round};
    }
    std::vector<uint8_t> codes(ids.size() * layout.code_bytes);
    std::vector<VectorFactors> factors(ids.size());
    quantizer->EncodeBatch(vectors.data(), ids.size(), codes.data(), factors.data());
    encoded.codes = codes;
    encoded.factors = factors;
    ASSERT_TRUE(lists.Upsert(ids, encoded, vectors, /*tag=*/round).ok());
    std::vector<uint64_t> removed;
    for (int i = 0; i < 5; ++i) removed.push_back(gen() % 200);
    std::sort(removed.begin(), removed.end());
    removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
    size_t present = 0;
    for (uint64_t id : removed) present += model.erase(id);
    EXPECT_EQ(lists.Remove(removed), present);
  }
  ASSERT_EQ(lists.size(), model.size());
  for (const auto& [id, where] : model) {
    const auto& [list, round] = where;
    const std::optional<Location> at = lists.Find(id);
    ASSERT_TRUE(at.has_value());
    EXPECT_EQ(at->list, list);
    EXPECT_EQ(lists.TagOf(id), round);
    const std::vector<float> v = vector_of(id, round);
    const CodeStore& store = lists.store(list);
    EXPECT_TRUE(std::equal(v.begin(), v.end(), store.vector(at->slot))) << id;
    std::vector<uint8_t> code(layout.code_bytes);
    VectorFactors f;
    quantizer->Encode(v.data(), code.data(), &f);
    EncodedVectors stored;
    ASSERT_TRUE(lists.AppendEncoded(id, &stored));
    EXPECT_EQ(stored.codes, code) << id;
    EXPECT_EQ(stored.factors[0].norm, f.norm);
    EXPECT_EQ(stored.factors[0].aux, f.aux);
    EXPECT_EQ(stored.lists, std::vector<uint32_t>{list});
  }
  // Sizes that disagree, and a list that does not exist, are refused whole.
  EncodedVectors bad;
  bad.codes.assign(layout.code_bytes, 0);
  bad.factors.resize(1);
  bad.lists = {3};
  const std::vector<float> v(d, 1.0f);
  EXPECT_EQ(lists.Upsert({1000}, bad, v, 0).code(), absl::StatusCode::kInvalidArgument);
  bad.lists.clear();
  EXPECT_EQ(lists.Upsert({1000}, bad, v, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(lists.Find(1000).has_value());
}

// A scan with a slot filter returns the best k of the slots that pass: the same as scanning
// everything with a top-k large enough to hold every slot and keeping the first k that pass.
// Checked on every SIMD level, tq-mse and tq-prod, for the fast and the reference paths.
TEST(ScannerTest, FilteredScanReturnsTheBestKThatPass) {
  const int d = 48, n = 1000, k = 10;
  const std::vector<float> base = testing::RandomUnitVectors(n, d, 11);
  const std::vector<float> queries = testing::RandomUnitVectors(4, d, 12);
  const scan::ScanLevel before = scan::ActiveScanLevel();
  for (QuantizerKind kind : {QuantizerKind::kMse, QuantizerKind::kProd}) {
    std::unique_ptr<VectorCoder> coder =
        *VectorCoder::Create(Metric::kCosine, Config(d, 3, kind), {});
    const CodeLayout layout = CodeLayout::Of(coder->quantizer());
    CodeStore store(layout, /*store_vectors=*/false);
    std::vector<uint8_t> code(layout.code_bytes);
    for (int i = 0; i < n; ++i) {
      VectorFactors f;
      coder->Encode(&base[i * d], code.data(), &f);
      store.Append(code.data(), f, nullptr);
    }
    SlotBitmap filter(n);
    std::mt19937_64 gen(13);
    for (int i = 0; i < n; ++i) {
      // Whole blocks with nothing that passes, and blocks where a few do.
      if ((i / 32) % 4 != 1 && gen() % 5 == 0) filter.Set(i);
    }
    for (scan::ScanLevel level :
         {scan::ScanLevel::kScalar, scan::ScanLevel::kAvx2, scan::ScanLevel::kAvx512}) {
      if (!scan::ForceScanLevel(level)) continue;
      for (bool reference : {false, true}) {
        ScanOptions options;
        options.reference = reference;
        for (int q = 0; q < 4; ++q) {
          const Scanner scanner(*coder, layout, &queries[q * d], options);
          TopK all(n);
          scanner.Scan(store, 0, n, &all);
          std::vector<std::pair<float, uint32_t>> expected;
          for (const auto& entry : std::move(all).Sorted()) {
            if (filter.Test(entry.second) && expected.size() < k) expected.push_back(entry);
          }
          TopK filtered(k);
          scanner.Scan(store, 0, n, &filtered, /*label_base=*/0, &filter);
          EXPECT_EQ(std::move(filtered).Sorted(), expected)
              << scan::ScanLevelName(level) << (reference ? " reference" : " fast") << " query "
              << q;
        }
      }
    }
  }
  scan::ForceScanLevel(before);
}

TEST(ScannerTest, SlotBitmapMasksWholeAndPartialBlocks) {
  SlotBitmap bitmap(100);
  for (size_t slot : {0, 31, 32, 63, 64, 99}) bitmap.Set(slot);
  EXPECT_EQ(bitmap.Mask(0, 32), (1u << 0) | (1u << 31));
  EXPECT_EQ(bitmap.Mask(32, 32), (1u << 0) | (1u << 31));
  EXPECT_EQ(bitmap.Mask(96, 4), 1u << 3);
  EXPECT_EQ(bitmap.Mask(96, 3), 0u);
  EXPECT_EQ(bitmap.Mask(128, 32), 0u);  // past the end: nothing passes
}

}  // namespace
}  // namespace tqdb
