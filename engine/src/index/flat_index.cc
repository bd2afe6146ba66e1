#include "tqdb/flat_index.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "index/flat_encoder.h"
#include "index/id_map.h"
#include "index/query_scan.h"
#include "index/rerank.h"
#include "index/scan/lookup_tables.h"
#include "index/scan/nibble_blocks.h"
#include "index/scan/prune_kernels.h"
#include "index/scan/scan_kernels.h"
#include "index/slot_arrays.h"
#include "index/topk.h"
#include "index/vector_checks.h"
#include "index/vector_coder.h"
#include "quant/codebook.h"
#include "quant/prepared_query.h"
#include "tqdb/status_macros.h"

namespace tqdb {
namespace {

// Below this many vectors one query is scanned by one thread: the split costs more than it saves.
constexpr size_t kSplitScanMinVectors = 32768;
// A batch scans the index in chunks of this many vectors, each chunk for a group of queries in
// turn, so the chunk's codes come from memory once per group and from cache for the rest.
constexpr size_t kSharedScanChunk = 2048;
constexpr size_t kSharedScanQueries = 8;
// ScanBlocks keeps the per-query state of up to this many queries on the stack.
constexpr size_t kInlineQueries = kSharedScanQueries;

}  // namespace

FlatIndex::FlatIndex(const FlatIndexOptions& options)
    : options_(options), id_map_(std::make_unique<IdMap>()) {}
FlatIndex::~FlatIndex() = default;

absl::StatusOr<std::unique_ptr<FlatIndex>> FlatIndex::Create(const FlatIndexOptions& options) {
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<Quantizer> quantizer, Quantizer::Create(options.quantizer));
  TQDB_ASSIGN_OR_RETURN(std::unique_ptr<FlatIndex> index,
                        Create(options, std::shared_ptr<const Quantizer>(std::move(quantizer))));
  index->owns_quantizer_ = true;
  return index;
}

absl::StatusOr<std::unique_ptr<FlatIndex>> FlatIndex::Create(
    const FlatIndexOptions& options, std::shared_ptr<const Quantizer> quantizer) {
  if (quantizer == nullptr || quantizer->dim() != options.quantizer.dim) {
    return absl::InvalidArgumentError("FlatIndex: the shared quantizer is not of this dimension");
  }
  std::unique_ptr<FlatIndex> index(new FlatIndex(options));
  TQDB_ASSIGN_OR_RETURN(index->coder_, VectorCoder::Create(options.metric, std::move(quantizer),
                                                           options.center, options.shift_queries));
  index->quantizer_ = &index->coder_->quantizer();
  index->encoder_ = MakeFlatEncoder(index->coder_);
  index->code_bytes_ = index->quantizer_->code_bytes();
  index->slots_ = std::make_unique<SlotArrays>(index->code_bytes_, options.quantizer.dim);
  const int mse_bits = index->quantizer_->mse_bits();
  const bool prod = options.quantizer.kind == QuantizerKind::kProd;
  if (mse_bits == 0 || scan::NibbleCodable(mse_bits)) {
    const int d = options.quantizer.dim;
    if (mse_bits > 0) index->mse_blocks_ = std::make_unique<scan::NibbleBlocks>(d, mse_bits);
    if (prod) index->sign_blocks_ = std::make_unique<scan::NibbleBlocks>(d, 1);
    index->fast_scan_ = true;
  }
  return index;
}

absl::Status FlatIndex::Add(absl::Span<const uint64_t> ids, absl::Span<const float> vectors) {
  if (ids.empty()) return absl::InvalidArgumentError("empty batch: no vectors to add");
  TQDB_RETURN_IF_ERROR(ValidateVectors(vectors, ids.size(), dim()));
  TQDB_RETURN_IF_ERROR(ValidateUniqueIds(ids));

  // Encode the whole batch (in parallel) before touching the index.
  const size_t n = ids.size();
  std::vector<uint8_t> codes(n * code_bytes_);
  std::vector<VectorFactors> factors(n);
  coder_->EncodeBatch(vectors.data(), n, codes.data(), factors.data());
  return AddEncoded(ids, codes, factors,
                    options_.store_vectors ? vectors : absl::Span<const float>());
}

