// The slot filter of one list under an IdSelector: a slot passes when the selector contains the
// id stored there (FAISS checks its IDSelector per id in the scan the same way).
#pragma once

#include "index/scan/slot_filter.h"
#include "index/store/inverted_lists.h"
#include "tqdb/id_selector.h"

namespace tqdb {

class SelectorFilter final : public SlotFilter {
 public:
  SelectorFilter(const InvertedLists& lists, uint32_t list, const IdSelector& selector)
      : lists_(lists), list_(list), selector_(selector) {}
  uint32_t Mask(size_t first, int count) const override {
    uint32_t mask = 0;
    for (int i = 0; i < count; ++i) {
      const uint64_t id = lists_.id(Location{list_, static_cast<uint32_t>(first + i)});
      mask |= static_cast<uint32_t>(selector_.Contains(id)) << i;
    }
    return mask;
  }

 private:
  const InvertedLists& lists_;
  const uint32_t list_;
  const IdSelector& selector_;
};

// The filter of `list` under `params.selector`, or none; `storage` holds it.
inline const SlotFilter* FilterOf(const IdSelector* selector, const InvertedLists& lists,
                                  uint32_t list, std::optional<SelectorFilter>* storage) {
  if (selector == nullptr) return nullptr;
  storage->emplace(lists, list, *selector);
  return &**storage;
}

}  // namespace tqdb
