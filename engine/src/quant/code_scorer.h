// Scalar reference scoring of packed codes against one query: sum_j q'_j * c[code_j].
//
// Built once per query from the rotated query q' and a codebook's centroids. When a byte holds a
// whole number of codes (b = 1, 2, 4, 8) and the tables fit in L1 (kByteTablesLimit), the table
// is indexed by byte value: 256 partial sums per byte of code, one lookup per byte. Otherwise
// each coordinate is unpacked and looked up in a per-coordinate table of 2^b entries. The SIMD
// fast-scan kernels are checked against this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "tqdb/code_parts.h"

namespace tqdb {

inline constexpr size_t kByteTablesLimit = size_t{32} << 10;

class CodeScorer {
 public:
  // `centroids` holds 2^bits values; `rotated_query` holds `dim` values.
  void Build(const float* rotated_query, int dim, int bits, const float* centroids);
  // A code of several widths: centroids[i] holds the 2^bits values of parts[i].
  void Build(const float* rotated_query, const CodeParts& parts, const float* const* centroids);

  // sum_j q'_j * centroids[code_j] for a code packed by PackCodes (part by part).
  float Score(const uint8_t* packed) const;

 private:
  // One part's tables: its coordinates' codes start at byte `offset` of the code.
  struct PartTables {
    size_t offset = 0;
    int dim = 0;
    int bits = 0;
    bool byte_tables = false;
    int packed_bytes = 0;
    std::vector<float> table;  // byte mode: [byte][256]; else [coordinate][2^bits]
  };
  static void BuildPart(const float* rotated_query, const CodePart& part, const float* centroids,
                        PartTables* out);
  static float ScorePart(const PartTables& part, const uint8_t* packed);

  absl::InlinedVector<PartTables, 2> parts_;
};

}  // namespace tqdb
