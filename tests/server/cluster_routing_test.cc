// The routing pieces of a sharded collection, in process: an id's shard is a fixed function
// (the same numbers on every machine and build) that spreads ids evenly; assignment moves only
// what it must and raises those shards' epochs; a stale owner or router is refused; the map's
// stored form round-trips and damage is reported; and the merge of per-shard top-k lists is the
// global top-k (against a brute-force sort of everything).
#include <algorithm>
#include <map>
#include <random>

#include "cluster/search_merge.h"
#include "cluster/shard_layout.h"
#include "cluster/shard_map.h"
#include "gtest/gtest.h"

namespace tqdb::cluster {
namespace {

TEST(ClusterRoutingTest, AnIdsShardIsFixedAndIdsSpreadEvenly) {
  // Pinned values: a change of hash would move every stored id to another shard.
  EXPECT_EQ(ShardOf(0, 16), ShardOf(0, 16));
  const std::vector<uint32_t> pinned = {ShardOf(0, 1024), ShardOf(1, 1024), ShardOf(12345, 1024),
                                        ShardOf(~uint64_t{0}, 1024)};
  EXPECT_EQ(pinned, (std::vector<uint32_t>{217, 302, 449, 19}));
  // Sequential ids (what a load assigns) over 12 shards: each within 5% of the mean.
  constexpr uint32_t kShards = 12;
  std::vector<size_t> counts(kShards);
  for (uint64_t id = 0; id < 120000; ++id) ++counts[ShardOf(id, kShards)];
  for (size_t count : counts) EXPECT_NEAR(count, 10000.0, 500.0);
  // SplitByShard keeps each shard's positions in order.
  const std::vector<uint64_t> ids = {5, 9, 5000, 17, 3};
  const auto split = SplitByShard(ids, 3);
  size_t total = 0;
  for (uint32_t shard = 0; shard < 3; ++shard) {
    EXPECT_TRUE(std::is_sorted(split[shard].begin(), split[shard].end()));
    for (size_t position : split[shard]) EXPECT_EQ(ShardOf(ids[position], 3), shard);
    total += split[shard].size();
  }
  EXPECT_EQ(total, ids.size());
}

TEST(ClusterRoutingTest, AssignmentMovesOnlyTheShardsOfNodesThatLeft) {
  ShardMap map{"c", std::vector<ShardOwner>(12)};
  map = AssignShards(map, {"a", "b", "c"});
  std::map<std::string, int> owned;
  for (const ShardOwner& shard : map.shards) {
    ++owned[shard.node];
    EXPECT_EQ(shard.epoch, 1u);
  }
  EXPECT_EQ(owned, (std::map<std::string, int>{{"a", 4}, {"b", 4}, {"c", 4}}));
  // b leaves: its 4 shards go to a and c (2 each), epochs 2; the others keep owner and epoch.
  const ShardMap after = AssignShards(map, {"a", "c"});
  owned.clear();
  for (size_t s = 0; s < map.shards.size(); ++s) {
    ++owned[after.shards[s].node];
    if (map.shards[s].node == "b") {
      EXPECT_EQ(after.shards[s].epoch, 2u);
    } else {
      EXPECT_EQ(after.shards[s].node, map.shards[s].node);
      EXPECT_EQ(after.shards[s].epoch, 1u);
    }
  }
  EXPECT_EQ(owned, (std::map<std::string, int>{{"a", 6}, {"c", 6}}));
  // Nobody live: nothing changes.
  const ShardMap none = AssignShards(after, {});
  EXPECT_EQ(EncodeShardMap(none), EncodeShardMap(after));
}

TEST(ClusterRoutingTest, OnlyTheOwnerAtItsEpochPasses) {
  const ShardMap map{"c", {{"a", 3}, {"b", 1}}};
  EXPECT_TRUE(CheckOwner(map, 0, "a", 3).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckOwner(map, 0, "a", 2)));  // a stale epoch
  EXPECT_TRUE(absl::IsFailedPrecondition(CheckOwner(map, 0, "b", 3)));  // not the owner
  EXPECT_TRUE(absl::IsInvalidArgument(CheckOwner(map, 2, "a", 3)));
}

TEST(ClusterRoutingTest, TheStoredMapRoundTripsAndDamageIsReported) {
  const ShardMap map{"docs", {{"a", 1}, {"", 0}, {"node-7", 12}}};
  auto back = DecodeShardMap(EncodeShardMap(map));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->collection, "docs");
  ASSERT_EQ(back->shards.size(), 3u);
  EXPECT_EQ(back->shards[2].node, "node-7");
  EXPECT_EQ(back->shards[2].epoch, 12u);
  for (const char* bad :
       {"", "{", "[]", R"({"collection":"x"})", R"({"collection":"x","shards":[]})",
        R"({"collection":"x","shards":[{"node":"a","epoch":-1}]})",
        R"({"collection":"x","shards":[{"node":1,"epoch":1}]})"}) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeShardMap(bad).status())) << bad;
  }
}

