// A segment: many vectors' codes and factors in one RocksDB value, so start-up reads large values
// sequentially instead of one key per vector.
//
// Layout (little-endian): "TQS1" | code_bytes u32 | count u64 | ids u64[count]
//                         | factors {norm f32, aux f32}[count] | codes u8[count * code_bytes]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/quantizer.h"

namespace tqdb::storage {

std::string EncodeSegment(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, size_t code_bytes);

// Bytes of a segment of `count` vectors.
size_t SegmentBytes(size_t count, size_t code_bytes);

// A decoded segment. Ids and factors are copied out (a value need not be aligned); `codes` points
// into the value it was decoded from.
struct SegmentView {
  size_t count = 0;
  std::vector<uint64_t> ids;
  std::vector<VectorFactors> factors;
  absl::Span<const uint8_t> codes;
};

// DataLoss when the value is not a well-formed segment with `code_bytes` per code.
absl::StatusOr<SegmentView> DecodeSegment(std::string_view value, size_t code_bytes);

}  // namespace tqdb::storage