absl::Status FlatIndex::AddEncoded(absl::Span<const uint64_t> ids, absl::Span<const uint8_t> codes,
                                   absl::Span<const VectorFactors> factors,
                                   absl::Span<const float> vectors, uint64_t tag) {
  const size_t n = ids.size();
  const size_t d = dim();
  if (codes.size() != n * code_bytes_ || factors.size() != n ||
      (options_.store_vectors && vectors.size() != n * d)) {
    return absl::InvalidArgumentError(absl::StrCat("AddEncoded: ", n, " ids but ", codes.size(),
                                                   " code bytes, ", factors.size(), " factors and ",
                                                   vectors.size(), " floats"));
  }
  if (size() + n > UINT32_MAX) {
    return absl::ResourceExhaustedError("a flat index holds at most 2^32 - 1 vectors");
  }
  for (size_t i = 0; i < n; ++i) {
    const auto [slot, inserted] = id_map_->Insert(ids[i]);
    SlotArrays& s = *slots_;
    if (inserted) {
      s.tags.Resize(slot + 1);
      if (!fast_scan_) s.packed_codes.Resize(slot + 1);
      s.norms.Resize(slot + 1);
      s.auxs.Resize(slot + 1);
      if (options_.store_vectors) s.vectors.Resize(slot + 1);
    }
    if (!fast_scan_) std::memcpy(s.packed_codes.slot(slot), &codes[i * code_bytes_], code_bytes_);
    s.norms[slot] = factors[i].norm;
    s.auxs[slot] = factors[i].aux;
    s.tags[slot] = tag;
    if (options_.store_vectors)
      std::memcpy(s.vectors.slot(slot), &vectors[i * d], d * sizeof(float));
    const uint8_t* code = &codes[i * code_bytes_];
    if (mse_blocks_ != nullptr) {
      if (inserted) mse_blocks_->Resize(size());
      mse_blocks_->Set(slot, code);
    }
    if (sign_blocks_ != nullptr) {
      if (inserted) sign_blocks_->Resize(size());
      sign_blocks_->Set(slot, code + quantizer_->mse_bytes());
    }
  }
  return absl::OkStatus();
}

bool FlatIndex::CodeOf(uint64_t id, uint8_t* code) const {
  const std::optional<uint32_t> slot = id_map_->Find(id);
  if (!slot.has_value()) return false;
  const uint8_t* stored = CodeAt(*slot, code);
  if (stored != code) std::memcpy(code, stored, code_bytes_);
  return true;
}

const uint8_t* FlatIndex::CodeAt(size_t slot, uint8_t* buffer) const {
  if (!fast_scan_) return slots_->packed_codes.slot(slot);
  if (mse_blocks_ != nullptr) mse_blocks_->Get(slot, buffer);
  if (sign_blocks_ != nullptr) sign_blocks_->Get(slot, buffer + quantizer_->mse_bytes());
  return buffer;
}

const float* FlatIndex::StoredVector(uint64_t id) const {
  if (!options_.store_vectors) return nullptr;
  const std::optional<uint32_t> slot = id_map_->Find(id);
  return slot.has_value() ? slots_->vectors.slot(*slot) : nullptr;
}

std::optional<VectorFactors> FlatIndex::FactorsOf(uint64_t id) const {
  const std::optional<uint32_t> slot = id_map_->Find(id);
  if (!slot.has_value()) return std::nullopt;
  return VectorFactors{slots_->norms[*slot], slots_->auxs[*slot]};
}

absl::Status FlatIndex::AddEncoded(absl::Span<const uint64_t> ids, const EncodedVectors& encoded,
                                   uint64_t tag) {
  if (!encoded.lists.empty()) {
    return absl::InvalidArgumentError("a flat index has no lists: encoded vectors name some");
  }
  return AddEncoded(ids, encoded.codes, encoded.factors, {}, tag);
}

