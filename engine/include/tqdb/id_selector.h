// Which ids a search may return (FAISS's IDSelector): an index checks it inside the scan, so
// the top-k holds the k best ids that pass, not the k best filtered afterwards.
#pragma once

#include <cstdint>

namespace tqdb {

class IdSelector {
 public:
  virtual ~IdSelector() = default;
  virtual bool Contains(uint64_t id) const = 0;
  // Bit i set when ids[i] is contained (count <= 32): the scan asks once per block of slots.
  virtual uint32_t Mask(const uint64_t* ids, int count) const {
    uint32_t mask = 0;
    for (int i = 0; i < count; ++i) mask |= static_cast<uint32_t>(Contains(ids[i])) << i;
    return mask;
  }
};

}  // namespace tqdb
