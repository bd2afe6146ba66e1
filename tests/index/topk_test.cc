#include "index/topk.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

// What TopK keeps is the k best by (key, then smaller slot), whatever the order of the pushes:
// the scan scores a block's survivors best bound first, and threads merge their parts.
TEST(TopKTest, KeepsTheSameEntriesInAnyPushOrderEvenWithTiedKeys) {
  std::vector<std::pair<float, uint32_t>> entries;
  for (uint32_t slot = 0; slot < 200; ++slot) {
    entries.push_back({static_cast<float>(slot % 7), slot});  // many equal keys
  }
  std::vector<std::pair<float, uint32_t>> expected;
  std::mt19937 gen(1);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(entries.begin(), entries.end(), gen);
    TopK top(25);
    for (const auto& [key, slot] : entries) top.Push(key, slot);
    const std::vector<std::pair<float, uint32_t>> kept = std::move(top).Sorted();
    if (round == 0) {
      expected = kept;
      ASSERT_EQ(expected.size(), 25u);
      for (const auto& [key, slot] : expected) EXPECT_EQ(key, 6.0f);  // 28 entries have key 6
      EXPECT_EQ(expected.front().second, 6u) << "the smallest slots win a tie";
    }
    EXPECT_EQ(kept, expected) << "round " << round;
  }
}

// Keys of every sign and size, infinities, and slots up to the largest: the kept entries and
// their order are those of a full sort by (key, then smaller slot), and the threshold is the
// k-th key once k entries came (-infinity before).
TEST(TopKTest, KeepsWhatAFullSortKeepsForKeysOfEverySign) {
  constexpr float kInf = __builtin_huge_valf();
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> wide(-1e6f, 1e6f), narrow(-1e-3f, 1e-3f);
  std::vector<std::pair<float, uint32_t>> entries;
  for (uint32_t i = 0; i < 3000; ++i) {
    float key = i % 3 == 0 ? wide(gen) : narrow(gen);
    if (i % 97 == 0) key = -kInf;
    if (i % 89 == 0) key = kInf;
    if (i % 50 == 0) key = 0.0f;
    const uint32_t slot = i % 5 == 0 ? UINT32_MAX - i : i;
    entries.push_back({key, slot});
  }
  for (size_t k : {1, 10, 100, 2999, 5000}) {
    TopK top(k);
    EXPECT_EQ(top.threshold(), -kInf);
    for (size_t i = 0; i < entries.size(); ++i) {
      top.Push(entries[i].first, entries[i].second);
      if (i + 1 < k) {
        EXPECT_EQ(top.threshold(), -kInf) << "k=" << k;
      }
    }
    std::vector<std::pair<float, uint32_t>> expected = entries;
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (expected.size() > k) expected.resize(k);
    if (k <= entries.size()) {
      EXPECT_EQ(top.threshold(), expected.back().first) << "k=" << k;
    }
    EXPECT_EQ(std::move(top).Sorted(), expected) << "k=" << k;
  }
  TopK none(0);
  none.Push(1.0f, 1);
  EXPECT_TRUE(std::move(none).Sorted().empty());
  TopK two(2);
  two.Push(__builtin_nanf(""), 1);
  two.Push(1.0f, 2);
  EXPECT_EQ(std::move(two).Sorted(), (std::vector<std::pair<float, uint32_t>>{{1.0f, 2}}))
      << "a NaN key is never kept";
}

}  // namespace
}  // namespace tqdb
