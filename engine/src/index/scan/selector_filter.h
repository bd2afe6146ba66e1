// The slot filter of one list under an IdSelector: a slot passes when the selector contains the
// id stored there (FAISS checks its IDSelector per id in the scan the same way).
#pragma once

#include <optional>

#include "index/scan/slot_filter.h"
#include "index/store/inverted_lists.h"
#include "tqdb/id_selector.h"

namespace tqdb {

class SelectorFilter final : public SlotFilter {
 public:
  SelectorFilter(const InvertedLists& lists, uint32_t list, const IdSelector& selector)
      : lists_(lists), list_(list), selector_(selector) {}
  uint32_t Mask(size_t first, int count) const override {
    // Blocks start at multiples of 32, so their ids are one contiguous run.
    return selector_.Mask(lists_.ids_from(Location{list_, static_cast<uint32_t>(first)}), count);
  }

 private:
  const InvertedLists& lists_;
  const uint32_t list_;
  const IdSelector& selector_;
};

// The filter of `list` under `selector`, or none when it is null; `storage` holds it.
inline const SlotFilter* FilterOf(const IdSelector* selector, const InvertedLists& lists,
                                  uint32_t list, std::optional<SelectorFilter>* storage) {
  if (selector == nullptr) return nullptr;
  storage->emplace(lists, list, *selector);
  return &**storage;
}

}  // namespace tqdb
