// The labels a search's scans pushed into one top-k: the stores scanned are numbered one after
// another (list p's slot s is label offset_p + s), so one threshold prunes them all; afterwards
// each label is turned back into its (list, slot).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "index/id_map.h"

namespace tqdb {

class ScanLabels {
 public:
  // The label of `list`'s slot 0, for a store of `size` slots scanned next.
  uint32_t Add(uint32_t list, size_t size) {
    const uint32_t base = next_;
    offsets_.push_back(base);
    lists_.push_back(list);
    next_ += static_cast<uint32_t>(size);
    return base;
  }
  bool empty() const { return lists_.empty(); }
  Location At(uint32_t label) const {
    if (lists_.size() == 1) return {lists_[0], label};  // a flat index's one store
    const size_t p =
        std::upper_bound(offsets_.begin(), offsets_.end(), label) - offsets_.begin() - 1;
    return {lists_[p], label - offsets_[p]};
  }

 private:
  std::vector<uint32_t> offsets_;  // ascending
  std::vector<uint32_t> lists_;
  uint32_t next_ = 0;
};

}  // namespace tqdb
