// The cluster's control plane against a real etcd on 127.0.0.1: nodes register under leases
// and leave at once when they stop; a node cut off from etcd for a TTL stops counting itself
// live and comes back once etcd does; one controller at a time, and a controller that lost its
// key can no longer write what its fence guards.
#include <chrono>
#include <thread>

#include "cluster/cluster_keys.h"
#include "cluster/controller_election.h"
#include "cluster/node_registration.h"
#include "cluster/shard_map_store.h"
#include "etcd_fixture.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb::cluster {
namespace {

class ClusterMembershipTest : public ::tqdb::testing::EtcdTest {
 protected:
  std::unique_ptr<NodeRegistration> Register(const std::string& id) {
    NodeRegistration::Options options;
    options.node_id = id;
    options.address = "127.0.0.1:" + std::to_string(5000 + id.size());
    options.ttl = std::chrono::seconds(2);
    options.renew_every = std::chrono::milliseconds(400);
    auto registration = NodeRegistration::Start(client_.get(), options);
    EXPECT_TRUE(registration.ok()) << registration.status();
    return registration.ok() ? *std::move(registration) : nullptr;
  }

  std::vector<std::string> NodeIds() {
    auto nodes = ListNodes(*client_);
    EXPECT_TRUE(nodes.ok()) << nodes.status();
    std::vector<std::string> ids;
    if (nodes.ok()) {
      for (const NodeInfo& node : *nodes) ids.push_back(node.id);
    }
    return ids;
  }

  // Polls `done` every 50 ms for up to `limit`; whether it came true.
  template <typename F>
  static bool Within(std::chrono::milliseconds limit, F done) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }
};

TEST_F(ClusterMembershipTest, NodesRegisterStayWhileRenewedAndLeaveAtOnceWhenStopped) {
  auto a = Register("a");
  auto b = Register("b");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(NodeIds(), (std::vector<std::string>{"a", "b"}));
  // Three TTLs later, renewed all along.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_TRUE(a->live());
  EXPECT_EQ(NodeIds(), (std::vector<std::string>{"a", "b"}));
  a.reset();  // revokes its lease
  EXPECT_EQ(NodeIds(), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(absl::IsInvalidArgument(
      NodeRegistration::Start(client_.get(), {.node_id = "x/y", .address = "127.0.0.1:1"})
          .status()));
}

TEST_F(ClusterMembershipTest, ANodeCutOffForATtlStopsCountingItselfLiveAndReturnsWithEtcd) {
  auto a = Register("a");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->live());
  etcd_->Kill();
  // Not live once its last renewal is a TTL (2 s) old; the process goes on.
  EXPECT_TRUE(Within(std::chrono::seconds(4), [&] { return !a->live(); }));
  etcd_->Start();
  // Live again within a few seconds of etcd's return (it takes about one to serve again).
  EXPECT_TRUE(Within(std::chrono::seconds(8), [&] { return a->live(); })) << etcd_->Log();
  EXPECT_TRUE(Within(std::chrono::seconds(5), [&] {
    auto nodes = ListNodes(*client_);
    return nodes.ok() && nodes->size() == 1 && (*nodes)[0].id == "a";
  }));
}

TEST_F(ClusterMembershipTest, OneControllerAtATimeAndAStaleOneCannotWrite) {
  auto a = Register("a");
  auto b = Register("b");
  ASSERT_TRUE(a && b);
  auto by_a = TryBecomeController(*client_, "a", a->lease());
  ASSERT_TRUE(by_a.ok() && by_a->has_value()) << by_a.status();
  EXPECT_EQ((*by_a)->node_id, "a");
  auto by_b = TryBecomeController(*client_, "b", b->lease());
  ASSERT_TRUE(by_b.ok() && by_b->has_value());
  EXPECT_EQ((*by_b)->node_id, "a") << "b took the controller's key while a held it";
  const int64_t fence_a = (*by_a)->fence;
  EXPECT_TRUE(*client_->FencedPut("/tqdb/test/map", "by a", 0, kControllerKey, fence_a));

  a.reset();  // a's lease goes, and the controller's key with it
  auto now_b = TryBecomeController(*client_, "b", b->lease());
  ASSERT_TRUE(now_b.ok() && now_b->has_value());
  EXPECT_EQ((*now_b)->node_id, "b");
  EXPECT_GT((*now_b)->fence, fence_a);
  const int64_t map_revision = (*client_->Get("/tqdb/test/map"))->mod_revision;
  // a, not knowing it lost the key, tries to write with its old fence: refused.
  EXPECT_FALSE(
      *client_->FencedPut("/tqdb/test/map", "stale a", map_revision, kControllerKey, fence_a));
  EXPECT_TRUE(
      *client_->FencedPut("/tqdb/test/map", "by b", map_revision, kControllerKey, (*now_b)->fence));
  EXPECT_EQ((*client_->Get("/tqdb/test/map"))->value, "by b");
}