bool FlatIndex::AppendEncoded(uint64_t id, EncodedVectors* out) const {
  const std::optional<uint32_t> slot = id_map_->Find(id);
  if (!slot.has_value()) return false;
  out->codes.resize(out->codes.size() + code_bytes_);
  uint8_t* code = &out->codes[out->codes.size() - code_bytes_];
  const uint8_t* stored = CodeAt(*slot, code);
  if (stored != code) std::memcpy(code, stored, code_bytes_);
  out->factors.push_back({slots_->norms[*slot], slots_->auxs[*slot]});
  return true;
}

bool FlatIndex::Reconstruct(uint64_t id, float* out) const {
  const std::optional<uint32_t> slot = id_map_->Find(id);
  if (!slot.has_value()) return false;
  std::vector<uint8_t> buffer(code_bytes_);
  coder_->Decode(CodeAt(*slot, buffer.data()), {slots_->norms[*slot], slots_->auxs[*slot]}, out);
  return true;
}

std::optional<uint64_t> FlatIndex::TagOf(uint64_t id) const {
  const std::optional<uint32_t> slot = id_map_->Find(id);
  if (!slot.has_value()) return std::nullopt;
  return slots_->tags[*slot];
}

void FlatIndex::SetTag(uint64_t id, uint64_t tag) {
  if (const std::optional<uint32_t> slot = id_map_->Find(id)) slots_->tags[*slot] = tag;
}

size_t FlatIndex::Remove(absl::Span<const uint64_t> ids) {
  size_t removed = 0;
  SlotArrays& s = *slots_;
  for (uint64_t id : ids) {
    const uint32_t last = static_cast<uint32_t>(size() - 1);
    const std::optional<uint32_t> removed_slot = id_map_->Remove(id);
    if (!removed_slot.has_value()) continue;
    const uint32_t hole = *removed_slot;
    if (hole != last) {
      if (!fast_scan_)
        std::memcpy(s.packed_codes.slot(hole), s.packed_codes.slot(last), code_bytes_);
      s.norms[hole] = s.norms[last];
      s.auxs[hole] = s.auxs[last];
      s.tags[hole] = s.tags[last];
      if (options_.store_vectors) {
        std::memcpy(s.vectors.slot(hole), s.vectors.slot(last), dim() * sizeof(float));
      }
      for (auto* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
        if (blocks != nullptr) blocks->Move(last, hole);
      }
    }
    for (auto* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
      if (blocks != nullptr) blocks->Resize(last);
    }
    s.tags.Resize(last);
    if (!fast_scan_) s.packed_codes.Resize(last);
    s.norms.Resize(last);
    s.auxs.Resize(last);
    if (options_.store_vectors) s.vectors.Resize(last);
    ++removed;
  }
  return removed;
}

absl::Status FlatIndex::ValidateSearch(absl::Span<const float> queries, size_t count,
                                       const SearchOptions& params) const {
  return ValidateSearchRequest(queries, count, dim(), options_.metric, params,
                               options_.store_vectors);
}

absl::StatusOr<std::vector<SearchHit>> FlatIndex::Search(absl::Span<const float> query,
                                                         const SearchOptions& params) const {
  TQDB_RETURN_IF_ERROR(ValidateSearch(query, 1, params));
  return SearchOne(query.data(), params, /*split_over_threads=*/true);
}

