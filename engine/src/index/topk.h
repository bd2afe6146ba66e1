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
      std::pop_heap(heap_.begin(), heap_.end(), Greater());
      heap_.back() = {key, slot};
      std::push_heap(heap_.begin(), heap_.end(), Greater());
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

  size_t k_;
  std::vector<std::pair<float, uint32_t>> heap_;
};

}  // namespace tqdb
