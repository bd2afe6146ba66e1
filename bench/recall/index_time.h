// The TurboQuant paper's indexing-time table: seconds to index N vectors at 4 bits per
// coordinate, FAISS (training + encoding) against tqdb (encoding only: nothing to train), for
// the dimension of every dataset and optionally for random vectors of other dimensions.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace tqdb::bench {

struct IndexTimeOptions {
  size_t vectors = 100000;
  std::vector<std::string> real_files;  // their first `vectors` rows
  std::vector<int> synthetic_dims;      // Gaussian vectors, normalized
  std::function<void(const std::string&)> progress;
};

// A Markdown table; every row measured in this call.
std::string IndexTimeTable(const IndexTimeOptions& options);

}  // namespace tqdb::bench
