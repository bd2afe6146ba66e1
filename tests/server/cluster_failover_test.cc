// Replicas and failover on real processes (issue 34; replicated_cluster.h): a ledger-keeping
// writer writes through a node that stays while another is killed (SIGKILL) or frozen
// (SIGSTOP) past its lease: its shards go to their in-sync replicas; afterwards every
// acknowledged row is stored with its vector, the node back is a replica that caught up, and
// every shard's two copies read the same.
#include "replicated_cluster.h"

namespace tqdb::testing {
namespace {

using ClusterFailoverTest = ReplicatedClusterTest;

TEST_F(ClusterFailoverTest, AKilledOwnersInSyncReplicasTakeOverAndNoAcknowledgedWriteIsLost) {
  CreateReplicated(600);
  AwaitInSync();
  const cluster::ShardMap before = Map();
  RowWriter writer(node(0), base_, 600, kWriterEnd);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const uint64_t before_kill = writer.acknowledged();
  node(1).Signal(SIGKILL);
  AwaitRows(writer, 500);
  writer.Stop();
  const double failover = writer.longest_stall_seconds();
  std::printf(
      "failover: writes stalled at most %.2f s by SIGKILL (lease %d s); %llu rows "
      "acknowledged before, %llu after; %d writes refused meanwhile\n",
      failover, kLeaseSeconds, static_cast<unsigned long long>(before_kill),
      static_cast<unsigned long long>(writer.acknowledged()), writer.refused());
  EXPECT_LT(failover, 5.0 * kLeaseSeconds);
  EXPECT_GT(writer.acknowledged(), before_kill);

  // node1's shards went to their replicas at the next epoch; node1 is their copy out of sync.
  const cluster::ShardMap after = Map();
  int promoted = 0;
  for (uint32_t s = 0; s < kShards; ++s) {
    if (before.shards[s].node != "node1") continue;
    ++promoted;
    EXPECT_EQ(after.shards[s].node, before.shards[s].replicas[0]) << s;
    EXPECT_EQ(after.shards[s].epoch, before.shards[s].epoch + 1) << s;
    EXPECT_EQ(after.shards[s].replicas, std::vector<std::string>{"node1"}) << s;
    EXPECT_TRUE(after.shards[s].in_sync.empty()) << s;
  }
  EXPECT_GT(promoted, 0);
  EXPECT_EQ(CountLost(0, 0, writer.acknowledged()), 0u);
  // Searches answer from every shard again.
  v1::SearchResponse found;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::Search, node(2), Query("glove", queries_.data(), 0), &found).ok());
  EXPECT_EQ(found.coverage().answered(), kShards);

  // Back, node1 drops its former shards, copies them from their new owners and catches up.
  StartNode(1);
  AwaitInSync();
  const uint64_t rows = writer.acknowledged();
  ASSERT_TRUE(UpsertRows(node(1), "glove", base_, rows, 300).ok());
  AwaitInSync();
  EXPECT_EQ(CountLost(1, 0, rows + 300), 0u);
  ExpectCopiesAgree(rows + 300);
}

TEST_F(ClusterFailoverTest, AFrozenOwnerPastItsLeaseStepsDownAndLosesNothing) {
  CreateReplicated(600);
  AwaitInSync();
  RowWriter writer(node(0), base_, 600, kWriterEnd);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  node(1).Signal(SIGSTOP);
  AwaitRows(writer, 500);
  node(1).Signal(SIGCONT);
  std::printf("failover: writes stalled at most %.2f s by SIGSTOP (lease %d s)\n",
              writer.longest_stall_seconds(), kLeaseSeconds);
  EXPECT_LT(writer.longest_stall_seconds(), 5.0 * kLeaseSeconds);
  // Woken with a map that still names it, node1 takes writes only for what it owns now: writes
  // through it are either acknowledged (and then stored) or refused, never acknowledged and lost.
  uint64_t rows = 0;
  for (int round = 0; round < 40; ++round) {
    rows = writer.acknowledged();
    const grpc::Status wrote = UpsertRows(node(1), "glove", base_, rows, 50);
    if (wrote.ok()) break;
    EXPECT_EQ(wrote.error_code(), grpc::StatusCode::UNAVAILABLE) << wrote.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  writer.Stop();
  for (const cluster::ShardOwner& shard : Map().shards) EXPECT_NE(shard.node, "node1");
  EXPECT_EQ(CountLost(0, 0, writer.acknowledged()), 0u);
  AwaitInSync();
  ExpectCopiesAgree(writer.acknowledged());
}

}  // namespace
}  // namespace tqdb::testing
