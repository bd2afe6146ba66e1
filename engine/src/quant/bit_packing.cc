#include "quant/bit_packing.h"

#include <cstring>

namespace tqdb {

namespace {

// 1, 2, 4 or 8 bits: whole codes per byte, built a byte at a time with the code width known at
// compile time (a loop the compiler vectorizes, where the general one goes code by code).
template <int kBits>
void PackWholeCodes(const uint8_t* indices, int dim, uint8_t* packed) {
  constexpr int kPerByte = 8 / kBits;
  const int full = dim / kPerByte;
  for (int b = 0; b < full; ++b) {
    uint32_t value = 0;
    for (int k = 0; k < kPerByte; ++k) value |= uint32_t{indices[b * kPerByte + k]} << (k * kBits);
    packed[b] = static_cast<uint8_t>(value);
  }
  if (full * kPerByte < dim) {
    uint32_t value = 0;
    for (int k = 0; full * kPerByte + k < dim; ++k) {
      value |= uint32_t{indices[full * kPerByte + k]} << (k * kBits);
    }
    packed[full] = static_cast<uint8_t>(value);
  }
}

}  // namespace

void PackCodes(const uint8_t* indices, int dim, int bits, uint8_t* packed) {
  switch (bits) {  // the same layout as the general loop below
    case 1:
      return PackWholeCodes<1>(indices, dim, packed);
    case 2:
      return PackWholeCodes<2>(indices, dim, packed);
    case 4:
      return PackWholeCodes<4>(indices, dim, packed);
    case 8:
      return PackWholeCodes<8>(indices, dim, packed);
    default:
      break;
  }
  std::memset(packed, 0, PackedBytes(dim, bits));
  size_t bit = 0;
  for (int j = 0; j < dim; ++j, bit += bits) {
    // A code of up to 8 bits spans at most two bytes.
    const uint32_t value = static_cast<uint32_t>(indices[j]) << (bit % 8);
    packed[bit / 8] |= static_cast<uint8_t>(value);
    if ((bit % 8) + bits > 8) packed[bit / 8 + 1] |= static_cast<uint8_t>(value >> 8);
  }
}

void UnpackCodes(const uint8_t* packed, int dim, int bits, uint8_t* indices) {
  size_t bit = 0;
  for (int j = 0; j < dim; ++j, bit += bits) {
    indices[j] = static_cast<uint8_t>(ReadPackedCode(packed, bit, bits));
  }
}

}  // namespace tqdb
