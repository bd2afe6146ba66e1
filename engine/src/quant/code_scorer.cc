#include "quant/code_scorer.h"

#include "quant/bit_packing.h"
#include "quant/float_tables.h"

namespace tqdb {

void CodeScorer::Build(const float* rotated_query, int dim, int bits, const float* centroids) {
  Build(rotated_query, CodeParts{{0, dim, bits, 0}}, &centroids);
}

void CodeScorer::Build(const float* rotated_query, const CodeParts& parts,
                       const float* const* centroids) {
  parts_.resize(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    BuildPart(rotated_query, parts[i], centroids[i], &parts_[i]);
  }
}

void CodeScorer::BuildPart(const float* rotated_query, const CodePart& part, const float* centroids,
                           PartTables* out) {
  const int dim = part.dims, bits = part.bits;
  out->offset = part.offset;
  out->dim = dim;
  out->bits = bits;
  out->packed_bytes = static_cast<int>(PackedBytes(dim, bits));
  // Byte tables halve (or better) the lookups, but past L1 every lookup misses: at d = 1536 and
  // 4 bits they take 786 KB per query, against 98 KB for per-coordinate tables.
  out->byte_tables =
      8 % bits == 0 && size_t{256} * sizeof(float) * out->packed_bytes <= kByteTablesLimit;
  // Byte mode: one group per byte of code (8 / bits codes), indexed by the byte's value.
  const float* q = rotated_query + part.first;
  out->table = out->byte_tables ? quant::BuildFloatTables(q, dim, bits, centroids, 8 / bits, 256)
                                : quant::BuildFloatTables(q, dim, bits, centroids, 1, 1 << bits);
}

float CodeScorer::Score(const uint8_t* packed) const {
  float sum = 0;
  for (const PartTables& part : parts_) sum += ScorePart(part, packed + part.offset);
  return sum;
}

float CodeScorer::ScorePart(const PartTables& part, const uint8_t* packed) {
  float sum = 0;
  if (part.byte_tables) {
    const float* t = part.table.data();
    for (int byte = 0; byte < part.packed_bytes; ++byte, t += 256) sum += t[packed[byte]];
    return sum;
  }
  const int bits = part.bits, dim = part.dim;
  const int levels = 1 << bits;
  const float* t = part.table.data();
  if (8 % bits == 0) {
    // Whole codes per byte, lowest bits first (PackCodes): byte by byte, without a division per
    // coordinate, one running sum per place in the byte so the additions overlap (the survivors
    // of every scan are scored here).
    const uint32_t mask = levels - 1;
    const int per_byte = 8 / bits;
    float sums[8] = {};
    int j = 0;
    for (const uint8_t* byte = packed; j < dim; ++byte) {
      uint32_t value = *byte;
      for (int place = 0; place < per_byte && j < dim; ++place, ++j, t += levels) {
        sums[place] += t[value & mask];
        value >>= bits;
      }
    }
    for (int place = 0; place < per_byte; ++place) sum += sums[place];
    return sum;
  }
  size_t bit = 0;
  for (int j = 0; j < dim; ++j, bit += bits, t += levels) {
    sum += t[ReadPackedCode(packed, bit, bits)];
  }
  return sum;
}

}  // namespace tqdb
