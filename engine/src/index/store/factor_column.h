// One per-vector factor (the norm, or the estimator's scale) of every slot of a code store: as
// floats, or as IEEE halves when the quantizer's factors are 16 bits (half the memory; the
// quantizer rounded them already, so the halves hold the values every estimate reads exactly).
#pragma once

#include <cstddef>
#include <cstdint>

#include "index/chunked_array.h"
#include "quant/half_float.h"

namespace tqdb {

class FactorColumn {
 public:
  explicit FactorColumn(bool half) : half_(half) {}

  float Get(size_t slot) const { return half_ ? HalfToFloat(halves_[slot]) : floats_[slot]; }
  // `value` is a half's exact value when the column holds halves.
  void Set(size_t slot, float value) {
    if (half_) {
      halves_[slot] = FloatToHalf(value);
    } else {
      floats_[slot] = value;
    }
  }
  void Move(size_t from, size_t to) {
    if (half_) {
      halves_[to] = halves_[from];
    } else {
      floats_[to] = floats_[from];
    }
  }
  void Resize(size_t n) { half_ ? halves_.Resize(n) : floats_.Resize(n); }
  void ShrinkToFit() { half_ ? halves_.ShrinkToFit() : floats_.ShrinkToFit(); }
  size_t MemoryBytes() const { return half_ ? halves_.MemoryBytes() : floats_.MemoryBytes(); }

  // The floats of the block of slots [first, first + count), first a multiple of the block size
  // (count <= 32): where they are stored, or widened into `buffer` (32 floats).
  const float* Block(size_t first, int count, float* buffer) const;
  // Whether the column holds halves, and then the halves of the block from `first` (the
  // chunks hold whole blocks, so they are contiguous; a last block may be partial).
  bool half() const { return half_; }
  const uint16_t* Halves(size_t first) const { return &halves_[first]; }

 private:
  bool half_;
  ChunkedArray<float> floats_;
  ChunkedArray<uint16_t> halves_;
};

}  // namespace tqdb
