// Segment merging and reclamation decisions (storage/segment_policy.h).
#include "db/storage/segment_policy.h"

#include "gtest/gtest.h"

namespace tqdb::storage {
namespace {

SegmentPolicy Policy() {
  SegmentPolicy policy;
  policy.target_bytes = 1 << 20;
  policy.fanout = 4;
  return policy;
}

TEST(SegmentPolicyTest, MergesFanoutSegmentsOfOneTier) {
  std::vector<SegmentStats> segments;
  for (uint64_t n = 0; n < 3; ++n) segments.push_back({n, 100, 0, 10000});
  EXPECT_TRUE(PlanSegmentRewrites(segments, Policy()).empty());
  segments.push_back({3, 100, 0, 10000});
  EXPECT_EQ(PlanSegmentRewrites(segments, Policy()),
            (std::vector<std::vector<uint64_t>>{{0, 1, 2, 3}}));
}

TEST(SegmentPolicyTest, DoesNotMergeAcrossTiers) {
  // One of each size: nothing to merge, however many there are.
  std::vector<SegmentStats> segments = {
      {0, 10, 0, 100}, {1, 100, 0, 1000}, {2, 1000, 0, 10000}, {3, 10000, 0, 100000}};
  EXPECT_TRUE(PlanSegmentRewrites(segments, Policy()).empty());
}

TEST(SegmentPolicyTest, EachVectorIsRewrittenLogarithmicallyOften) {
  // Simulate 10,000 equal upserts: write amplification stays near log_4(target / batch).
  SegmentPolicy policy = Policy();
  std::vector<SegmentStats> segments;
  uint64_t next = 0;
  size_t written = 0, rewritten = 0;
  const size_t batch_bytes = 1000;
  for (int i = 0; i < 10000; ++i) {
    segments.push_back({next++, 10, 0, batch_bytes});
    written += batch_bytes;
    for (const auto& group : PlanSegmentRewrites(segments, policy)) {
      SegmentStats merged{next++, 0, 0, 0};
      for (uint64_t n : group) {
        auto it = std::find_if(segments.begin(), segments.end(),
                               [&](const SegmentStats& s) { return s.number == n; });
        merged.count += it->count;
        merged.bytes += it->bytes;
        segments.erase(it);
      }
      rewritten += merged.bytes;
      segments.push_back(merged);
    }
  }
  const double amplification = static_cast<double>(rewritten) / written;
  EXPECT_LT(amplification, 6.0);  // log_4(1 MiB / 1 KB) = 5
  EXPECT_LT(segments.size(), 40);
}

TEST(SegmentPolicyTest, ReclaimsDeadSpace) {
  const SegmentPolicy policy = Policy();
  // A sealed segment is rewritten once more than half of it is dead, and dropped when all is.
  EXPECT_TRUE(PlanSegmentRewrites({{0, 100, 50, 2 << 20}}, policy).empty());
  EXPECT_EQ(PlanSegmentRewrites({{0, 100, 51, 2 << 20}}, policy).size(), 1);
  EXPECT_EQ(PlanSegmentRewrites({{5, 100, 100, 100}}, policy),
            (std::vector<std::vector<uint64_t>>{{5}}));
  // A full compaction rewrites anything with dead entries and merges the small clean ones.
  const auto groups = PlanFullCompaction(
      {{0, 100, 1, 2 << 20}, {1, 10, 0, 1000}, {2, 10, 0, 1000}, {3, 100, 0, 2 << 20}}, policy);
  EXPECT_EQ(groups, (std::vector<std::vector<uint64_t>>{{0}, {1, 2}}));
}

}  // namespace
}  // namespace tqdb::storage
