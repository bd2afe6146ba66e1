// The stored partitioning of a collection: its centroids, numbered so that segments written
// against them say which they belong to (segment_codec.h).
//
// Layout (little-endian): "TQP2" | partitioning u64 | dim u32 | lists u32 | flags u32 |
// centroids f32[lists*dim]. Flag bit 0: the lists were assigned by direction
// (IvfIndexOptions::probe_by_direction). "TQP1" records (no flags, older servers) read as
// assigned by L2 to the centroids, the rule they were written under.
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
  bool by_direction = false;     // IvfIndexOptions::probe_by_direction of its lists
  size_t lists() const { return dim > 0 ? centroids.size() / dim : 0; }
};

std::string EncodePartitioning(const StoredPartitioning& partitioning);
// DataLoss when the value is malformed or not of `dim`.
absl::StatusOr<StoredPartitioning> DecodePartitioning(std::string_view value, int dim);

}  // namespace tqdb::storage
