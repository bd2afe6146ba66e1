// The per-slot arrays of a flat index besides its fast-scan blocks, each chunked so that
// growing never copies them whole. Remove moves the last slot into the hole.
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/chunked_array.h"

namespace tqdb {

struct SlotArrays {
  SlotArrays(size_t code_bytes, size_t dim) : packed_codes(code_bytes), vectors(dim) {}

  // The packed codes, only when the fast-scan blocks do not hold them (one copy in memory).
  ChunkedArray<uint8_t> packed_codes;
  // The factors, one array each, so the pruning kernels load 16 of a kind at once.
  ChunkedArray<float> norms;
  ChunkedArray<float> auxs;
  ChunkedArray<uint64_t> tags;
  ChunkedArray<float> vectors;  // only with FlatIndexOptions::store_vectors
};

}  // namespace tqdb
