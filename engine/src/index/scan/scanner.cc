#include "index/scan/scanner.h"

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "index/scan/scan_kernels.h"
#include "index/store/nibble_blocks.h"
#include "quant/codebook.h"
#include "quant/half_float.h"

namespace tqdb {
namespace {

// ScanBlocks keeps the per-query state of up to this many scanners on the stack (a batch's
// group; a partitioned index calls it once per probed list).
constexpr size_t kInlineQueries = 8;

// The blocks whose survivors a second pass refines (CodeLayout::refined_groups), else null.
const scan::NibbleBlocks* RefinedBlocks(const CodeStore& store) {
  if (store.sign_blocks() == nullptr) return store.mse_blocks();
  return store.mse_blocks() == nullptr ? store.sign_blocks() : nullptr;
}

}  // namespace

Scanner::Scanner(const VectorCoder& coder, const CodeLayout& layout, const float* query,
                 const ScanOptions& options)
    : coder_(&coder), layout_(layout), table_keys_(options.table_keys) {
  const Quantizer& quantizer = coder.quantizer();
  terms_ = coder.PrepareTerms(query);
  // Without SIMD the byte-table reference (one lookup per code byte) beats the nibble kernel.
  fast_ = layout.block_coded() && !options.reference &&
          scan::ActiveScanLevel() != scan::ScanLevel::kScalar;
  // Without a re-rank, the tables behind the pruning bound's only sums get residual tables, so
  // a block's survivors are refined before any is scored exactly; not when the combined counts
  // (254 x 255 + 255 per group) could reach 2^31. With one, survivors are keyed by their 8-bit
  // table estimates (ScoreBlock) and never scored from their codes, so neither the residual
  // tables nor the code scorers' (byte tables, 51 KB at d = 100 and 4 bits) are built.
  const int refined = fast_ && !table_keys_ ? layout.refined_groups() : 0;
  const bool refine = refined > 0 && refined < (int64_t{1} << 31) / (255 * 255);
  const bool scores_codes = !(fast_ && table_keys_);
  quantizer.PrepareQuery(terms_.shifted.data(), &prepared_, scores_codes);
  if (!fast_) return;
  const int d = layout.dim;
  if (!layout.mse_parts.empty()) {
    absl::InlinedVector<const float*, 2> centroids;
    for (size_t i = 0; i < layout.mse_parts.size(); ++i) {
      centroids.push_back(quantizer.part_codebook(i).centroids.data());
    }
    scan::BuildQuantizedTables(prepared_.rotated.data(), layout.mse_parts, centroids.data(),
                               scan::PaddedGroups(layout.mse_parts), &mse_tables_,
                               refine && !layout.prod);
  }
  if (layout.prod) {
    scan::BuildQuantizedTables(prepared_.projected.data(), d, 1, kSignCentroids,
                               scan::PaddedGroups(d, 1), &sign_tables_,
                               refine && layout.mse_parts.empty());
  }
}

void Scanner::Rebind(const VectorCoder& coder) {
  coder_ = &coder;
  if (coder.centered() && coder.metric() == Metric::kCosine) {
    // terms_.shifted is the unit query (alpha is 0): only <q, m> changes.
    terms_.offset = coder.QueryOffset(terms_.shifted.data());
  }
}

void Scanner::Scan(const CodeStore& store, size_t begin, size_t end, TopK* top, uint32_t label_base,
                   const SlotFilter* filter) const {
  if (fast_) {
    const Scanner* scanners[] = {this};
    TopK* tops[] = {top};
    ScanBlocks(scanners, store, begin, end, tops, label_base, filter);
  } else {
    ScanReference(store, begin, end, top, label_base, filter);
  }
}

void Scanner::ScanTogether(absl::Span<const Scanner* const> scanners, const CodeStore& store,
                           size_t begin, size_t end, absl::Span<TopK* const> tops,
                           uint32_t label_base, const SlotFilter* filter) {
  if (scanners.empty()) return;
  if (scanners[0]->fast_) {
    ScanBlocks(scanners, store, begin, end, tops, label_base, filter);
    return;
  }
  for (size_t j = 0; j < scanners.size(); ++j) {
    scanners[j]->ScanReference(store, begin, end, tops[j], label_base, filter);
  }
}

void Scanner::ScanReference(const CodeStore& store, size_t begin, size_t end, TopK* top,
                            uint32_t label_base, const SlotFilter* filter) const {
  const Quantizer& quantizer = coder_->quantizer();
  std::vector<uint8_t> buffer(layout_.code_bytes);
  for (size_t first = begin; first < end; first += scan::kBlockSize) {
    const int in_block = static_cast<int>(std::min<size_t>(scan::kBlockSize, end - first));
    uint32_t pass = filter != nullptr
                        ? filter->Mask(first, in_block)
                        : (in_block == 32 ? ~uint32_t{0} : (uint32_t{1} << in_block) - 1);
    for (; pass != 0; pass &= pass - 1) {
      const size_t slot = first + __builtin_ctz(pass);
      const VectorFactors f = store.factors(slot);
      const float estimate =
          quantizer.EstimateInnerProduct(prepared_, store.CodeAt(slot, buffer.data()), f);
      top->Push(coder_->Key(f, estimate, terms_), label_base + static_cast<uint32_t>(slot));
    }
  }
}

scan::PruneTerms Scanner::PruneTerms() const {
  scan::PruneTerms t;
  const AffineKey key = coder_->AffineKeyOf(terms_);
  t.a_const = key.a_const;
  t.a_norm = key.a_norm;
  t.c0 = key.c0;
  t.c1 = key.c1;
  if (layout_.prod) {
    // tq-prod: estimate = mse + a * qjl_scale * sign, within mse_error + |a qjl_scale| sign_error.
    if (!layout_.mse_parts.empty()) {
      t.p0 = mse_tables_.bias + mse_tables_.max_error;
      t.p1 = 1 / mse_tables_.scale;
    }
    const float weight = prepared_.qjl_scale;
    t.q0 = weight * sign_tables_.bias;
    t.q1 = weight / sign_tables_.scale;
    t.e = std::abs(weight) * sign_tables_.max_error;
  } else {
    // tq-mse: estimate = a * mse, within |a| mse_error.
    t.q0 = mse_tables_.bias;
    t.q1 = 1 / mse_tables_.scale;
    t.e = mse_tables_.max_error;
  }
  return t;
}

scan::PruneTerms Scanner::KeyTerms() const {
  scan::PruneTerms t = PruneTerms();
  t.e = 0;
  if (layout_.prod && !layout_.mse_parts.empty()) t.p0 = mse_tables_.bias;
  return t;
}

// One scanner's part of a block scan: its top-k, its pruning terms (the 8-bit tables' and, when
// its tables have residuals, the refined ones), its table keys' terms when a re-rank follows.
struct Scanner::BlockQuery {
  const Scanner* scanner;
  TopK* top;
  scan::PruneTerms terms;
  scan::PruneTerms key_terms;
  scan::PruneTerms refined_terms;
  const scan::QuantizedTables* refine_tables;  // null: no second pass
};

// The block being scanned, as every query's scoring sees it, with the kernels of the active SIMD
// level (looked up once a scan, not once a block).
struct Scanner::Block {
  const CodeStore& store;
  scan::PruneBlockFn prune_block;
  scan::KeyBlockFn key_block;
  scan::KeyHalvesFn key_halves;
  scan::ScanBlockFn scan_block;
  const scan::NibbleBlocks* refined_blocks;  // whose survivors a second pass refines, or null
  size_t index;                              // the block's number
  size_t first;                              // its first slot
  int count;                                 // its slots in the range scanned
  uint32_t pass;
  uint32_t label_base;
  uint8_t* code;       // room for one code
  const float* norms;  // the block's factors, as floats, or null when only halves are read:
  const float* auxs;
  const uint16_t* norm_halves;  // the block's stored halves when every query keys by table
  const uint16_t* aux_halves;   // estimates (the key kernels widen them), else null