absl::StatusOr<std::vector<std::vector<SearchHit>>> FlatIndex::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& params) const {
  TQDB_ASSIGN_OR_RETURN(const size_t count, CountQueries(queries, dim()));
  TQDB_RETURN_IF_ERROR(ValidateSearch(queries, count, params));
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
  const size_t groups = (count + kSharedScanQueries - 1) / kSharedScanQueries;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t g = 0; g < groups; ++g) {
    const size_t first = g * kSharedScanQueries;
    const size_t last = std::min(count, first + kSharedScanQueries);
    std::vector<QueryScan> scans;
    std::vector<TopK> tops;
    for (size_t i = first; i < last; ++i) {
      scans.push_back(PrepareScan(queries.data() + i * dim(), params));
      tops.emplace_back(Keep(params));
    }
    if (scans[0].fast) {
      // Every block is read once for the whole group (register blocking in the kernels).
      std::vector<const QueryScan*> scan_pointers;
      std::vector<TopK*> top_pointers;
      for (size_t j = 0; j < scans.size(); ++j) {
        scan_pointers.push_back(&scans[j]);
        top_pointers.push_back(&tops[j]);
      }
      ScanBlocks(scan_pointers, 0, n, top_pointers);
    } else {
      for (size_t begin = 0; begin < n; begin += kSharedScanChunk) {
        const size_t end = std::min(n, begin + kSharedScanChunk);
        for (size_t j = 0; j < scans.size(); ++j) Scan(scans[j], begin, end, &tops[j]);
      }
    }
    for (size_t j = 0; j < scans.size(); ++j) {
      results[first + j] =
          Finish(queries.data() + (first + j) * dim(), scans[j], std::move(tops[j]), params);
    }
  }
  return results;
}

size_t FlatIndex::Keep(const SearchOptions& params) { return CandidatesKept(params); }

FlatIndex::QueryScan FlatIndex::PrepareScan(const float* query, const SearchOptions& params) const {
  const int d = dim();
  QueryScan query_scan;
  query_scan.terms = coder_->PrepareTerms(query);
  quantizer_->PrepareQuery(query_scan.terms.shifted.data(), &query_scan.prepared);
  // Without SIMD the byte-table reference (one lookup per code byte) beats the nibble kernel.
  query_scan.fast =
      fast_scan_ && !params.reference_scan && scan::ActiveScanLevel() != scan::ScanLevel::kScalar;
  query_scan.table_keys = params.rerank || params.caller_reranks;
  // The tables behind the pruning bound's Q sums (tq-mse's MSE tables, tq-prod's sign tables)
  // get residual tables, so a block's survivors are refined before any is scored exactly;
  // not when a P part (tq-prod's MSE sums) is in the bound too, nor when the combined counts
  // (254 x 255 + 255 per group) could reach 2^31.
  const scan::NibbleBlocks* q_blocks = RefinedBlocks();
  auto refine = [&](const scan::NibbleBlocks* blocks) {
    return blocks == q_blocks && blocks->groups() < (int64_t{1} << 31) / (255 * 255);
  };
  if (query_scan.fast && mse_blocks_ != nullptr) {
    scan::BuildQuantizedTables(query_scan.prepared.rotated.data(), d, quantizer_->mse_bits(),
                               quantizer_->codebook()->centroids.data(), mse_blocks_->groups(),
                               &query_scan.mse_tables, refine(mse_blocks_.get()));
  }
  if (query_scan.fast && sign_blocks_ != nullptr) {
    scan::BuildQuantizedTables(query_scan.prepared.projected.data(), d, 1, kSignCentroids,
                               sign_blocks_->groups(), &query_scan.sign_tables,
                               refine(sign_blocks_.get()));
  }
  return query_scan;
}

std::vector<SearchHit> FlatIndex::SearchOne(const float* query, const SearchOptions& params,
                                            bool split_over_threads) const {
  const QueryScan query_scan = PrepareScan(query, params);
  // Keys are "higher is better": similarity, or minus the squared distance for L2.
  const size_t keep = Keep(params);
  TopK top(keep);
  const size_t n = size();
  const int threads = split_over_threads && n >= kSplitScanMinVectors ? omp_get_max_threads() : 1;
  if (threads <= 1) {
    Scan(query_scan, 0, n, &top);
  } else {
    // Each thread keeps its own top-k over a contiguous share of whole blocks; the union of
    // their top-k holds the overall top-k.
    std::vector<TopK> partial(threads, TopK(keep));
    const size_t blocks = (n + scan::kBlockSize - 1) / scan::kBlockSize;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int t = 0; t < threads; ++t) {
      const size_t begin = blocks * t / threads * scan::kBlockSize;
      const size_t end = std::min(n, blocks * (t + 1) / threads * scan::kBlockSize);
      if (begin < end) Scan(query_scan, begin, end, &partial[t]);
    }
    for (TopK& part : partial) {
      for (const auto& [key, slot] : std::move(part).Sorted()) top.Push(key, slot);
    }
  }
  return Finish(query, query_scan, std::move(top), params);
}

