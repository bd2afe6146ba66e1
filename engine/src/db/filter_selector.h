// The IdSelector a filtered scan checks per slot, built from the ids that pass: one bit per id
// up to the largest (FAISS's IDSelectorBitmap), or a hash set where ids are too sparse for
// that. Past half the collection it holds the ids that fail instead, so it is built from the
// smaller side.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "db/payload_index.h"
#include "tqdb/id_selector.h"
#include "tqdb/mutex.h"

namespace tqdb {

class PassingIdSelector final : public IdSelector {
 public:
  // `passing` within `all` (the stored ids).
  PassingIdSelector(const IdSet& passing, const IdSet& all) {
    inverted_ = passing.cardinality() > all.cardinality() / 2;
    IdSet complement;
    if (inverted_) complement = all - passing;
    const IdSet& marked_source = inverted_ ? complement : passing;
    const uint64_t marked = marked_source.cardinality();
    const uint64_t largest = marked_source.Maximum();
    // Bits while they take at most 8 words (512 bits) per marked id, or 1 MiB in all.
    if (largest / 64 <= marked * 8 + (uint64_t{1} << 17)) {
      bits_.assign(largest / 64 + 1, 0);
      marked_source.ForEach([&](uint64_t id) { bits_[id / 64] |= uint64_t{1} << (id % 64); });
      dense_ = true;
    } else {
      set_.reserve(marked);
      marked_source.ForEach([&](uint64_t id) { set_.insert(id); });
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
  uint32_t Mask(const uint64_t* ids, int count) const override {
    uint32_t marked = 0;
    if (dense_) {
      const uint64_t words = bits_.size();
      for (int i = 0; i < count; ++i) {
        const uint64_t id = ids[i];
        const uint64_t word = id / 64 < words ? bits_[id / 64] : 0;
        marked |= static_cast<uint32_t>((word >> (id % 64)) & 1) << i;
      }
    } else {
      for (int i = 0; i < count; ++i) marked |= static_cast<uint32_t>(set_.contains(ids[i])) << i;
    }
    const uint32_t all = count >= 32 ? ~uint32_t{0} : (uint32_t{1} << count) - 1;
    return inverted_ ? ~marked & all : marked;
  }

 private:
  bool inverted_ = false;
  bool dense_ = false;
  std::vector<uint64_t> bits_;
  absl::flat_hash_set<uint64_t> set_;
};

// The points passing one filter in one state of a collection, and the selector a filtered scan
// checks, built on first use (searches share a cached match, hence the lock).
class FilterMatch {
 public:
  explicit FilterMatch(IdSet passing) : passing_(std::move(passing)) {}
  const IdSet& passing() const { return passing_; }
  // `all`: the collection's stored ids in the same state. The selector lives as long as this.
  const PassingIdSelector& Selector(const IdSet& all) const {
    MutexLock lock(mu_);
    if (selector_ == nullptr) selector_ = std::make_unique<PassingIdSelector>(passing_, all);
    return *selector_;
  }

 private:
  const IdSet passing_;
  mutable Mutex mu_;
  mutable std::unique_ptr<PassingIdSelector> selector_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tqdb
