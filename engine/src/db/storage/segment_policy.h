// When to rewrite segments: merge small ones (size-tiered, so each vector is rewritten about
// log_fanout(target / batch) times) and reclaim space held by deleted or replaced entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tqdb::storage {

struct SegmentStats {
  uint64_t number = 0;
  size_t count = 0;  // entries written
  size_t dead = 0;   // entries since deleted or replaced
  size_t bytes = 0;  // size of the stored value
};

struct SegmentPolicy {
  size_t target_bytes = size_t{1} << 20;  // segments this large are sealed: no more merging
  int fanout = 4;                         // merge this many segments of one size tier
  double max_dead_fraction = 0.5;         // rewrite a sealed segment once this much is dead
};

// How many entries of `code_bytes` fill one segment of about target_bytes (at least 1), for
// whoever writes many vectors at once (a re-centering, a partitioning).
size_t EntriesPerSegment(const SegmentPolicy& policy, size_t code_bytes, bool partitioned);

// Groups of segment numbers; each group is rewritten into one segment of its live entries (none
// when all are dead). Groups are disjoint; segments appear in ascending number.
std::vector<std::vector<uint64_t>> PlanSegmentRewrites(const std::vector<SegmentStats>& segments,
                                                       const SegmentPolicy& policy);

// Every segment with dead entries is rewritten, and unsealed segments are merged in groups of up
// to target_bytes: what an explicit Compact asks for.
std::vector<std::vector<uint64_t>> PlanFullCompaction(const std::vector<SegmentStats>& segments,
                                                      const SegmentPolicy& policy);

}  // namespace tqdb::storage
