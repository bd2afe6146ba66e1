#include "quant/bit_packing.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

TEST(BitPackingTest, RoundTripsEveryWidthAndLength) {
  std::mt19937 gen(1);
  for (int bits = 1; bits <= 8; ++bits) {
    for (int dim = 1; dim <= 41; ++dim) {
      std::vector<uint8_t> indices(dim), back(dim);
      for (auto& v : indices) v = gen() & ((1u << bits) - 1);
      std::vector<uint8_t> packed(PackedBytes(dim, bits), 0xff);
      PackCodes(indices.data(), dim, bits, packed.data());
      UnpackCodes(packed.data(), dim, bits, back.data());
      EXPECT_EQ(indices, back) << "bits=" << bits << " dim=" << dim;
      // Padding bits past the last code are zero, so byte-indexed tables can ignore them.
      const size_t used = size_t{1} * dim * bits;
      if (used % 8 != 0) {
        EXPECT_EQ(packed.back() >> (used % 8), 0) << bits << " " << dim;
      }
    }
  }
}

TEST(BitPackingTest, LittleEndianBitOrder) {
  const uint8_t indices[] = {1, 2, 3, 0};
  uint8_t packed[1];
  PackCodes(indices, 4, 2, packed);
  EXPECT_EQ(packed[0], 0b00111001);
}

}  // namespace
}  // namespace tqdb
