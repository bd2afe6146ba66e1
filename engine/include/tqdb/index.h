// What every in-memory index of tqdb does, whatever its layout: the flat index (every code
// scanned, flat_index.h) and the partitioned one (inverted lists of flat indexes, ivf_index.h),
// the way FAISS's Index is implemented by IndexFlat* and IndexIVF*.
// Thread safety: const methods may run concurrently; Add and Remove need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/search_options.h"

namespace tqdb {

struct SearchHit {
  uint64_t id = 0;
  // Similarity for kInnerProduct and kCosine (higher is better), squared distance for kL2.
  float score = 0;
};

struct IndexMemory {
  size_t codes = 0;    // the scan blocks (or packed codes)
  size_t factors = 0;  // per-vector norm and aux
  size_t ids = 0;      // ids, the maps back to slots (and lists), and their tags
  size_t vectors = 0;  // float vectors kept for re-rank (store_vectors)
  size_t lists = 0;    // partitioned index: centroids and list headers
  size_t total() const { return codes + factors + ids + vectors + lists; }
  IndexMemory& operator+=(const IndexMemory& other) {
    codes += other.codes;
    factors += other.factors;
    ids += other.ids;
    vectors += other.vectors;
    lists += other.lists;
    return *this;
  }
};

class Index {
 public:
  virtual ~Index() = default;

  virtual int dim() const = 0;
  virtual size_t size() const = 0;
  virtual bool Contains(uint64_t id) const = 0;

  // Inserts or replaces (upsert) `ids.size()` vectors given row-major in `vectors`. Ids must be
  // unique within the batch; the batch is validated whole before anything changes.
  virtual absl::Status Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) = 0;
  // Removes the ids that are present; returns how many were.
  virtual size_t Remove(absl::Span<const uint64_t> ids) = 0;

  virtual absl::StatusOr<std::vector<SearchHit>> Search(absl::Span<const float> query,
                                                        const SearchOptions& params) const = 0;
  // Row-major queries; searched in parallel with OpenMP.
  virtual absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& params) const = 0;

  // Bytes held, by part.
  virtual IndexMemory Memory() const = 0;
};

}  // namespace tqdb
