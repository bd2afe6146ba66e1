// Which slots of a store a search may return: the hook filtered search plugs into. The scanner
// asks once per block of 32 slots, before scanning it, so a block nothing passes costs no scan,
// and a filtered-out slot never enters the top-k (whose threshold then rises only with slots
// that pass: the k best that pass, not the k best filtered afterwards).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tqdb {

class SlotFilter {
 public:
  virtual ~SlotFilter() = default;
  // Bit i set: slot first + i may be returned (i < count <= 32; `first` a multiple of 32).
  virtual uint32_t Mask(size_t first, int count) const = 0;
};

// A filter from one bit per slot of a store (bit s of word s / 64).
class SlotBitmap final : public SlotFilter {
 public:
  explicit SlotBitmap(size_t slots) : words_((slots + 63) / 64, 0) {}
  void Set(size_t slot) { words_[slot / 64] |= uint64_t{1} << (slot % 64); }
  bool Test(size_t slot) const { return (words_[slot / 64] >> (slot % 64)) & 1; }
  uint32_t Mask(size_t first, int count) const override {
    if (first / 64 >= words_.size()) return 0;
    const uint32_t bits = static_cast<uint32_t>(words_[first / 64] >> (first % 64));
    return count >= 32 ? bits : bits & ((uint32_t{1} << count) - 1);
  }

 private:
  std::vector<uint64_t> words_;
};

}  // namespace tqdb
