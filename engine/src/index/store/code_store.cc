#include "index/store/code_store.h"

#include <cstring>

namespace tqdb {

CodeLayout CodeLayout::Of(const Quantizer& quantizer) {
  CodeLayout layout;
  layout.dim = quantizer.dim();
  layout.code_bytes = quantizer.code_bytes();
  layout.mse_bytes = quantizer.mse_bytes();
  layout.mse_parts = quantizer.mse_parts();
  layout.prod = quantizer.config().kind == QuantizerKind::kProd;
  layout.half_factors = quantizer.config().factor_bits == 16;
  return layout;
}

bool CodeLayout::block_coded() const { return scan::NibbleCodable(mse_parts); }

int CodeLayout::refined_groups() const {
  if (!prod) return scan::PaddedGroups(mse_parts);
  return mse_parts.empty() ? scan::PaddedGroups(dim, 1) : 0;
}

CodeStore::CodeStore(const CodeLayout& layout, bool store_vectors)
    : layout_(layout),
      store_vectors_(store_vectors),
      packed_codes_(layout.code_bytes),
      norms_(layout.half_factors),
      auxs_(layout.half_factors),
      vectors_(layout.dim) {
  if (layout.block_coded()) {
    if (!layout.mse_parts.empty()) {
      mse_blocks_ = std::make_unique<scan::NibbleBlocks>(layout.mse_parts);
    }
    if (layout.prod) sign_blocks_ = std::make_unique<scan::NibbleBlocks>(layout.dim, 1);
    fast_scan_ = true;
  }
}

void CodeStore::Resize(size_t n) {
  if (!fast_scan_) packed_codes_.Resize(n);
  norms_.Resize(n);
  auxs_.Resize(n);
  if (store_vectors_) vectors_.Resize(n);
  for (scan::NibbleBlocks* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
    if (blocks != nullptr) blocks->Resize(n);
  }
  size_ = n;
}

uint32_t CodeStore::Append(const uint8_t* code, const VectorFactors& factors, const float* vector) {
  const auto slot = static_cast<uint32_t>(size_);
  Resize(size_ + 1);
  Set(slot, code, factors, vector);
  return slot;
}

void CodeStore::Set(uint32_t slot, const uint8_t* code, const VectorFactors& factors,
                    const float* vector) {
  if (!fast_scan_) std::memcpy(packed_codes_.slot(slot), code, layout_.code_bytes);
  if (mse_blocks_ != nullptr) mse_blocks_->Set(slot, code);
  if (sign_blocks_ != nullptr) sign_blocks_->Set(slot, code + layout_.mse_bytes);
  norms_.Set(slot, factors.norm);
  auxs_.Set(slot, factors.aux);
  if (store_vectors_) std::memcpy(vectors_.slot(slot), vector, layout_.dim * sizeof(float));
}

void CodeStore::Remove(uint32_t slot) {
  const size_t last = size_ - 1;
  if (slot != last) {
    if (!fast_scan_) {
      std::memcpy(packed_codes_.slot(slot), packed_codes_.slot(last), layout_.code_bytes);
    }
    for (scan::NibbleBlocks* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
      if (blocks != nullptr) blocks->Move(last, slot);
    }
    norms_.Move(last, slot);
    auxs_.Move(last, slot);
    if (store_vectors_) {
      std::memcpy(vectors_.slot(slot), vectors_.slot(last), layout_.dim * sizeof(float));
    }
  }
  Resize(last);
}

void CodeStore::ShrinkToFit() {
  packed_codes_.ShrinkToFit();
  norms_.ShrinkToFit();
  auxs_.ShrinkToFit();
  vectors_.ShrinkToFit();
  for (scan::NibbleBlocks* blocks : {mse_blocks_.get(), sign_blocks_.get()}) {
    if (blocks != nullptr) blocks->ShrinkToFit();
  }
}

IndexMemory CodeStore::Memory() const {
  IndexMemory memory;
  memory.codes = packed_codes_.MemoryBytes() +
                 (mse_blocks_ != nullptr ? mse_blocks_->MemoryBytes() : 0) +
                 (sign_blocks_ != nullptr ? sign_blocks_->MemoryBytes() : 0);
  memory.factors = norms_.MemoryBytes() + auxs_.MemoryBytes();
  memory.vectors = vectors_.MemoryBytes();
  return memory;
}

}  // namespace tqdb