std::vector<SearchHit> FlatIndex::Finish(const float* query, const QueryScan& query_scan, TopK top,
                                         const SearchOptions& params) const {
  const std::vector<std::pair<float, uint32_t>> best = std::move(top).Sorted();
  return HitsOf(
      options_.metric, query, query_scan.terms.norm_sq, dim(), best, params,
      [&](size_t c) { return id_map_->id(best[c].second); },
      [&](size_t c) { return slots_->vectors.slot(best[c].second); });
}

const Quantizer& FlatIndex::quantizer() const { return *quantizer_; }

void FlatIndex::Scan(const QueryScan& query, size_t begin, size_t end, TopK* top,
                     uint32_t value_offset) const {
  if (query.fast) {
    const QueryScan* queries[] = {&query};
    TopK* tops[] = {top};
    ScanBlocks(queries, begin, end, tops, value_offset);
  } else {
    ScanReference(query, begin, end, top, value_offset);
  }
}

void FlatIndex::ScanReference(const QueryScan& query, size_t begin, size_t end, TopK* top,
                              uint32_t value_offset) const {
  std::vector<uint8_t> buffer(code_bytes_);
  for (size_t slot = begin; slot < end; ++slot) {
    const VectorFactors f{slots_->norms[slot], slots_->auxs[slot]};
    const float estimate =
        quantizer_->EstimateInnerProduct(query.prepared, CodeAt(slot, buffer.data()), f);
    top->Push(coder_->Key(f, estimate, query.terms), value_offset + static_cast<uint32_t>(slot));
  }
}

const scan::NibbleBlocks* FlatIndex::RefinedBlocks() const {
  if (sign_blocks_ == nullptr) return mse_blocks_.get();
  return mse_blocks_ == nullptr ? sign_blocks_.get() : nullptr;
}

scan::PruneTerms FlatIndex::PruneTermsOf(const QueryScan& query) const {
  scan::PruneTerms t;
  const AffineKey key = coder_->AffineKeyOf(query.terms);
  t.a_const = key.a_const;
  t.a_norm = key.a_norm;
  t.c0 = key.c0;
  t.c1 = key.c1;
  const scan::QuantizedTables& mse = query.mse_tables;
  if (sign_blocks_ != nullptr) {
    // tq-prod: estimate = mse + a * qjl_scale * sign, within mse_error + |a qjl_scale| sign_error.
    if (mse_blocks_ != nullptr) {
      t.p0 = mse.bias + mse.max_error;
      t.p1 = 1 / mse.scale;
    }
    const float weight = query.prepared.qjl_scale;
    const scan::QuantizedTables& sign = query.sign_tables;
    t.q0 = weight * sign.bias;
    t.q1 = weight / sign.scale;
    t.e = std::abs(weight) * sign.max_error;
  } else {
    // tq-mse: estimate = a * mse, within |a| mse_error.
    t.q0 = mse.bias;
    t.q1 = 1 / mse.scale;
    t.e = mse.max_error;
  }
  return t;
}

