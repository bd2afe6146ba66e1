#include "cluster_plan.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace tqdb::cluster {
namespace {

// A status with `nodes` registered and one collection whose shard i is owned by owners[i].
v1::GetClusterStatusResponse Status(const std::vector<std::string>& nodes,
                                    const std::vector<std::string>& owners) {
  v1::GetClusterStatusResponse status;
  for (const std::string& node : nodes) status.add_nodes()->set_id(node);
  auto* collection = status.add_collections();
  collection->set_name("c");
  for (size_t i = 0; i < owners.size(); ++i) {
    auto* shard = collection->add_shards();
    shard->set_shard(static_cast<uint32_t>(i));
    shard->set_node(owners[i]);
  }
  return status;
}

// Shards per node after the moves.
std::map<std::string, int> After(const v1::GetClusterStatusResponse& status,
                                 const std::vector<ShardMove>& moves) {
  std::vector<std::string> owners;
  for (const auto& shard : status.collections(0).shards()) owners.push_back(shard.node());
  for (const ShardMove& move : moves) {
    EXPECT_EQ(owners[move.shard], move.from);
    owners[move.shard] = move.to;
  }
  std::map<std::string, int> count;
  for (const std::string& owner : owners) ++count[owner];
  return count;
}

TEST(ClusterPlanTest, ANewNodeGetsItsShareAndNoMore) {
  // Six shards on two nodes; a third joins: two shards move to it, one from each.
  const auto status = Status({"a", "b", "c"}, {"a", "b", "a", "b", "a", "b"});
  const std::vector<ShardMove> moves = PlanMoves(status);
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(After(status, moves), (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}}));
  EXPECT_TRUE(PlanMoves(Status({"a", "b"}, {"a", "b", "a"})).empty());  // 2 and 1: even
}

TEST(ClusterPlanTest, ADrainedNodeKeepsNothingAndTheRestStayEven) {
  const auto status = Status({"a", "b", "c"}, {"a", "b", "c", "a", "b", "c", "a"});
  const std::vector<ShardMove> moves = PlanMoves(status, "a");
  EXPECT_EQ(After(status, moves), (std::map<std::string, int>{{"b", 4}, {"c", 3}}));
  for (const ShardMove& move : moves) EXPECT_EQ(move.from, "a");
}

TEST(ClusterPlanTest, AReplicatedCollectionsShardsStay) {
  // Uneven after failovers, but replicated: its owners change by failover, never by a move.
  auto status = Status({"a", "b", "c"}, {"a", "a", "a", "a", "b", "a"});
  for (auto& shard : *status.mutable_collections(0)->mutable_shards()) {
    shard.add_replicas()->set_node(shard.node() == "a" ? "b" : "a");
  }
  EXPECT_TRUE(PlanMoves(status).empty());
  EXPECT_TRUE(PlanMoves(status, "a").empty());
}

TEST(ClusterPlanTest, ShardsOfANodeThatIsDownStay) {
  // "d" is not registered: its shards cannot be sent, and the registered nodes stay even.
  const auto status = Status({"a", "b"}, {"d", "d", "a", "a", "a", "b"});
  const std::vector<ShardMove> moves = PlanMoves(status);
  for (const ShardMove& move : moves) EXPECT_NE(move.from, "d");
  const auto count = After(status, moves);
  EXPECT_EQ(count.at("d"), 2);
  EXPECT_EQ(count.at("a"), 2);
  EXPECT_EQ(count.at("b"), 2);
}

}  // namespace
}  // namespace tqdb::cluster
