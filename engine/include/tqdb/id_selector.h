// Which ids a search may return (FAISS's IDSelector): an index checks it inside the scan, so
// the top-k holds the k best ids that pass, not the k best filtered afterwards.
#pragma once

#include <cstdint>

namespace tqdb {

class IdSelector {
 public:
  virtual ~IdSelector() = default;
  virtual bool Contains(uint64_t id) const = 0;
};

}  // namespace tqdb