void FlatIndex::ScanBlocks(absl::Span<const QueryScan* const> queries, size_t begin, size_t end,
                           absl::Span<TopK* const> tops, uint32_t value_offset) const {
  const int count = static_cast<int>(queries.size());
  const bool prod = sign_blocks_ != nullptr;
  const scan::ScanQueriesFn scan_queries = scan::ActiveScanQueries();
  const scan::PruneBlockFn prune_block = scan::ActivePruneBlock();
  // Inlined for the usual group sizes: a partitioned index calls this once per probed list.
  absl::InlinedVector<scan::PruneTerms, kInlineQueries> prune_terms;
  absl::InlinedVector<const uint8_t*, kInlineQueries> mse_tables, sign_tables;
  for (const QueryScan* query : queries) {
    prune_terms.push_back(PruneTermsOf(*query));
    mse_tables.push_back(query->mse_tables.tables.data());
    sign_tables.push_back(query->sign_tables.tables.data());
  }
  // tq-mse has one sum array per query (Q); tq-prod has the MSE sums (P, zero without an MSE
  // part) and the sign sums (Q).
  absl::InlinedVector<uint32_t, kInlineQueries * scan::kBlockSize> p_sums(count * scan::kBlockSize),
      q_sums(count * scan::kBlockSize);
  uint32_t* mse_sums = prod ? p_sums.data() : q_sums.data();
  // The second pass over a block with survivors, with the Q tables' residual tables.
  const scan::ScanBlockFn scan_block = scan::ActiveScanBlock();
  const scan::NibbleBlocks* q_blocks = RefinedBlocks();
  absl::InlinedVector<const scan::QuantizedTables*, kInlineQueries> refine_tables(count, nullptr);
  absl::InlinedVector<scan::PruneTerms, kInlineQueries> refined_terms = prune_terms;
  for (int j = 0; j < count && q_blocks != nullptr; ++j) {
    const scan::QuantizedTables& tables = prod ? queries[j]->sign_tables : queries[j]->mse_tables;
    if (tables.residual.empty()) continue;
    refine_tables[j] = &tables;
    // Q enters the bound as weight x (its estimate): 1 for tq-mse, qjl_scale for tq-prod.
    const float weight = prod ? queries[j]->prepared.qjl_scale : 1.0f;
    refined_terms[j].q0 = weight * tables.refined_bias;
    refined_terms[j].q1 = weight * tables.refined_step;
    refined_terms[j].e = std::abs(weight) * tables.refined_max_error;
  }
  alignas(64) uint32_t residual_sums[scan::kBlockSize], combined[scan::kBlockSize];
  // Chunks hold whole blocks, so a block's factors are contiguous.
  const ChunkedArray<float>& norms = slots_->norms;
  const ChunkedArray<float>& auxs = slots_->auxs;
  absl::InlinedVector<uint8_t, 1024> code(code_bytes_);  // a survivor's code, from the blocks
  for (size_t first = begin; first < end; first += scan::kBlockSize) {
    const size_t b = first / scan::kBlockSize;
    // Each block is read once for all the queries.
    if (mse_blocks_ != nullptr) {
      scan_queries(mse_blocks_->block(b), mse_tables.data(), count, mse_blocks_->groups(),
                   mse_sums);
    }
    if (prod) {
      scan_queries(sign_blocks_->block(b), sign_tables.data(), count, sign_blocks_->groups(),
                   q_sums.data());
    }
    const int in_block = static_cast<int>(std::min<size_t>(scan::kBlockSize, end - first));
    for (int j = 0; j < count; ++j) {
      const QueryScan& query = *queries[j];
      TopK* top = tops[j];
      // Only the vectors whose bound can beat the k-th key are scored exactly.
      const uint32_t* q = &q_sums[j * scan::kBlockSize];
      uint32_t keep = prune_block(prune_terms[j], &p_sums[j * scan::kBlockSize], q, &norms[first],
                                  &auxs[first], in_block, top->threshold());
      const bool refined = keep != 0 && refine_tables[j] != nullptr;
      if (refined) {
        // kResidualSteps (254) times tighter bounds from 8 more bits of each table entry.
        scan_block(q_blocks->block(b), refine_tables[j]->residual.data(), q_blocks->groups(),
                   residual_sums);
        for (int i = 0; i < scan::kBlockSize; ++i) {
          combined[i] = scan::kResidualSteps * q[i] + residual_sums[i];
        }
        keep &= prune_block(refined_terms[j], combined, combined, &norms[first], &auxs[first],
                            in_block, top->threshold());
      }
      if (keep == 0) continue;
      // tq-mse's estimate is a x (its MSE part): the refined sums give it without the code.
      if (query.table_keys && refined && !prod) {
        for (; keep != 0; keep &= keep - 1) {
          const int i = __builtin_ctz(keep);
          const size_t slot = first + i;
          const VectorFactors f{norms[slot], auxs[slot]};
          const float estimate =
              f.aux *
              std::fma(refined_terms[j].q1, static_cast<float>(combined[i]), refined_terms[j].q0);
          top->Push(coder_->Key(f, estimate, query.terms),
                    value_offset + static_cast<uint32_t>(slot));
        }
        continue;
      }
      // Exact scores, best bound first: each one scored raises the threshold the rest are
      // checked against again (a first block, where the top-k is still empty, keeps all 32).
      // Skipping a bound below the threshold skips only keys Push would refuse.
      const scan::PruneTerms& terms = refined ? refined_terms[j] : prune_terms[j];
      const uint32_t* ps = refined ? combined : &p_sums[j * scan::kBlockSize];
      const uint32_t* qs = refined ? combined : q;
      std::pair<float, int> order[scan::kBlockSize];
      int survivors = 0;
      for (; keep != 0; keep &= keep - 1) {
        const int i = __builtin_ctz(keep);
        order[survivors++] = {
            scan::PruneBound(terms, ps[i], qs[i], norms[first + i], auxs[first + i]), i};
      }
      std::sort(order, order + survivors,
                [](const auto& a, const auto& b) { return a.first > b.first; });
      for (int s = 0; s < survivors; ++s) {
        if (order[s].first < top->threshold()) break;  // sorted: the rest are lower still
        const size_t slot = first + order[s].second;
        const VectorFactors f{norms[slot], auxs[slot]};
        const float estimate =
            quantizer_->EstimateInnerProduct(query.prepared, CodeAt(slot, code.data()), f);
        top->Push(coder_->Key(f, estimate, query.terms),
                  value_offset + static_cast<uint32_t>(slot));
      }
    }
  }
}

