// Exhaustive index over TurboQuant codes: every search scores every stored code.
//
// Vectors are encoded on Add (no training). Search estimates each score from the codes, keeps the
// top candidates and, on request, re-ranks them exactly with the stored float vectors.
// Thread safety: const methods may run concurrently; Add and Remove need exclusive access (the
// collection layer holds the lock).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/index.h"
#include "tqdb/metric.h"
#include "tqdb/quantizer.h"
#include "tqdb/search_options.h"

namespace tqdb {

class InvertedLists;  // index/store/inverted_lists.h
class VectorCoder;    // index/vector_coder.h

struct FlatIndexOptions {
  Metric metric = Metric::kCosine;
  QuantizerConfig quantizer;   // quantizer.dim is the index's dimension
  bool store_vectors = false;  // keep the float vectors, for exact re-rank
  // Empty, or the center m (quantizer.dim values) the codes are taken relative to: x - m is
  // encoded (for cosine x / |x| - m). Cosine and L2 only (docs/DESIGN.md, "Centering").
  std::vector<float> center;
};

class FlatIndex final : public Index {
 public:
  static absl::StatusOr<std::unique_ptr<FlatIndex>> Create(const FlatIndexOptions& options);
  ~FlatIndex();

  const FlatIndexOptions& options() const { return options_; }
  int dim() const override { return options_.quantizer.dim; }
  size_t size() const override;
  // Every stored id, in slot order.
  std::vector<uint64_t> Ids() const override;
  bool Contains(uint64_t id) const override;
  void ShrinkToFit() override;
  const Quantizer& quantizer() const;
  // Encodes vectors as this index stores them (center included); immutable, so it may be used
  // without the index's lock.
  std::shared_ptr<const IndexEncoder> encoder() const override { return encoder_; }

  // Inserts or replaces (upsert) `ids.size()` vectors given row-major in `vectors`. Ids must be
  // unique within the batch; the batch is validated whole before anything changes.
  absl::Status Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) override;
  // Inserts or replaces vectors `encoded` by encoder() (no lists), each with `tag`; the caller
  // guarantees unique ids. The index must not keep floats (store_vectors): those go through the
  // overload below.
  absl::Status AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                          uint64_t tag) override;
  // The same with the floats (ids.size() x dim(), row-major) when store_vectors, else empty.
  absl::Status AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                          absl::Span<const float> vectors, uint64_t tag);
  // Removes the ids that are present; returns how many were.
  size_t Remove(absl::Span<const uint64_t> ids) override;

  absl::StatusOr<std::vector<SearchHit>> Search(absl::Span<const float> query,
                                                const SearchParameters& params) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchParameters& params) const override;

  std::optional<uint64_t> TagOf(uint64_t id) const override;
  void SetTag(uint64_t id, uint64_t tag) override;
  bool AppendEncoded(uint64_t id, EncodedVectors* out) const override;
  bool Reconstruct(uint64_t id, float* out) const override;

  // Bytes held, by part.
  IndexMemory Memory() const;
  IndexStats Stats() const override;

 private:
  explicit FlatIndex(const FlatIndexOptions& options);

  // Search for one validated query; with `split_over_threads`, a large index is scanned by all
  // OpenMP threads, each over its share of the blocks, and their top-k are merged.
  std::vector<SearchHit> SearchOne(const float* query, const SearchParameters& params,
                                   bool split_over_threads) const;

  FlatIndexOptions options_;
  std::shared_ptr<const VectorCoder> coder_;
  std::shared_ptr<const IndexEncoder> encoder_;  // wraps coder_
  std::unique_ptr<InvertedLists> lists_;         // one list
};

}  // namespace tqdb