TEST(ClusterRoutingTest, ReplicasRoundTripAndMapsWithoutThemStillRead) {
  ShardMap map{"docs", {{"a", 1}, {"b", 2}}};
  map.shards[0].replicas = {"b", "c"};
  map.shards[0].in_sync = {"c"};
  auto back = DecodeShardMap(EncodeShardMap(map));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->shards[0].replicas, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(back->shards[0].in_sync, std::vector<std::string>{"c"});
  EXPECT_TRUE(back->shards[1].replicas.empty());
  // A map stored before replicas existed.
  auto old = DecodeShardMap(R"({"collection":"x","shards":[{"node":"a","epoch":4}]})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(old->shards[0].replicas.empty() && old->shards[0].in_sync.empty());
  for (
      const char* bad : {
          R"({"collection":"x","shards":[{"node":"a","epoch":1,"replicas":"b"}]})",
          R"({"collection":"x","shards":[{"node":"a","epoch":1,"replicas":[1]}]})",
          R"({"collection":"x","shards":[{"node":"a","epoch":1,"replicas":["b"],"in_sync":["c"]}]})",
      }) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeShardMap(bad).status())) << bad;
  }
}

TEST(ClusterRoutingTest, ReplicasGoToOtherNodesEvenlyAndLeaveWithTheirNodes) {
  ShardMap map{"c", {}};
  for (int s = 0; s < 6; ++s) map.shards.emplace_back(std::string(1, "abc"[s % 3]), 1);
  const ShardMap placed = PlaceReplicas(map, {"a", "b", "c"}, 2);
  std::map<std::string, int> copies;
  for (const ShardOwner& shard : placed.shards) {
    ASSERT_EQ(shard.replicas.size(), 1u);
    EXPECT_NE(shard.replicas[0], shard.node) << "a replica on its own primary";
    EXPECT_TRUE(shard.in_sync.empty()) << "a copy is in sync only once it has caught up";
    EXPECT_EQ(shard.epoch, 1u);
    ++copies[shard.node];
    ++copies[shard.replicas[0]];
  }
  EXPECT_EQ(copies, (std::map<std::string, int>{{"a", 4}, {"b", 4}, {"c", 4}}));
  EXPECT_EQ(EncodeShardMap(PlaceReplicas(placed, {"a", "b", "c"}, 2)), EncodeShardMap(placed))
      << "placing again changes nothing";

  // Every copy caught up, then node c leaves: its replicas go (from in_sync too) and others take
  // them, not in sync yet.
  ShardMap synced = placed;
  for (ShardOwner& shard : synced.shards) shard.in_sync = shard.replicas;
  const ShardMap after = PlaceReplicas(synced, {"a", "b"}, 2);
  for (size_t s = 0; s < after.shards.size(); ++s) {
    const ShardOwner& shard = after.shards[s];
    if (shard.node == "c") continue;  // its owner's loss is AssignShards' to settle
    ASSERT_EQ(shard.replicas.size(), 1u);
    EXPECT_NE(shard.replicas[0], "c");
    const bool kept = placed.shards[s].replicas[0] != "c";
    EXPECT_EQ(shard.in_sync.size(), kept ? 1u : 0u) << "shard " << s;
  }
  // Three copies asked of two live nodes: as many as there are besides the owner.
  for (const ShardOwner& shard : PlaceReplicas(map, {"a", "b"}, 3).shards) {
    EXPECT_EQ(shard.replicas.size(), shard.node == "c" ? 2u : 1u) << shard.node;
  }
  EXPECT_TRUE(PlaceReplicas(map, {"a", "b", "c"}, 1).shards[0].replicas.empty());
}

