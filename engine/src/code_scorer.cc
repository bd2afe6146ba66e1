#include "tqdb/code_scorer.h"

#include "tqdb/bit_packing.h"

namespace tqdb {

void CodeScorer::Build(const float* rotated_query, int dim, int bits, const float* centroids) {
  dim_ = dim;
  bits_ = bits;
  packed_bytes_ = static_cast<int>(PackedBytes(dim, bits));
  byte_tables_ = 8 % bits == 0;
  const int levels = 1 << bits;
  if (byte_tables_) {
    const int per_byte = 8 / bits;
    const uint32_t mask = levels - 1;
    table_.assign(size_t{256} * packed_bytes_, 0.0f);
    for (int byte = 0; byte < packed_bytes_; ++byte) {
      float* entry = &table_[size_t{256} * byte];
      for (uint32_t value = 0; value < 256; ++value) {
        float sum = 0;
        for (int slot = 0; slot < per_byte; ++slot) {
          const int j = byte * per_byte + slot;
          // Padding slots past the last coordinate hold zero bits and contribute nothing.
          if (j < dim) sum += rotated_query[j] * centroids[(value >> (slot * bits)) & mask];
        }
        entry[value] = sum;
      }
    }
  } else {
    table_.resize(size_t{1} * levels * dim);
    for (int j = 0; j < dim; ++j) {
      for (int k = 0; k < levels; ++k)
        table_[size_t{1} * j * levels + k] = rotated_query[j] * centroids[k];
    }
  }
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