IndexMemory FlatIndex::Memory() const {
  IndexMemory memory;
  memory.codes = slots_->packed_codes.MemoryBytes() +
                 (mse_blocks_ != nullptr ? mse_blocks_->MemoryBytes() : 0) +
                 (sign_blocks_ != nullptr ? sign_blocks_->MemoryBytes() : 0);
  memory.factors = slots_->norms.MemoryBytes() + slots_->auxs.MemoryBytes();
  memory.ids = id_map_->MemoryBytes() + slots_->tags.MemoryBytes();
  memory.vectors = slots_->vectors.MemoryBytes();
  if (owns_quantizer_) memory.codec = quantizer_->MemoryBytes();
  return memory;
}

IndexStats FlatIndex::Stats() const {
  IndexStats stats;
  stats.size = size();
  stats.memory = Memory();
  return stats;
}

size_t FlatIndex::size() const { return id_map_->size(); }
std::vector<uint64_t> FlatIndex::Ids() const { return id_map_->Ids(); }
bool FlatIndex::Contains(uint64_t id) const { return id_map_->Find(id).has_value(); }

void FlatIndex::ShrinkToFit() {
  id_map_->ShrinkToFit();
  for (ChunkedArray<float>* floats : {&slots_->norms, &slots_->auxs, &slots_->vectors}) {
    floats->ShrinkToFit();
  }
  slots_->tags.ShrinkToFit();
  slots_->packed_codes.ShrinkToFit();
  for (auto* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
    if (blocks != nullptr) blocks->ShrinkToFit();
  }
}

}  // namespace tqdb
