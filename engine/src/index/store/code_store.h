// The codes of one list of vectors, by slot: packed codes or their fast-scan blocks, the two
// factors and, when kept, the float vectors. A store knows no ids and no quantizer, only the
// code layout; slots are dense (removal moves the last slot into the hole), the way FAISS's
// InvertedLists holds one list's codes and a scanner reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "index/chunked_array.h"
#include "index/store/factor_column.h"
#include "index/store/nibble_blocks.h"
#include "tqdb/index.h"
#include "tqdb/quantizer.h"

namespace tqdb {

// The shape of a code: its bytes, the MSE part's widths and bytes, tq-prod's sign part.
struct CodeLayout {
  int dim = 0;
  size_t code_bytes = 0;
  size_t mse_bytes = 0;       // the sign part (tq-prod) follows the MSE part
  CodeParts mse_parts;        // empty: no MSE part
  bool prod = false;          // a sign (QJL) part
  bool half_factors = false;  // the factors are 16-bit halves (QuantizerConfig::factor_bits)
  static CodeLayout Of(const Quantizer& quantizer);
  // Every part of the code fits the fast-scan blocks (else the reference scan runs).
  bool block_coded() const;
  // The nibble groups of the blocks the pruning bound's only sums come from, which a second
  // pass with residual tables refines (tq-mse's MSE part, or tq-prod's sign part without an
  // MSE part); 0 when both parts enter the bound. Block-coded layouts only.
  int refined_groups() const;
};

class CodeStore {
 public:
  CodeStore(const CodeLayout& layout, bool store_vectors);
  CodeStore(const CodeStore&) = delete;
  CodeStore& operator=(const CodeStore&) = delete;

  const CodeLayout& layout() const { return layout_; }
  size_t size() const { return size_; }
  bool stores_vectors() const { return store_vectors_; }
  // Every part of the code has blocks the fast-scan kernels read; else the reference scan runs.
  bool fast_scan() const { return fast_scan_; }

  // Appends a slot (its number is the old size()); `vector` is null unless stores_vectors().
  uint32_t Append(const uint8_t* code, const VectorFactors& factors, const float* vector);
  void Set(uint32_t slot, const uint8_t* code, const VectorFactors& factors, const float* vector);
  // Moves the last slot into `slot` and drops the last (swap-with-last removal).
  void Remove(uint32_t slot);

  // The code of `slot`: in `buffer` (code_bytes), taken out of the blocks, or where it is stored.
  // Inline: the scan calls it for every vector it scores exactly.
  const uint8_t* CodeAt(size_t slot, uint8_t* buffer) const {
    if (!fast_scan_) return packed_codes_.slot(slot);
    if (mse_blocks_ != nullptr) mse_blocks_->Get(slot, buffer);
    if (sign_blocks_ != nullptr) sign_blocks_->Get(slot, buffer + layout_.mse_bytes);
    return buffer;
  }
  VectorFactors factors(size_t slot) const { return {norms_.Get(slot), auxs_.Get(slot)}; }
  const float* vector(size_t slot) const { return vectors_.slot(slot); }

  // What the scan reads: blocks of 32 (null when that part is absent or not block-coded), and
  // the factors in chunks of whole blocks (FactorColumn::Block gives a block's floats).
  const scan::NibbleBlocks* mse_blocks() const { return mse_blocks_.get(); }
  const scan::NibbleBlocks* sign_blocks() const { return sign_blocks_.get(); }
  const FactorColumn& norms() const { return norms_; }
  const FactorColumn& auxs() const { return auxs_; }

  void ShrinkToFit();
  // Bytes held by the codes, the factors and the vectors (the other parts stay zero).
  IndexMemory Memory() const;

 private:
  void Resize(size_t n);

  CodeLayout layout_;
  bool store_vectors_;
  bool fast_scan_ = false;
  size_t size_ = 0;
  // Packed codes only when the blocks do not hold them (one copy in memory).
  ChunkedArray<uint8_t> packed_codes_;
  // One array per factor, so the pruning kernels load 16 of a kind at once.
  FactorColumn norms_;
  FactorColumn auxs_;
  ChunkedArray<float> vectors_;
  // The fast-scan copies: the MSE part at 1 to 4 bits (each width), and tq-prod's sign bits.
  std::unique_ptr<scan::NibbleBlocks> mse_blocks_;
  std::unique_ptr<scan::NibbleBlocks> sign_blocks_;
};

}  // namespace tqdb
