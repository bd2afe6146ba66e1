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
  // FAISS PQ x8 (d/2 sub-quantizers of 256 centroids) is not trained above this dimension: at
  // d = 1536 it would take hours on 2 cores. Its cell then says "not run".
  int pq8_max_dim = 512;
  std::function<void(const std::string&)> progress;
};

// A Markdown table; every row measured in this call.
std::string IndexTimeTable(const IndexTimeOptions& options);

}  // namespace tqdb::bench
