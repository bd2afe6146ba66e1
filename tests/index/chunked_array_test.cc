#include "index/chunked_array.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(ChunkedArrayTest, GrowsAcrossChunksKeepingEverySlotAndZeroingNewOnes) {
  ChunkedArray<uint32_t> array(/*width=*/3, /*chunk_slots=*/64);
  std::vector<uint32_t> expected;
  for (uint32_t i = 0; i < 1000; ++i) {
    array.Resize(i + 1);
    for (size_t w = 0; w < 3; ++w) {
      EXPECT_EQ(array.slot(i)[w], 0u) << "new slot " << i;
      array.slot(i)[w] = 3 * i + static_cast<uint32_t>(w);
    }
  }
  for (uint32_t i = 0; i < 1000; ++i) {
    for (size_t w = 0; w < 3; ++w) ASSERT_EQ(array.slot(i)[w], 3 * i + w) << i;
  }
  // Shrinking and growing again: the reused slots read as zero, the kept ones are untouched.
  array.Resize(100);
  array.Resize(300);
  for (uint32_t i = 0; i < 300; ++i) {
    for (size_t w = 0; w < 3; ++w) ASSERT_EQ(array.slot(i)[w], i < 100 ? 3 * i + w : 0u) << i;
  }
}

TEST(ChunkedArrayTest, SlotsOfAChunkAreContiguousAndFullChunksNeverMove) {
  ChunkedArray<float> array(1, 256);
  array.Resize(256);
  const float* first_chunk = array.slot(0);
  EXPECT_EQ(array.slot(255), first_chunk + 255);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first_chunk) % ChunkedArray<float>::kAlignment, 0u);
  array.Resize(100000);  // no copy of the full chunk: a bulk load never holds two copies
  EXPECT_EQ(array.slot(0), first_chunk);
  for (size_t i = 0; i < array.size(); i += 256) {
    ASSERT_EQ(reinterpret_cast<uintptr_t>(array.slot(i)) % 64, 0u) << i;
  }
}

TEST(ChunkedArrayTest, HoldsAtMostOnePartialChunkOfSpareRoomAndNoneAfterShrinkToFit) {
  ChunkedArray<uint64_t> array(1, 4096);
  EXPECT_EQ(array.MemoryBytes(), 0u);
  array.Resize(5);  // a small array stays small
  EXPECT_LT(array.MemoryBytes(), 4096u);
  array.Resize(0);
  EXPECT_LE(array.MemoryBytes(), 64u);  // the chunk list's own room
  for (size_t n = 1; n <= 50000; ++n) array.PushBack(n);
  const size_t payload = 50000 * sizeof(uint64_t);
  EXPECT_LE(array.MemoryBytes(), payload + 4096 * sizeof(uint64_t) + 1024);
  array.ShrinkToFit();
  EXPECT_LE(array.MemoryBytes(), payload + 1024);
  for (size_t n = 1; n <= 50000; ++n) ASSERT_EQ(array[n - 1], n);
  array.PopBack();
  EXPECT_EQ(array.size(), 49999u);
}

}  // namespace
}  // namespace tqdb
