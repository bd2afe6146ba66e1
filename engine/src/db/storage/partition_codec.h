// The stored partitioning of a collection: its centroids, numbered so that segments written
// against them say which they belong to (segment_codec.h).
//
// Layout (little-endian): "TQP1" | partitioning u64 | dim u32 | lists u32 | centroids
// f32[lists*dim]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb::storage {

struct StoredPartitioning {
  uint64_t number = 0;  // >= 1; each re-partition takes the next
  int dim = 0;
  std::vector<float> centroids;  // row-major, lists x dim
  size_t lists() const { return dim > 0 ? centroids.size() / dim : 0; }
};

std::string EncodePartitioning(const StoredPartitioning& partitioning);
// DataLoss when the value is malformed or not of `dim`.
absl::StatusOr<StoredPartitioning> DecodePartitioning(std::string_view value, int dim);

}  // namespace tqdb::storage
