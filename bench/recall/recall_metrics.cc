#include "recall_metrics.h"

#include <algorithm>

namespace tqdb::bench {

Recall ComputeRecall(const std::vector<int64_t>& labels, int k,
                     const std::vector<std::vector<int64_t>>& truth) {
  Recall recall;
  const size_t nq = truth.size();
  if (nq == 0) return recall;
  for (size_t q = 0; q < nq; ++q) {
    const int64_t* found = labels.data() + q * k;
    const int64_t nearest = truth[q].empty() ? -1 : truth[q][0];
    const int rank = static_cast<int>(std::find(found, found + k, nearest) - found);
    for (size_t r = 0; r < kRecallAt1Ks.size(); ++r) {
      if (rank < std::min(k, kRecallAt1Ks[r])) recall.at1[r] += 1;
    }
    const size_t top = std::min<size_t>(10, truth[q].size());
    for (int i = 0; i < std::min(k, 10); ++i) {
      recall.at10 += std::count(truth[q].begin(), truth[q].begin() + top, found[i]);
    }
  }
  for (double& r : recall.at1) r /= nq;
  recall.at10 /= nq * 10.0;
  return recall;
}

}  // namespace tqdb::bench
