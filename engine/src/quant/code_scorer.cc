#include "quant/code_scorer.h"

#include "quant/bit_packing.h"
#include "quant/float_tables.h"

namespace tqdb {

void CodeScorer::Build(const float* rotated_query, int dim, int bits, const float* centroids) {
  dim_ = dim;
  bits_ = bits;
  packed_bytes_ = static_cast<int>(PackedBytes(dim, bits));
  // Byte tables halve (or better) the lookups, but past L1 every lookup misses: at d = 1536 and
  // 4 bits they take 786 KB per query, against 98 KB for per-coordinate tables.
  byte_tables_ = 8 % bits == 0 && size_t{256} * sizeof(float) * packed_bytes_ <= kByteTablesLimit;
  // Byte mode: one group per byte of code (8 / bits codes), indexed by the byte's value.
  table_ = byte_tables_
               ? quant::BuildFloatTables(rotated_query, dim, bits, centroids, 8 / bits, 256)
               : quant::BuildFloatTables(rotated_query, dim, bits, centroids, 1, 1 << bits);
}

float CodeScorer::Score(const uint8_t* packed) const {
  float sum = 0;
  if (byte_tables_) {
    const float* t = table_.data();
    for (int byte = 0; byte < packed_bytes_; ++byte, t += 256) sum += t[packed[byte]];
    return sum;
  }
  const int levels = 1 << bits_;
  const float* t = table_.data();
  if (8 % bits_ == 0) {
    // Whole codes per byte, lowest bits first (PackCodes): byte by byte, without a division per
    // coordinate, one running sum per place in the byte so the additions overlap (the survivors
    // of every scan are scored here).
    const uint32_t mask = levels - 1;
    const int per_byte = 8 / bits_;
    float sums[8] = {};
    int j = 0;
    for (const uint8_t* byte = packed; j < dim_; ++byte) {
      uint32_t value = *byte;
      for (int place = 0; place < per_byte && j < dim_; ++place, ++j, t += levels) {
        sums[place] += t[value & mask];
        value >>= bits_;
      }
    }
    for (int place = 0; place < per_byte; ++place) sum += sums[place];
    return sum;
  }
  size_t bit = 0;
  for (int j = 0; j < dim_; ++j, bit += bits_, t += levels) {
    sum += t[ReadPackedCode(packed, bit, bits_)];
  }
  return sum;
}

}  // namespace tqdb
