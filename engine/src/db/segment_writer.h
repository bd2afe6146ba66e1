// The one place a collection writes its codes as segments: every write path (an upsert, a
// re-centering, a partitioning and its catch-up, a merge) numbers, sizes and encodes segments
// here and records what it wrote, so the segment table and the index's tags agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "db/storage/collection_store.h"
#include "db/storage/segment_policy.h"
#include "tqdb/index.h"

namespace tqdb {

// What a collection keeps of each stored segment; its ids live in the store and, while live,
// in the index (tagged with the segment's number).
struct SegmentStats {
  size_t count = 0;  // entries written
  size_t dead = 0;   // entries since deleted or replaced
  size_t bytes = 0;  // of the stored value
};
using SegmentTable = std::map<uint64_t, SegmentStats>;

// A segment a SegmentWriter put: its number and its entries [first, first + count) of the
// vectors given.
struct WrittenSegment {
  uint64_t number = 0;
  size_t first = 0;
  size_t count = 0;
};

class SegmentWriter {
 public:
  // Codes of `code_bytes`, written against `partitioning` (0: flat, no lists stored).
  // `per_segment`: entries per segment (0: all in one), e.g. storage::EntriesPerSegment.
  // `half_factors`: 16-bit factors (QuantizerConfig::factor_bits), stored in 16 bits.
  SegmentWriter(size_t code_bytes, uint64_t partitioning, size_t per_segment, bool half_factors)
      : code_bytes_(code_bytes),
        partitioning_(partitioning),
        per_segment_(per_segment),
        half_factors_(half_factors) {}

  // Puts `ids` with their `encoded` vectors into `batch` as segments numbered by
  // `next_number()` and records each in `segments`.
  std::vector<WrittenSegment> Put(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                  const std::function<uint64_t()>& next_number,
                                  storage::CollectionStore::Batch* batch,
                                  SegmentTable* segments) const;
  // The stored value of entries [first, first + ids.size()) of `encoded`.
  std::string Value(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                    size_t first) const;

 private:
  size_t code_bytes_;
  uint64_t partitioning_;
  size_t per_segment_;
  bool half_factors_;
};

// Adds what `written` describes to `index`, each entry tagged with its segment.
absl::Status AddWritten(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                        absl::Span<const WrittenSegment> written, Index* index);

}  // namespace tqdb
