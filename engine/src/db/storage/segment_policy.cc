#include "db/storage/segment_policy.h"

#include <algorithm>
#include <bit>
#include <map>

#include "db/storage/segment_codec.h"

namespace tqdb::storage {

size_t EntriesPerSegment(const SegmentPolicy& policy, size_t code_bytes, bool partitioned) {
  const size_t entry_bytes =
      SegmentBytes(1, code_bytes, partitioned) - SegmentBytes(0, code_bytes, partitioned);
  return std::max<size_t>(1, policy.target_bytes / entry_bytes);
}
namespace {

size_t LiveBytes(const SegmentStats& s) {
  return s.count == 0 ? 0 : s.bytes * (s.count - s.dead) / s.count;
}

// Size tier: segments within a factor of `fanout` of each other share one.
int Tier(size_t bytes, int fanout) {
  const int log2_fanout = std::bit_width(static_cast<unsigned>(fanout)) - 1;
  return (std::bit_width(bytes) - 1) / std::max(1, log2_fanout);
}

}  // namespace

std::vector<std::vector<uint64_t>> PlanSegmentRewrites(const std::vector<SegmentStats>& segments,
                                                       const SegmentPolicy& policy) {
  std::vector<std::vector<uint64_t>> groups;
  std::map<int, std::vector<uint64_t>> tiers;
  for (const SegmentStats& s : segments) {
    const bool sealed = s.bytes >= policy.target_bytes;
    if (s.dead == s.count) {
      groups.push_back({s.number});  // nothing live: drop it
    } else if (sealed) {
      if (s.dead > policy.max_dead_fraction * s.count) groups.push_back({s.number});
    } else {
      std::vector<uint64_t>& tier = tiers[Tier(LiveBytes(s), policy.fanout)];
      tier.push_back(s.number);
      if (static_cast<int>(tier.size()) == policy.fanout) {
        groups.push_back(std::move(tier));
        tier.clear();
      }
    }
  }
  return groups;
}

std::vector<std::vector<uint64_t>> PlanFullCompaction(const std::vector<SegmentStats>& segments,
                                                      const SegmentPolicy& policy) {
  std::vector<std::vector<uint64_t>> groups;
  std::vector<uint64_t> pending;
  size_t pending_bytes = 0;
  for (const SegmentStats& s : segments) {
    const bool sealed = s.bytes >= policy.target_bytes;
    if (sealed || s.dead == s.count) {
      if (s.dead > 0) groups.push_back({s.number});
      continue;
    }
    if (!pending.empty() && pending_bytes + LiveBytes(s) > policy.target_bytes) {
      groups.push_back(std::move(pending));
      pending.clear();
      pending_bytes = 0;
    }
    pending.push_back(s.number);
    pending_bytes += LiveBytes(s);
  }
  // A lone clean segment needs no rewrite.
  if (pending.size() > 1 ||
      (pending.size() == 1 && std::find_if(segments.begin(), segments.end(), [&](const auto& s) {
                                return s.number == pending[0];
                              })->dead > 0)) {
    groups.push_back(std::move(pending));
  }
  return groups;
}

}  // namespace tqdb::storage
