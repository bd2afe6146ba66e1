// Packing of b-bit code indices into a little-endian bit stream (coordinate j at bit j * b).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tqdb {

// Bytes for `dim` codes of `bits` bits each.
constexpr size_t PackedBytes(int dim, int bits) { return (size_t{1} * dim * bits + 7) / 8; }

// Writes PackedBytes(dim, bits) bytes; padding bits in the last byte are zero.
void PackCodes(const uint8_t* indices, int dim, int bits, uint8_t* packed);
// The code of `bits` bits starting at bit offset `bit` of a PackCodes stream. A code of up to
// 8 bits spans at most two bytes.
inline uint32_t ReadPackedCode(const uint8_t* packed, size_t bit, int bits) {
  uint32_t window = packed[bit / 8];
  if ((bit % 8) + bits > 8) window |= static_cast<uint32_t>(packed[bit / 8 + 1]) << 8;
  return (window >> (bit % 8)) & ((1u << bits) - 1);
}

// Inverse of PackCodes.
void UnpackCodes(const uint8_t* packed, int dim, int bits, uint8_t* indices);

}  // namespace tqdb
