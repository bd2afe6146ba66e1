#include "index/rerank.h"

#include <vector>

#include "gtest/gtest.h"

namespace tqdb {
namespace {

// Candidates in estimate order; their exact scores decide the result.
const std::vector<std::vector<float>> kVectors = {{1, 0}, {0, 3}, {2, 2}, {0, 3}, {-1, 0}};

std::vector<std::pair<float, size_t>> Rerank(Metric metric, int k) {
  const std::vector<float> query = {0, 1};
  return RerankExact(metric, query.data(), 1.0f, 2, kVectors.size(), k,
                     [](size_t c) { return kVectors[c].data(); });
}

TEST(RerankTest, OrdersByExactScoreAndKeepsK) {
  const auto ip = Rerank(Metric::kInnerProduct, 3);
  ASSERT_EQ(ip.size(), 3u);
  // Scores 0, 3, 2, 3, 0: the tie between candidates 1 and 3 keeps their order.
  EXPECT_EQ(ip[0], std::make_pair(3.0f, size_t{1}));
  EXPECT_EQ(ip[1], std::make_pair(3.0f, size_t{3}));
  EXPECT_EQ(ip[2], std::make_pair(2.0f, size_t{2}));
}

TEST(RerankTest, LowerIsBetterForL2) {
  const auto l2 = Rerank(Metric::kL2, 2);
  ASSERT_EQ(l2.size(), 2u);
  // Squared distances to (0, 1): 2, 4, 5, 4, 2.
  EXPECT_EQ(l2[0], std::make_pair(2.0f, size_t{0}));
  EXPECT_EQ(l2[1], std::make_pair(2.0f, size_t{4}));
  EXPECT_EQ(Rerank(Metric::kL2, 10).size(), kVectors.size());
}

}  // namespace
}  // namespace tqdb