// The controller keeps the shard map in etcd: it assigns shards to the live nodes, re-assigns
// a departed node's shards with higher epochs, and a write over a map it did not read, or after
// it lost the controller's key, is refused.
TEST_F(ClusterMembershipTest, TheControllerKeepsTheShardMapAndOnlyItCanChangeIt) {
  auto a = Register("a");
  auto b = Register("b");
  auto c = Register("c");
  ASSERT_TRUE(a && b && c);
  auto controller = TryBecomeController(*client_, "a", a->lease());
  ASSERT_TRUE(controller.ok() && controller->has_value() && (*controller)->node_id == "a");
  EXPECT_FALSE(ReadShardMap(*client_, "docs")->has_value());

  std::vector<std::string> live = NodeIds();
  const ShardMap first = AssignShards(ShardMap{"docs", std::vector<ShardOwner>(6)}, live);
  ASSERT_TRUE(*WriteShardMap(*client_, first, 0, (*controller)->fence));
  auto stored = ReadShardMap(*client_, "docs");
  ASSERT_TRUE(stored.ok() && stored->has_value()) << stored.status();
  EXPECT_EQ(EncodeShardMap((*stored)->map), EncodeShardMap(first));
  // A second write over "no map yet" (a controller that read before the first) is refused.
  EXPECT_FALSE(*WriteShardMap(*client_, first, 0, (*controller)->fence));

  c.reset();  // c leaves: its shards move, with new epochs
  live = NodeIds();
  EXPECT_EQ(live, (std::vector<std::string>{"a", "b"}));
  const ShardMap second = AssignShards((*stored)->map, live);
  ASSERT_TRUE(*WriteShardMap(*client_, second, (*stored)->revision, (*controller)->fence));
  auto now = ReadShardMap(*client_, "docs");
  ASSERT_TRUE(now.ok() && now->has_value());
  for (size_t s = 0; s < first.shards.size(); ++s) {
    const ShardOwner& owner = (*now)->map.shards[s];
    EXPECT_NE(owner.node, "c");
    EXPECT_EQ(owner.epoch, first.shards[s].node == "c" ? 2u : 1u) << "shard " << s;
  }

  // a goes; b becomes controller; a's writes are refused even over the latest map.
  const Controller stale = **controller;
  a.reset();
  auto by_b = TryBecomeController(*client_, "b", b->lease());
  ASSERT_TRUE(by_b.ok() && by_b->has_value() && (*by_b)->node_id == "b");
  EXPECT_FALSE(*WriteShardMap(*client_, second, (*now)->revision, stale.fence));
  EXPECT_TRUE(
      *WriteShardMap(*client_, AssignShards(second, {"b"}), (*now)->revision, (*by_b)->fence));
  auto last = ReadShardMap(*client_, "docs");
  ASSERT_TRUE(last.ok() && last->has_value());
  for (const ShardOwner& owner : (*last)->map.shards) EXPECT_EQ(owner.node, "b");
}

// Dropping a collection removes its map and its record together, and only as a map write may:
// over the map it read, while the controller it read holds its key.
TEST_F(ClusterMembershipTest, ADropRemovesMapAndRecordTogetherUnderTheControllersFence) {
  auto a = Register("a");
  auto b = Register("b");
  ASSERT_TRUE(a && b);
  auto by_a = TryBecomeController(*client_, "a", a->lease());
  ASSERT_TRUE(by_a.ok() && by_a->has_value() && (*by_a)->node_id == "a");
  const ShardMap first = AssignShards(ShardMap{"docs", std::vector<ShardOwner>(4)}, NodeIds());
  ASSERT_TRUE(*WriteShardMap(*client_, first, 0, (*by_a)->fence));
  ASSERT_TRUE(client_->Put(CollectionKey("docs"), "record").ok());
  const int64_t read_at = (*ReadShardMap(*client_, "docs"))->revision;

  // The map changed after it was read (a shard moved): refused, nothing removed.
  const ShardMap moved = AssignShards(first, {"a"});
  ASSERT_TRUE(*WriteShardMap(*client_, moved, read_at, (*by_a)->fence));
  EXPECT_FALSE(*RemoveCollectionRecords(*client_, "docs", read_at, (*by_a)->fence));
  const int64_t now_at = (*ReadShardMap(*client_, "docs"))->revision;
  // A controller that lost its key: refused.
  const int64_t stale_fence = (*by_a)->fence;
  a.reset();
  auto by_b = TryBecomeController(*client_, "b", b->lease());
  ASSERT_TRUE(by_b.ok() && by_b->has_value() && (*by_b)->node_id == "b");
  EXPECT_FALSE(*RemoveCollectionRecords(*client_, "docs", now_at, stale_fence));
  EXPECT_TRUE((*ReadShardMap(*client_, "docs")).has_value());
  EXPECT_TRUE((*client_->Get(CollectionKey("docs"))).has_value());

  ASSERT_TRUE(*RemoveCollectionRecords(*client_, "docs", now_at, (*by_b)->fence));
  EXPECT_FALSE((*ReadShardMap(*client_, "docs")).has_value());
  EXPECT_FALSE((*client_->Get(CollectionKey("docs"))).has_value());
  // A record whose map was never written (a creation stopped between the two) goes too.
  ASSERT_TRUE(client_->Put(CollectionKey("half"), "record").ok());
  ASSERT_TRUE(*RemoveCollectionRecords(*client_, "half", 0, (*by_b)->fence));
  EXPECT_FALSE((*client_->Get(CollectionKey("half"))).has_value());
}

}  // namespace
}  // namespace tqdb::cluster
