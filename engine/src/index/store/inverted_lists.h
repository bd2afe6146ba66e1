// The stored vectors of an index: one code store per list (a flat index has one list), the one
// id map from id to (list, slot), and each vector's tag (a label its owner keeps with it: a
// collection's segment). FAISS's InvertedLists with its DirectMap, as one piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "index/chunked_array.h"
#include "index/id_map.h"
#include "index/store/code_store.h"
#include "tqdb/index.h"

namespace tqdb {

class VectorCoder;  // index/vector_coder.h

class InvertedLists {
 public:
  // `partitioned`: encoded vectors name their lists (EncodedVectors::lists), even with one list.
  InvertedLists(const CodeLayout& layout, size_t lists, bool store_vectors, bool partitioned);

  size_t size() const { return ids_.size(); }
  size_t lists() const { return stores_.size(); }
  const CodeLayout& layout() const { return layout_; }
  bool stores_vectors() const { return store_vectors_; }
  const CodeStore& store(uint32_t list) const { return *stores_[list]; }
  uint64_t id(Location at) const { return ids_.id(at); }
  const uint64_t* ids_from(Location at) const { return ids_.ids_from(at); }  // id_map.h
  std::optional<Location> Find(uint64_t id) const { return ids_.Find(id); }
  std::vector<uint64_t> Ids() const { return ids_.Ids(); }

  // Inserts or replaces (upsert) `ids` with `encoded` (not partitioned: all in list 0) and, when
  // the lists keep floats, `vectors` (row-major). An id already stored in another list moves.
  // InvalidArgument when the sizes disagree or a list does not exist; the caller guarantees
  // unique ids.
  absl::Status Upsert(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                      absl::Span<const float> vectors, uint64_t tag);
  // Removes the ids that are present; returns how many were.
  size_t Remove(absl::Span<const uint64_t> ids);

  // Appends the code, factors (and, partitioned, the list) of `id`; false when absent.
  bool AppendEncoded(uint64_t id, EncodedVectors* out) const;
  // The vector `id`'s code stands for, decoded with its list's coder (`coder_of(list)`) into
  // `out` (dim floats); false when absent.
  bool Reconstruct(uint64_t id, absl::FunctionRef<const VectorCoder&(uint32_t list)> coder_of,
                   float* out) const;
  std::optional<uint64_t> TagOf(uint64_t id) const;
  void SetTag(uint64_t id, uint64_t tag);  // ignores absent ids

  void ShrinkToFit();
  // The stores' bytes, and the id map's and tags' as `ids`.
  IndexMemory Memory() const;

 private:
  CodeLayout layout_;
  bool store_vectors_;
  bool partitioned_;
  std::vector<std::unique_ptr<CodeStore>> stores_;
  std::vector<ChunkedArray<uint64_t>> tags_;  // by list, then slot
  IdMap ids_;
};

}  // namespace tqdb