// Failover (PacificA): only an in-sync replica may take a dead owner's shard, at epoch + 1.
TEST(ClusterRoutingTest, AFailoverPromotesOnlyALiveInSyncReplica) {
  ShardMap map{"c", {{"a", 3}, {"a", 5}, {"a", 1}, {"b", 2}}};
  map.shards[0].replicas = {"b", "c"};
  map.shards[0].in_sync = {"c", "b"};
  map.shards[1].replicas = {"b", "c"};
  map.shards[1].in_sync = {"b"};   // b is dead too: c lacks acknowledged writes perhaps
  map.shards[2].replicas = {"c"};  // no copy in sync
  map.shards[3].replicas = {"a"};
  map.shards[3].in_sync = {"a"};
  const ShardMap next = PromoteReplicas(map, {"b", "c"});
  // Shard 0: the first live in-sync replica in the map's order; the former owner a copy out of
  // sync, the other in-sync replica still in sync.
  EXPECT_EQ(next.shards[0].node, "c");
  EXPECT_EQ(next.shards[0].epoch, 4u);
  EXPECT_EQ(next.shards[0].replicas, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(next.shards[0].in_sync, std::vector<std::string>{"b"});
  const ShardMap only_c = PromoteReplicas(map, {"c"});
  EXPECT_EQ(only_c.shards[1].node, "a") << "c is not in sync: nothing is promoted";
  EXPECT_EQ(only_c.shards[1].epoch, 5u);
  EXPECT_EQ(next.shards[1].node, "b");
  EXPECT_EQ(next.shards[2].node, "a");
  EXPECT_EQ(next.shards[3].node, "b") << "a live owner keeps its shard";
  EXPECT_EQ(EncodeShardMap(PromoteReplicas(map, {"a", "b", "c"})), EncodeShardMap(map));
  EXPECT_EQ(EncodeShardMap(PromoteReplicas(next, {"b", "c"})), EncodeShardMap(next));
}

TEST(ClusterRoutingTest, InSyncSetsLoseLateReplicasAndTakeBackOnlyReplicas) {
  ShardMap map{"c", {{"a", 1}, {"b", 1}}};
  map.shards[0].replicas = {"b", "c"};
  map.shards[0].in_sync = {"b", "c"};
  const ShardMap without = WithoutInSync(map, 0, std::vector<std::string>{"c", "x"});
  EXPECT_EQ(without.shards[0].in_sync, std::vector<std::string>{"b"});
  EXPECT_EQ(without.shards[0].replicas, map.shards[0].replicas);
  EXPECT_EQ(WithInSync(without, 0, "c").shards[0].in_sync, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(WithInSync(map, 0, "c").shards[0].in_sync, map.shards[0].in_sync) << "no doubles";
  EXPECT_TRUE(WithInSync(map, 1, "c").shards[1].in_sync.empty()) << "c is not its replica";
  EXPECT_EQ(EncodeShardMap(WithoutInSync(map, 7, std::vector<std::string>{"b"})),
            EncodeShardMap(map));
}

TEST(ClusterRoutingTest, MergedShardListsAreTheGlobalTopK) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> score(-1, 1);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t k = 1 + gen() % 20;
    std::vector<ShardHit> all;
    std::vector<std::vector<ShardHit>> per_shard(1 + gen() % 6);
    for (uint64_t id = 0; id < 300; ++id) {
      // Few distinct scores, so ties are common.
      const ShardHit hit{id, std::round(score(gen) * 20) / 20};
      all.push_back(hit);
      per_shard[ShardOf(id, per_shard.size())].push_back(hit);
    }
    const auto better = [](const ShardHit& a, const ShardHit& b) {
      return a.score > b.score || (a.score == b.score && a.id < b.id);
    };
    // Each shard answers with its own k best, in any order.
    for (auto& hits : per_shard) {
      std::sort(hits.begin(), hits.end(), better);
      hits.resize(std::min(hits.size(), k));
      std::shuffle(hits.begin(), hits.end(), gen);
    }
    std::sort(all.begin(), all.end(), better);
    all.resize(k);
    const std::vector<ShardHit> merged = MergeTopK(per_shard, k);
    ASSERT_EQ(merged.size(), k);
    for (size_t i = 0; i < k; ++i) {
      EXPECT_EQ(merged[i].id, all[i].id) << "trial " << trial << ", rank " << i;
    }
  }
}

TEST(ClusterRoutingTest, AShardTakesItsShareOfTheCollectionsPartitioning) {
  EXPECT_EQ(ShardPartitionAt(50000, 9), 5556u);  // rounded up
  EXPECT_EQ(ShardPartitionAt(50000, 1), 50000u);
  EXPECT_EQ(ShardPartitionAt(0, 9), 0u);  // never partitioned stays never
  EXPECT_EQ(ShardLists(540, 9), 180u);    // lists / sqrt(9)
  EXPECT_EQ(ShardLists(100, 2), 71u);
  EXPECT_EQ(ShardLists(1, 16), 1u);  // at least one
  EXPECT_EQ(ShardLists(0, 9), 0u);   // the default stays the default
}

}  // namespace
}  // namespace tqdb::cluster
