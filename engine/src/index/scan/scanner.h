// One prepared query scanning code stores (store/code_store.h): the query's terms, its
// quantizer-prepared form and, for the fast path, its 8-bit tables, built once and used for any
// store of the same code layout, as FAISS's InvertedListScanner serves every list of an IVF
// index. Scores go to a result handler (TopK: the k best, or the re-rank's candidates), each
// slot labelled `label_base + slot` so several stores can share one handler and its threshold.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "index/scan/lookup_tables.h"
#include "index/scan/prune_kernels.h"
#include "index/scan/slot_filter.h"
#include "index/store/code_store.h"
#include "index/topk.h"
#include "index/vector_coder.h"
#include "quant/prepared_query.h"
#include "tqdb/search_options.h"

namespace tqdb {

struct ScanOptions {
  // Score every code with the scalar reference scorer instead of the fast-scan kernels (the
  // same top-k either way; tests and benchmarks compare the two).
  bool reference = false;
  // Re-rank follows, so every vector is keyed by its 8-bit table estimate (off by at most the
  // tables' rounding bound, as FAISS's fast-scan keys are) instead of being scored from its
  // code: the candidates are scored exactly with their floats anyway. On GloVe and ada-002 at
  // 1, 2 and 4 bits the re-ranked recall@10 matched the refined estimates' to 3 decimals.
  bool table_keys = false;

  // What an index search asks of its scans: the reference scorer when asked, table keys when a
  // re-rank follows (the index's own, or its caller's).
  static ScanOptions Of(const SearchParameters& params) {
    ScanOptions options;
    options.reference = params.reference_scan;
    options.table_keys = params.rerank || params.caller_reranks;
    return options;
  }
};

class Scanner {
 public:
  // Prepares `query` (validated, dim floats) for stores of `layout` coded by `coder`.
  Scanner(const VectorCoder& coder, const CodeLayout& layout, const float* query,
          const ScanOptions& options);

  // Keys the next stores scanned with `coder`: another list's coder that shares this one's
  // prepared query (same quantizer, queries not shifted by the center), so only the cosine
  // offset <q, m> of its center changes. Lists whose coders shift queries need a scanner each.
  void Rebind(const VectorCoder& coder);

  const QueryTerms& terms() const { return terms_; }
  // The fast-scan kernels run (else the reference scorer).
  bool fast() const { return fast_; }

  // Pushes the key of every slot in [begin, end) of `store` that `filter` (if any) passes into
  // `top` (`begin` a multiple of the block size): one reference score per code, or the fast-scan
  // kernels with threshold pruning (only slots whose bound can beat the k-th key are scored
  // exactly). Both give the same top-k, and scanning a range in consecutive pieces gives the
  // same top-k as scanning it whole.
  void Scan(const CodeStore& store, size_t begin, size_t end, TopK* top, uint32_t label_base = 0,
            const SlotFilter* filter = nullptr) const;
  // The fast path for several scanners of one coder at once (tops[j] for scanners[j]): each
  // block is read once for all of them (register blocking in the kernels). The reference path
  // scans them one after another.
  static void ScanTogether(absl::Span<const Scanner* const> scanners, const CodeStore& store,
                           size_t begin, size_t end, absl::Span<TopK* const> tops,
                           uint32_t label_base = 0, const SlotFilter* filter = nullptr);

 private:
  void ScanReference(const CodeStore& store, size_t begin, size_t end, TopK* top,
                     uint32_t label_base, const SlotFilter* filter) const;
  static void ScanBlocks(absl::Span<const Scanner* const> scanners, const CodeStore& store,
                         size_t begin, size_t end, absl::Span<TopK* const> tops,
                         uint32_t label_base, const SlotFilter* filter);
  // One query's part of ScanBlocks for one block whose sums the kernels gave: prune, refine the
  // survivors with the residual tables, and push the keys of those left.
  struct BlockQuery;
  struct Block;
  static void ScoreBlock(const BlockQuery& query, const Block& block, const uint32_t* p_sums,
                         const uint32_t* q_sums);
  // The pruning kernels' terms for this query and coder (scan/prune_kernels.h).
  scan::PruneTerms PruneTerms() const;
  // The same map for the 8-bit table estimate itself (no error radius; tq-prod's MSE bias
  // without its error), the key of every vector when a re-rank follows (KeyBlockFn).
  scan::PruneTerms KeyTerms() const;

  const VectorCoder* coder_;
  CodeLayout layout_;
  QueryTerms terms_;  // terms_.shifted is what prepared_ was built from
  PreparedQuery prepared_;
  bool fast_ = false;  // fast-scan kernels, else the reference scorer
  bool table_keys_ = false;
  scan::QuantizedTables mse_tables_, sign_tables_;
};

}  // namespace tqdb
