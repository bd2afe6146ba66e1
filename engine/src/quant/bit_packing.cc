#include "quant/bit_packing.h"

#include <cstring>

namespace tqdb {

void PackCodes(const uint8_t* indices, int dim, int bits, uint8_t* packed) {
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
