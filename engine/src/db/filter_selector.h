// The IdSelector a filtered scan checks per slot, built from the ids that pass: one bit per id
// up to the largest (FAISS's IDSelectorBitmap), or a hash set where ids are too sparse for
// that. Past half the collection it holds the ids that fail instead, so it is built from the
// smaller side.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "db/payload_index.h"
#include "tqdb/id_selector.h"

namespace tqdb {

class PassingIdSelector final : public IdSelector {
 public:
  // `passing` within `all` (the stored ids).
  PassingIdSelector(const IdSet& passing, const IdSet& all) {
    const uint64_t m = passing.cardinality();
    inverted_ = m > all.cardinality() / 2;
    const IdSet marked = inverted_ ? all - passing : passing;
    std::vector<uint64_t> ids(marked.cardinality());
    if (!ids.empty()) marked.toUint64Array(ids.data());
    const uint64_t largest = ids.empty() ? 0 : ids.back();
    // Bits while they take at most 64 per marked id (and 1 MiB for any set).
    if (largest / 64 <= ids.size() * 8 + (uint64_t{1} << 17)) {
      bits_.assign(largest / 64 + 1, 0);
      for (uint64_t id : ids) bits_[id / 64] |= uint64_t{1} << (id % 64);
      dense_ = true;
    } else {
      set_.insert(ids.begin(), ids.end());
    }
  }

  bool Contains(uint64_t id) const override {
    bool marked;
    if (dense_) {
      marked = id / 64 < bits_.size() && ((bits_[id / 64] >> (id % 64)) & 1);
    } else {
      marked = set_.contains(id);
    }
    return marked != inverted_;
  }

 private:
  bool inverted_ = false;
  bool dense_ = false;
  std::vector<uint64_t> bits_;
  absl::flat_hash_set<uint64_t> set_;
};

}  // namespace tqdb
