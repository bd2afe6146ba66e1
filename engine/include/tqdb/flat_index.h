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

namespace tqdb::scan {
class NibbleBlocks;
struct PruneTerms;
}  // namespace tqdb::scan
namespace tqdb {

class IdMap;        // index/id_map.h
struct SlotArrays;  // index/slot_arrays.h
class TopK;         // index/topk.h
class VectorCoder;  // index/vector_coder.h

struct FlatIndexOptions {
  Metric metric = Metric::kCosine;
  QuantizerConfig quantizer;   // quantizer.dim is the index's dimension
  bool store_vectors = false;  // keep the float vectors, for exact re-rank
  // Empty, or the center m (quantizer.dim values) the codes are taken relative to: x - m is
  // encoded (for cosine x / |x| - m). Cosine and L2 only (docs/DESIGN.md, "Centering").
  std::vector<float> center;
  // Centered cosine: take a share of the center off each query (smaller estimate error). A
  // partitioned index turns it off, so that one prepared query serves all its lists.
  bool shift_queries = true;
};

class FlatIndex final : public Index {
 public:
  static absl::StatusOr<std::unique_ptr<FlatIndex>> Create(const FlatIndexOptions& options);
  // With `quantizer` (built for options.quantizer) shared with other indexes: the lists of a
  // partitioned index, which counts its memory once (Memory() here leaves it out).
  static absl::StatusOr<std::unique_ptr<FlatIndex>> Create(
      const FlatIndexOptions& options, std::shared_ptr<const Quantizer> quantizer);
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
  std::shared_ptr<const VectorCoder> coder() const { return coder_; }
  // The coder as the Index interface shows it (codes without lists).
  std::shared_ptr<const IndexEncoder> encoder() const override { return encoder_; }

  // Inserts or replaces (upsert) `ids.size()` vectors given row-major in `vectors`. Ids must be
  // unique within the batch; the batch is validated whole before anything changes.
  absl::Status Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) override;
  // Inserts or replaces vectors already encoded by quantizer(): `codes` holds ids.size() codes of
  // quantizer().code_bytes() each. `vectors` is empty, or holds the floats when store_vectors.
  // Used to rebuild the index from persisted codes; the caller guarantees unique ids. Each id
  // gets `tag`, a label the caller keeps with it (a collection: the segment that stores it), so
  // the index's id map is the only one.
  absl::Status AddEncoded(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                          absl::Span<const VectorFactors> factors, absl::Span<const float> vectors,
                          uint64_t tag = 0);
  absl::Status AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                          uint64_t tag) override;
  // Removes the ids that are present; returns how many were.
  size_t Remove(absl::Span<const uint64_t> ids) override;

  absl::StatusOr<std::vector<SearchHit>> Search(absl::Span<const float> query,
                                                const SearchOptions& params) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& params) const override;

  // Copies the code of `id` (quantizer().code_bytes()) into `code`; false when absent.
  bool CodeOf(uint64_t id, uint8_t* code) const;
  // The factors of `id`, or nullopt when absent.
  std::optional<VectorFactors> FactorsOf(uint64_t id) const;
  // The tag of `id` (AddEncoded), or nullopt when absent; SetTag ignores absent ids.
  std::optional<uint64_t> TagOf(uint64_t id) const override;
  void SetTag(uint64_t id, uint64_t tag) override;
  bool AppendEncoded(uint64_t id, EncodedVectors* out) const override;
  bool Reconstruct(uint64_t id, float* out) const override;

  // The stored floats of `id` (dim() of them, valid until the next Add/Remove), or null when
  // absent or the index does not store vectors.
  const float* StoredVector(uint64_t id) const;

  // Bytes held, by part.
  IndexMemory Memory() const;
  IndexStats Stats() const override;

 private:
  // The partitioned index scans its lists (flat indexes) with one prepared query and one top-k
  // across them: PrepareScan, Scan and the slots' ids and floats.
  friend class IvfIndex;

  explicit FlatIndex(const FlatIndexOptions& options);

  absl::Status ValidateSearch(absl::Span<const float> queries, size_t count,
                              const SearchOptions& params) const;
  // One query's scan state: the query as scored (normalized for cosine), its prepared form and,
  // for the fast path, its 8-bit tables. Defined in flat_index.cc.
  struct QueryScan;
  QueryScan PrepareScan(const float* query, const SearchOptions& params) const;
  // The number of candidates a scan keeps: k, or the re-rank candidates.
  static size_t Keep(const SearchOptions& params);
  // Search for one validated query; with `split_over_threads`, a large index is scanned by all
  // OpenMP threads, each over its share of the blocks, and their top-k are merged.
  std::vector<SearchHit> SearchOne(const float* query, const SearchOptions& params,
                                   bool split_over_threads) const;
  // Pushes the key of every slot in [begin, end) into `top` (`begin` a multiple of the block
  // size): one reference score per code, or the fast-scan kernels with threshold pruning (only
  // slots whose bound can beat the k-th key are scored exactly). Both give the same top-k, and
  // scanning a range in consecutive pieces gives the same top-k as scanning it whole.
  // Slots are pushed as `value_offset` + slot (a partitioned index numbers its lists' slots
  // one after another, so its lists share one top-k and its threshold).
  void Scan(const QueryScan& query, size_t begin, size_t end, TopK* top,
            uint32_t value_offset = 0) const;
  void ScanReference(const QueryScan& query, size_t begin, size_t end, TopK* top,
                     uint32_t value_offset) const;
  // The fast path for several queries at once (tops[j] for queries[j]): each block of codes is
  // read once for all of them.
  void ScanBlocks(absl::Span<const QueryScan* const> queries, size_t begin, size_t end,
                  absl::Span<TopK* const> tops, uint32_t value_offset = 0) const;
  // The pruning kernels' per-query terms (scan/prune_kernels.h).
  scan::PruneTerms PruneTermsOf(const QueryScan& query) const;
  // The blocks whose survivors a second pass with residual tables refines: those behind the
  // bound's only sums (tq-mse's MSE blocks, or tq-prod's sign blocks without an MSE part), else
  // null.
  const scan::NibbleBlocks* RefinedBlocks() const;
  // Re-ranks `top` when asked and turns it into hits.
  std::vector<SearchHit> Finish(const float* query, const QueryScan& query_scan, TopK top,
                                const SearchOptions& params) const;
  FlatIndexOptions options_;
  std::shared_ptr<const VectorCoder> coder_;
  std::shared_ptr<const IndexEncoder> encoder_;  // wraps coder_
  const Quantizer* quantizer_ = nullptr;         // coder_'s
  bool owns_quantizer_ = false;                  // not shared: counted in Memory()
  size_t code_bytes_ = 0;
  // The code of `slot`: in `buffer` (code_bytes_), taken out of the blocks, or where it is
  // stored.
  const uint8_t* CodeAt(size_t slot, uint8_t* buffer) const;

  std::unique_ptr<IdMap> id_map_;      // slot -> id and back
  std::unique_ptr<SlotArrays> slots_;  // codes, factors, tags and vectors by slot
  // The fast-scan copies of the codes: the MSE part at 1 to 4 bits, and tq-prod's sign bits.
  // Null when that part is absent or too wide for the kernels (then the reference scan runs).
  std::unique_ptr<scan::NibbleBlocks> mse_blocks_;
  std::unique_ptr<scan::NibbleBlocks> sign_blocks_;
  bool fast_scan_ = false;  // every part of the code has blocks
};

}  // namespace tqdb
