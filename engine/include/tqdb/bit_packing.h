// Packing of b-bit code indices into a little-endian bit stream (coordinate j at bit j * b).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tqdb {

// Bytes for `dim` codes of `bits` bits each.
constexpr size_t PackedBytes(int dim, int bits) { return (size_t{1} * dim * bits + 7) / 8; }

// Writes PackedBytes(dim, bits) bytes; padding bits in the last byte are zero.
void PackCodes(const uint8_t* indices, int dim, int bits, uint8_t* packed);
// Inverse of PackCodes.
void UnpackCodes(const uint8_t* packed, int dim, int bits, uint8_t* indices);

}  // namespace tqdb
