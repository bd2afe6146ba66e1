// Bounded top-k selection: keeps the k largest keys seen, with their slots.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace tqdb {

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }

  // The smallest key kept once full; anything below it cannot enter (an equal key enters only
  // with a smaller slot than the weakest kept).
  float threshold() const { return heap_.size() < k_ ? -kInfinity : heap_.front().first; }

  void Push(float key, uint32_t slot) {
    if (heap_.size() < k_) {
      heap_.emplace_back(key, slot);
      std::push_heap(heap_.begin(), heap_.end(), Greater());
    } else if (Greater()({key, slot}, heap_.front())) {
      ReplaceWeakest({key, slot});
    }
  }

  // The kept (key, slot) pairs, best first; ties broken by slot for determinism.
  std::vector<std::pair<float, uint32_t>> Sorted() && {
    std::sort(heap_.begin(), heap_.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    return std::move(heap_);
  }

 private:
  static constexpr float kInfinity = __builtin_huge_valf();
  // The root is the weakest kept entry. Equal keys rank by slot (smaller first), so what is kept
  // does not depend on the order of the pushes (a scan may score a block's survivors in any
  // order, and threads merge their parts).
  // A function object, not a function: the heap's comparisons inline instead of going through
  // a function pointer (a few percent of a search).
  struct Greater {
    bool operator()(const std::pair<float, uint32_t>& a,
                    const std::pair<float, uint32_t>& b) const {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    }
  };

  // Puts `entry` at the root in place of the weakest and sifts it down: one pass of about
  // log2(k) levels, where pop_heap then push_heap took two (FAISS's heap_replace_top).
  void ReplaceWeakest(const std::pair<float, uint32_t>& entry) {
    const size_t n = heap_.size();
    size_t i = 0;
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Greater()(heap_[child], heap_[child + 1])) ++child;  // the weaker
      if (!Greater()(entry, heap_[child])) break;  // no stronger than it: its place is here
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = entry;
  }

  size_t k_;
  std::vector<std::pair<float, uint32_t>> heap_;
};

}  // namespace tqdb
