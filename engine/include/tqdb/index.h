// What every in-memory index of tqdb does, whatever its layout: the flat index (every code
// scanned, flat_index.h) and the partitioned one (inverted lists of code stores, ivf_index.h),
// the way FAISS's Index is implemented by IndexFlat* and IndexIVF*.
// Thread safety: const methods may run concurrently; Add and Remove need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/quantizer.h"
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
  size_t codec = 0;    // the quantizer: rotation, QJL projection, codebook (one per index)
  size_t total() const { return codes + factors + ids + vectors + lists + codec; }
  IndexMemory& operator+=(const IndexMemory& other) {
    codes += other.codes;
    factors += other.factors;
    ids += other.ids;
    vectors += other.vectors;
    lists += other.lists;
    codec += other.codec;
    return *this;
  }
};

// What an index reports about itself (a collection's describe): memory by part and, when
// partitioned, its lists.
struct IndexStats {
  size_t size = 0;
  IndexMemory memory;
  std::vector<size_t> list_sizes;   // partitioned: vectors in each list; flat: empty
  std::vector<float> centroids;     // partitioned: row-major, lists x dim; flat: empty
  int default_nprobe = 0;           // partitioned: lists a search probes unless it says; flat: 0
  bool lists_by_direction = false;  // partitioned cosine: vectors assigned by direction
};

// Vectors as an index stores them: what a durable collection persists and adds back at open (the
// way FAISS's sa_encode / add_sa_codes let a caller own the codes).
struct EncodedVectors {
  std::vector<uint8_t> codes;          // one code of IndexEncoder::code_bytes() per vector
  std::vector<VectorFactors> factors;  // one per vector
  std::vector<uint32_t> lists;         // partitioned index: each vector's list; flat: empty
  size_t size() const { return factors.size(); }
};

// Encodes vectors for one index state (its center, or its centroids and list centers). Immutable,
// so a caller may encode without the index's lock, then check the index still has this encoder.
class IndexEncoder {
 public:
  virtual ~IndexEncoder() = default;
  virtual size_t code_bytes() const = 0;
  // The center every code is taken relative to; empty for none or for per-list centers.
  virtual const std::vector<float>& center() const = 0;
  // Appends the encoding of `n` validated vectors (row-major) to `out`, in parallel.
  virtual void Encode(const float* x, size_t n, EncodedVectors* out) const = 0;
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
                                                        const SearchParameters& params) const = 0;
  // Row-major queries; searched in parallel with OpenMP.
  virtual absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchParameters& params) const = 0;

  // Size, memory and layout, for a caller that reports them.
  virtual IndexStats Stats() const = 0;

  // The stored form, for a caller that persists codes (a collection). Each id carries a `tag`,
  // a label the caller keeps with it (a collection: the segment that stores it), so the index's
  // id map is the only one.
  virtual std::shared_ptr<const IndexEncoder> encoder() const = 0;
  // Inserts or replaces vectors `encoded` by encoder(); the caller guarantees unique ids.
  // InvalidArgument when the sizes disagree or a list does not exist.
  virtual absl::Status AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                  uint64_t tag) = 0;
  // Appends the code, factors (and list) of `id` to `out`; false when absent.
  virtual bool AppendEncoded(uint64_t id, EncodedVectors* out) const = 0;
  // The vector `id`'s code stands for (its decoding, dim() floats; cosine: of unit length), for
  // re-encoding when the floats are not kept; false when absent.
  virtual bool Reconstruct(uint64_t id, float* out) const = 0;
  virtual std::optional<uint64_t> TagOf(uint64_t id) const = 0;
  virtual void SetTag(uint64_t id, uint64_t tag) = 0;  // ignores absent ids
  // Every stored id.
  virtual std::vector<uint64_t> Ids() const = 0;
  // Gives back the room grown arrays keep for more vectors (after loading).
  virtual void ShrinkToFit() = 0;
  // Partitioned: the number of lists; flat: 0.
  virtual size_t lists() const { return 0; }
};

}  // namespace tqdb
