#include "tqdb/flat_index.h"

#include <omp.h>

#include <algorithm>

#include "index/flat_encoder.h"
#include "index/scan/scan_labels.h"
#include "index/scan/scanner.h"
#include "index/scan/selector_filter.h"
#include "index/search_hits.h"
#include "index/store/inverted_lists.h"
#include "index/topk.h"
#include "index/vector_checks.h"
#include "index/vector_coder.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

// Below this many vectors one query is scanned by one thread: the split costs more than it saves.
constexpr size_t kSplitScanMinVectors = 32768;
// A batch scans the index in chunks of this many vectors, each chunk for a group of queries in
// turn, so the chunk's codes come from memory once per group and from cache for the rest.
constexpr size_t kSharedScanChunk = 2048;
constexpr size_t kSharedScanQueries = 8;

}  // namespace

FlatIndex::FlatIndex(const FlatIndexOptions& options) : options_(options) {}
FlatIndex::~FlatIndex() = default;

absl::StatusOr<std::unique_ptr<FlatIndex>> FlatIndex::Create(const FlatIndexOptions& options) {
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<VectorCoder> coder,
                        VectorCoder::Create(options.metric, options.quantizer, options.center));
  std::unique_ptr<FlatIndex> index(new FlatIndex(options));
  index->coder_ = std::move(coder);
  index->encoder_ = MakeFlatEncoder(index->coder_);
  index->lists_ = std::make_unique<InvertedLists>(CodeLayout::Of(index->coder_->quantizer()), 1,
                                                  options.store_vectors, /*partitioned=*/false);
  return index;
}

const Quantizer& FlatIndex::quantizer() const { return coder_->quantizer(); }
size_t FlatIndex::size() const { return lists_->size(); }
std::vector<uint64_t> FlatIndex::Ids() const { return lists_->Ids(); }
bool FlatIndex::Contains(uint64_t id) const { return lists_->Find(id).has_value(); }
void FlatIndex::ShrinkToFit() { lists_->ShrinkToFit(); }
size_t FlatIndex::Remove(absl::Span<const uint64_t> ids) { return lists_->Remove(ids); }
std::optional<uint64_t> FlatIndex::TagOf(uint64_t id) const { return lists_->TagOf(id); }
void FlatIndex::SetTag(uint64_t id, uint64_t tag) { lists_->SetTag(id, tag); }

bool FlatIndex::AppendEncoded(uint64_t id, EncodedVectors* out) const {
  return lists_->AppendEncoded(id, out);
}

absl::Status FlatIndex::Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) {
  if (ids.empty()) return absl::InvalidArgumentError("empty batch: no vectors to add");
  TQDB_RETURN_IF_ERROR(ValidateVectors(
      vectors, ids.size(), dim(), MaxVectorNorm(options_.metric, options_.quantizer.factor_bits)));
  TQDB_RETURN_IF_ERROR(ValidateUniqueIds(ids));
  // Encode the whole batch (in parallel) before touching the index.
  EncodedVectors encoded;
  encoder_->Encode(vectors.data(), ids.size(), &encoded);
  return AddEncoded(ids, encoded, options_.store_vectors ? vectors : absl::Span<const float>(), 0);
}

absl::Status FlatIndex::AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                   uint64_t tag) {
  return AddEncoded(ids, encoded, {}, tag);
}

absl::Status FlatIndex::AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                   absl::Span<const float> vectors, uint64_t tag) {
  if (!encoded.lists.empty()) {
    return absl::InvalidArgumentError("a flat index has no lists: encoded vectors name some");
  }
  return lists_->Upsert(ids, encoded, vectors, tag);
}

bool FlatIndex::Reconstruct(uint64_t id, float* out) const {
  return lists_->Reconstruct(
      id, [&](uint32_t) -> const VectorCoder& { return *coder_; }, out);
}

