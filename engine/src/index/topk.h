// Bounded top-k selection: keeps the k largest keys seen, with their slots.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "index/ordered_bits.h"

namespace tqdb {

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  // The smallest key kept once full; anything below it cannot enter (an equal key enters only
  // with a smaller slot than the weakest kept).
  float threshold() const { return threshold_; }

  // A NaN key never enters (its bits would order above +infinity).
  void Push(float key, uint32_t slot) {
    if (key != key) return;
    const uint64_t entry = Pack(key, slot);
    if (heap_.size() < k_) {
      heap_.push_back(entry);
      std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
      if (heap_.size() == k_) threshold_ = KeyOf(heap_.front());
    } else if (k_ > 0 && entry > heap_.front()) {
      ReplaceWeakest(entry);
      threshold_ = KeyOf(heap_.front());
    }
  }

  // The kept (key, slot) pairs, best first; ties broken by slot for determinism.
  std::vector<std::pair<float, uint32_t>> Sorted() && {
    std::sort(heap_.begin(), heap_.end(), std::greater<>());
    std::vector<std::pair<float, uint32_t>> sorted;
    sorted.reserve(heap_.size());
    for (const uint64_t entry : heap_) {
      sorted.emplace_back(KeyOf(entry), ~static_cast<uint32_t>(entry));
    }
    return sorted;
  }

 private:
  // Each entry is one integer that orders as (key, then smaller slot) does: the key's ordered
  // bits above the slot's complement. What is kept does not depend on the order of the pushes
  // (a scan may score a block's survivors in any order, and threads merge their parts), and the
  // heap's compares are integer compares the compiler makes branch-free (a sift's
  // float-and-slot compares, taken either way at random, were half of a scan's scoring time
  // with 100 candidates).
  static uint64_t Pack(float key, uint32_t slot) {
    return (uint64_t{OrderedBits(key)} << 32) | ~slot;
  }
  static float KeyOf(uint64_t entry) { return FromOrderedBits(static_cast<uint32_t>(entry >> 32)); }

  // Puts `entry` at the root (the weakest kept) in place of the weakest and sifts it down: one
  // pass of about log2(k) levels (FAISS's heap_replace_top).
  void ReplaceWeakest(uint64_t entry) {
    uint64_t* heap = heap_.data();
    const size_t n = heap_.size();
    size_t i = 0;
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n) child += heap[child + 1] < heap[child];  // the weaker child
      if (entry <= heap[child]) break;  // no stronger than it: its place is here
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = entry;
  }

  size_t k_;
  float threshold_ = -__builtin_huge_valf();
  std::vector<uint64_t> heap_;  // a min-heap: the root is the weakest kept
};

}  // namespace tqdb
