// Recall of a method's top-k against the exact neighbours.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace tqdb::bench {

// recall@1@k for these k: the true nearest neighbour is within the first k returned (the
// TurboQuant paper's metric).
inline constexpr std::array<int, 7> kRecallAt1Ks = {1, 2, 4, 8, 16, 32, 64};
inline constexpr int kSearchK = 64;  // the largest k above

struct Recall {
  std::array<double, kRecallAt1Ks.size()> at1{};
  double at10 = 0;  // recall@10@10: share of the true top 10 among the first 10 returned
};

// `labels` holds nq x k results (best first); `truth` the exact top (at least 10) per query.
Recall ComputeRecall(const std::vector<int64_t>& labels, int k,
                     const std::vector<std::vector<int64_t>>& truth);

}  // namespace tqdb::bench