absl::StatusOr<std::vector<SearchHit>> FlatIndex::Search(absl::Span<const float> query,
                                                         const SearchParameters& params) const {
  TQDB_RETURN_IF_ERROR(
      ValidateSearchRequest(query, 1, dim(), options_.metric, params, options_.store_vectors));
  return SearchOne(query.data(), params, /*split_over_threads=*/true);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> FlatIndex::SearchBatch(
    absl::Span<const float> queries, const SearchParameters& params) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  TQDB_RETURN_IF_ERROR(ValidateSearchRequest(queries, count, dim(), options_.metric, params,
                                             options_.store_vectors));
  std::vector<std::vector<SearchHit>> results(count);
  if (count == 1) {
    results[0] = SearchOne(queries.data(), params, /*split_over_threads=*/true);
    return results;
  }
  const size_t n = size();
  if (n <= kSharedScanChunk) {
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < count; ++i) {
      results[i] = SearchOne(queries.data() + i * dim(), params, /*split_over_threads=*/false);
    }
    return results;
  }
  // Groups of queries over shared chunks of the index; each query keeps its own top-k across
  // chunks, so the results are those of scanning it alone.
  const CodeStore& store = lists_->store(0);
  const CodeLayout& layout = store.layout();
  ScanLabels labels;
  labels.Add(0, n);
  const size_t groups = (count + kSharedScanQueries - 1) / kSharedScanQueries;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t g = 0; g < groups; ++g) {
    const size_t first = g * kSharedScanQueries;
    const size_t last = std::min(count, first + kSharedScanQueries);
    std::vector<Scanner> scanners;
    std::vector<TopK> tops;
    for (size_t i = first; i < last; ++i) {
      scanners.emplace_back(*coder_, layout, queries.data() + i * dim(), ScanOptions::Of(params));
      tops.emplace_back(CandidatesKept(params));
    }
    std::vector<const Scanner*> scanner_pointers;
    std::vector<TopK*> top_pointers;
    for (size_t j = 0; j < scanners.size(); ++j) {
      scanner_pointers.push_back(&scanners[j]);
      top_pointers.push_back(&tops[j]);
    }
    // The fast path reads each block once for the whole group (register blocking in the
    // kernels); the reference path scans chunk by chunk, query by query, from cache.
    const size_t chunk = scanners[0].fast() ? n : kSharedScanChunk;
    std::optional<SelectorFilter> selected;
    const SlotFilter* filter = FilterOf(params.selector, *lists_, 0, &selected);
    for (size_t begin = 0; begin < n; begin += chunk) {
      Scanner::ScanTogether(scanner_pointers, store, begin, std::min(n, begin + chunk),
                            top_pointers, /*label_base=*/0, filter);
    }
    for (size_t j = 0; j < scanners.size(); ++j) {
      results[first + j] =
          HitsOf(*lists_, labels, options_.metric, queries.data() + (first + j) * dim(),
                 scanners[j].terms().norm_sq, std::move(tops[j]), params);
    }
  }
  return results;
}

std::vector<SearchHit> FlatIndex::SearchOne(const float* query, const SearchParameters& params,
                                            bool split_over_threads) const {
  const CodeStore& store = lists_->store(0);
  const Scanner scanner(*coder_, store.layout(), query, ScanOptions::Of(params));
  // Keys are "higher is better": similarity, or minus the squared distance for L2.
  const size_t keep = CandidatesKept(params);
  TopK top(keep);
  const size_t n = store.size();
  const int threads = split_over_threads && n >= kSplitScanMinVectors ? omp_get_max_threads() : 1;
  std::optional<SelectorFilter> selected;
  const SlotFilter* filter = FilterOf(params.selector, *lists_, 0, &selected);
  if (threads <= 1) {
    scanner.Scan(store, 0, n, &top, /*label_base=*/0, filter);
  } else {
    // Each thread keeps its own top-k over a contiguous share of whole blocks; the union of
    // their top-k holds the overall top-k.
    std::vector<TopK> partial(threads, TopK(keep));
    const size_t blocks = (n + scan::kBlockSize - 1) / scan::kBlockSize;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t) {
      const size_t begin = blocks * t / threads * scan::kBlockSize;
      const size_t end = std::min(n, blocks * (t + 1) / threads * scan::kBlockSize);
      if (begin < end) scanner.Scan(store, begin, end, &partial[t], /*label_base=*/0, filter);
    }
    for (TopK& part : partial) {
      for (const auto& [key, slot] : std::move(part).Sorted()) top.Push(key, slot);
    }
  }
  ScanLabels labels;
  labels.Add(0, n);
  return HitsOf(*lists_, labels, options_.metric, query, scanner.terms().norm_sq, std::move(top),
                params);
}

IndexMemory FlatIndex::Memory() const {
  IndexMemory memory = lists_->Memory();
  memory.codec = coder_->quantizer().MemoryBytes();
  return memory;
}

IndexStats FlatIndex::Stats() const {
  IndexStats stats;
  stats.size = size();
  stats.memory = Memory();
  return stats;
}

}  // namespace tqdb
