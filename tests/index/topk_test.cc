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

}  // namespace
}  // namespace tqdb
