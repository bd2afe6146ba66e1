#include "quant/code_scorer.h"

#include "quant/float_tables.h"
#include "tqdb/bit_packing.h"

namespace tqdb {

void CodeScorer::Build(const float* rotated_query, int dim, int bits, const float* centroids) {
  dim_ = dim;
  bits_ = bits;
  packed_bytes_ = static_cast<int>(PackedBytes(dim, bits));
  byte_tables_ = 8 % bits == 0;
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
  size_t bit = 0;
  for (int j = 0; j < dim_; ++j, bit += bits_) {
    sum += table_[size_t{1} * j * levels + ReadPackedCode(packed, bit, bits_)];
  }
  return sum;
}

}  // namespace tqdb