  // Slot `first + i`'s factors (as the coder reads them), from whichever form the block has.
  VectorFactors factors(int i) const {
    if (norms != nullptr) return {norms[i], auxs[i]};
    return store.factors(first + i);
  }
  // Whether slot `first + i` holds a centered cosine index's zero vector (norm < 0), whose key
  // the coder gives: a half's sign bit answers without widening it.
  bool zero_vector(int i) const {
    if (norms != nullptr) return norms[i] < 0;
    return (norm_halves[i] & 0x8000) != 0 && HalfToFloat(norm_halves[i]) < 0;
  }
};

void Scanner::ScanBlocks(absl::Span<const Scanner* const> scanners, const CodeStore& store,
                         size_t begin, size_t end, absl::Span<TopK* const> tops,
                         uint32_t label_base, const SlotFilter* filter) {
  const int count = static_cast<int>(scanners.size());
  const scan::NibbleBlocks* mse_blocks = store.mse_blocks();
  const scan::NibbleBlocks* sign_blocks = store.sign_blocks();
  const bool prod = sign_blocks != nullptr;
  const scan::NibbleBlocks* q_blocks = RefinedBlocks(store);
  const scan::ScanQueriesFn scan_queries = scan::ActiveScanQueries();
  const scan::PruneBlockFn prune_block = scan::ActivePruneBlock();
  const scan::KeyBlockFn key_block = scan::ActiveKeyBlock();
  const scan::KeyHalvesFn key_halves = scan::ActiveKeyHalves();
  const scan::ScanBlockFn scan_block = scan::ActiveScanBlock();
  // Halves are widened into floats once a block only when some query prunes with them; the key
  // kernels read them as stored.
  bool widen = !store.norms().half();
  absl::InlinedVector<const uint8_t*, kInlineQueries> mse_tables, sign_tables;
  absl::InlinedVector<BlockQuery, kInlineQueries> queries;
  for (int j = 0; j < count; ++j) {
    const Scanner& scanner = *scanners[j];
    mse_tables.push_back(scanner.mse_tables_.tables.data());
    sign_tables.push_back(scanner.sign_tables_.tables.data());
    BlockQuery& query = queries.emplace_back();
    query.scanner = &scanner;
    query.top = tops[j];
    query.terms = query.refined_terms = scanner.PruneTerms();
    if (scanner.table_keys_) query.key_terms = scanner.KeyTerms();
    widen = widen || !scanner.table_keys_;
    query.refine_tables = nullptr;
    const scan::QuantizedTables& tables = prod ? scanner.sign_tables_ : scanner.mse_tables_;
    if (q_blocks == nullptr || tables.residual.empty()) continue;
    query.refine_tables = &tables;
    // Q enters the bound as weight x (its estimate): 1 for tq-mse, qjl_scale for tq-prod.
    const float weight = prod ? scanner.prepared_.qjl_scale : 1.0f;
    query.refined_terms.q0 = weight * tables.refined_bias;
    query.refined_terms.q1 = weight * tables.refined_step;
    query.refined_terms.e = std::abs(weight) * tables.refined_max_error;
  }
  // tq-mse has one sum array per query (Q); tq-prod has the MSE sums (P, zero without an MSE
  // part) and the sign sums (Q).
  absl::InlinedVector<uint32_t, kInlineQueries * scan::kBlockSize> p_sums(count * scan::kBlockSize),
      q_sums(count * scan::kBlockSize);
  uint32_t* mse_sums = prod ? p_sums.data() : q_sums.data();
  absl::InlinedVector<uint8_t, 1024> code(store.layout().code_bytes);
  for (size_t first = begin; first < end; first += scan::kBlockSize) {
    const size_t b = first / scan::kBlockSize;
    const int in_block = static_cast<int>(std::min<size_t>(scan::kBlockSize, end - first));
    const uint32_t pass = filter != nullptr ? filter->Mask(first, in_block) : ~uint32_t{0};
    if (pass == 0) continue;  // nothing here may be returned: not even scanned
    // Each block is read once for all the queries.
    if (mse_blocks != nullptr) {
      scan_queries(mse_blocks->block(b), mse_tables.data(), count, mse_blocks->groups(), mse_sums);
    }
    if (prod) {
      scan_queries(sign_blocks->block(b), sign_tables.data(), count, sign_blocks->groups(),
                   q_sums.data());
    }
    // Compact factors are widened once a block, for all the queries, when one needs floats.
    alignas(64) float norm_buffer[scan::kBlockSize], aux_buffer[scan::kBlockSize];
    const Block block{store,
                      prune_block,
                      key_block,
                      key_halves,
                      scan_block,
                      q_blocks,
                      b,
                      first,
                      in_block,
                      pass,
                      label_base,
                      code.data(),
                      widen ? store.norms().Block(first, in_block, norm_buffer) : nullptr,
                      widen ? store.auxs().Block(first, in_block, aux_buffer) : nullptr,
                      widen ? nullptr : store.norms().Halves(first),
                      widen ? nullptr : store.auxs().Halves(first)};
    for (int j = 0; j < count; ++j) {
      ScoreBlock(queries[j], block, &p_sums[j * scan::kBlockSize], &q_sums[j * scan::kBlockSize]);
    }
  }
}

void Scanner::ScoreBlock(const BlockQuery& query, const Block& block, const uint32_t* p_sums,
                         const uint32_t* q_sums) {
  const Scanner& scanner = *query.scanner;
  TopK* top = query.top;
  const scan::PruneBlockFn prune_block = block.prune_block;
  const float* norms = block.norms;
  const float* auxs = block.auxs;
  if (scanner.table_keys_) {
    // A re-rank follows: the keys are the 8-bit table estimates', which are also what the
    // threshold is compared with.
    alignas(64) float keys[scan::kBlockSize];
    uint32_t keep =
        block.pass & (block.norm_halves != nullptr
                          ? block.key_halves(query.key_terms, p_sums, q_sums, block.norm_halves,
                                             block.aux_halves, block.count, top->threshold(), keys)
                          : block.key_block(query.key_terms, p_sums, q_sums, norms, auxs,
                                            block.count, top->threshold(), keys));
    for (; keep != 0; keep &= keep - 1) {
      const int i = __builtin_ctz(keep);
      const float key =
          block.zero_vector(i) ? scanner.coder_->Key(block.factors(i), 0, scanner.terms_) : keys[i];
      top->Push(key, block.label_base + static_cast<uint32_t>(block.first + i));
    }
    return;
  }
  // Only the vectors whose bound can beat the k-th key are scored exactly.
  uint32_t keep = block.pass & prune_block(query.terms, p_sums, q_sums, norms, auxs, block.count,
                                           top->threshold());
  alignas(64) uint32_t combined[scan::kBlockSize];
  const bool refined = keep != 0 && query.refine_tables != nullptr;
  if (refined) {
    // kResidualSteps (254) times tighter bounds from 8 more bits of each table entry.
    alignas(64) uint32_t residual_sums[scan::kBlockSize];
    block.scan_block(block.refined_blocks->block(block.index), query.refine_tables->residual.data(),
                     block.refined_blocks->groups(), residual_sums);
    for (int i = 0; i < scan::kBlockSize; ++i) {
      combined[i] = scan::kResidualSteps * q_sums[i] + residual_sums[i];
    }
    keep &= prune_block(query.refined_terms, combined, combined, norms, auxs, block.count,
                        top->threshold());
  }
  if (keep == 0) return;
  const VectorCoder& coder = *scanner.coder_;
  // Exact scores, best bound first: each one scored raises the threshold the rest are checked
  // against again (a first block, where the top-k is still empty, keeps all 32). Skipping a
  // bound below the threshold skips only keys Push would refuse.
  const scan::PruneTerms& terms = refined ? query.refined_terms : query.terms;
  const uint32_t* ps = refined ? combined : p_sums;
  const uint32_t* qs = refined ? combined : q_sums;
  std::pair<float, int> order[scan::kBlockSize];
  int survivors = 0;
  for (; keep != 0; keep &= keep - 1) {
    const int i = __builtin_ctz(keep);
    order[survivors++] = {scan::PruneBound(terms, ps[i], qs[i], norms[i], auxs[i]), i};
  }
  std::sort(order, order + survivors,
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int s = 0; s < survivors; ++s) {
    if (order[s].first < top->threshold()) break;  // sorted: the rest are lower still
    const size_t slot = block.first + order[s].second;
    const VectorFactors f{norms[order[s].second], auxs[order[s].second]};
    const float estimate = coder.quantizer().EstimateInnerProduct(
        scanner.prepared_, block.store.CodeAt(slot, block.code), f);
    top->Push(coder.Key(f, estimate, scanner.terms_),
              block.label_base + static_cast<uint32_t>(slot));
  }
}

}  // namespace tqdb
