// A segment: many vectors' codes and factors in one RocksDB value, so start-up reads large values
// sequentially instead of one key per vector.
//
// Layout (little-endian): "TQS1" | code_bytes u32 | count u64 | ids u64[count]
//                         | factors {norm f32, aux f32}[count] | codes u8[count * code_bytes]
// A partitioned collection's (lists != 0): "TQS2" | code_bytes u32 | count u64 | partitioning u64
//                         | ids | factors | lists u32[count] | codes
// where `partitioning` numbers the centroids the codes are relative to (partition_codec.h), so
// segments written by a re-partition that never committed are told apart at open.
// A collection of 16-bit factors (QuantizerConfig::factor_bits) writes "TQS3" (flat) and "TQS4"
// (partitioned), the same with factors {norm f16, aux f16}; every format stays readable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/quantizer.h"

namespace tqdb::storage {

// `partitioning` 0 (flat) takes no lists; otherwise one list per id. `half_factors`: the factors
// are halves' exact values (the quantizer rounded them), stored in 16 bits each.
std::string EncodeSegment(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, size_t code_bytes,
                          absl::Span<const uint32_t> lists = {}, uint64_t partitioning = 0,
                          bool half_factors = false);

// Bytes of a segment of `count` vectors.
size_t SegmentBytes(size_t count, size_t code_bytes, bool partitioned = false,
                    bool half_factors = false);

// A decoded segment. Ids and factors are copied out (a value need not be aligned; 16-bit factors
// are widened to floats); `codes` points into the value it was decoded from.
struct SegmentView {
  size_t count = 0;
  std::vector<uint64_t> ids;
  std::vector<VectorFactors> factors;
  absl::Span<const uint8_t> codes;
  uint64_t partitioning = 0;    // 0: flat
  std::vector<uint32_t> lists;  // partitioned: each id's list
};

// DataLoss when the value is not a well-formed segment with `code_bytes` per code.
absl::StatusOr<SegmentView> DecodeSegment(std::string_view value, size_t code_bytes);

}  // namespace tqdb::storage
