// Replicas and failover on real processes (issue 34): one etcd and three tqdb-server nodes on
// 127.0.0.1, every shard on two of them. A ledger-keeping writer writes through a node that
// stays while another is killed (SIGKILL) or frozen (SIGSTOP) past its lease: its shards go to
// their in-sync replicas; afterwards every acknowledged row is stored with its vector, the node
// back is a replica that caught up, and every shard's two copies read the same.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_client.h"
#include "cluster/shard_map.h"
#include "cluster/shard_map_store.h"
#include "cluster_test_util.h"
#include "etcd_process.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb::testing {
namespace {

constexpr int kNodes = 3;
constexpr uint32_t kShards = 6;
constexpr int kLeaseSeconds = 2;
// The writer's rows stop here, leaving rows of the fixture for writes after it.
constexpr uint64_t kWrittenRows = 9000;

class ClusterFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdProcess>(dir_.path() + "/etcd");
    nodes_.resize(kNodes);
    for (int i = 0; i < kNodes; ++i) StartNode(i);
    SplitGloveFixture(100, &base_, &queries_);
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 0; i < kNodes; ++i) {
      if (nodes_[i] != nullptr) std::printf("--- node%d's log:\n%s\n", i, node(i).Log().c_str());
    }
  }

  void StartNode(int i) {
    nodes_[i] = std::make_unique<ServerProcess>(
        NodeDirectory(i),
        std::vector<std::string>{
            "--etcd=" + etcd_->endpoint(), "--node_id=node" + std::to_string(i),
            "--lease_ttl_seconds=" + std::to_string(kLeaseSeconds), "--replica_timeout_ms=1000",
            "--rebalance_delay_seconds=0", "--cache_mb=16", "--write_buffer_mb=16"});
  }
  std::string NodeDirectory(int i) const { return dir_.path() + "/node" + std::to_string(i); }
  ServerProcess& node(int i) { return *nodes_[i]; }

  // "glove" with two copies of each shard, rows [0, rows) written.
  void CreateReplicated(uint64_t rows) {
    v1::CreateCollectionRequest create = GloveCollection("glove", kShards);
    create.set_replication_factor(2);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::CreateCollection, node(0), create, &created).ok());
    ASSERT_TRUE(UpsertRows(node(0), "glove", base_, 0, rows).ok());
  }

  cluster::ShardMap Map() {
    auto etcd = cluster::EtcdClient::Connect(etcd_->endpoint());
    EXPECT_TRUE(etcd.ok());
    auto stored = cluster::ReadShardMap(**etcd, "glove");
    EXPECT_TRUE(stored.ok() && stored->has_value());
    return (*stored)->map;
  }

  // Empty once every shard's replica is in sync and has reported its owner's whole log.
  std::string Lagging() {
    for (const cluster::ShardOwner& shard : Map().shards) {
      if (shard.replicas.size() != 1 || shard.in_sync != shard.replicas) {
        return "a replica out of sync";
      }
    }
    v1::GetClusterStatusResponse status;
    const grpc::Status asked =
        Call(&v1::Tqdb::Stub::GetClusterStatus, node(0), v1::GetClusterStatusRequest(), &status);
    if (!asked.ok()) return asked.error_message();
    for (const auto& shard : status.collections(0).shards()) {
      if (shard.replicas_size() != 1 || !shard.replicas(0).reported() ||
          shard.replicas(0).behind() > 0) {
        return "shard " + std::to_string(shard.shard()) + " behind";
      }
    }
    return "";
  }
  void AwaitInSync() {
    std::string lagging = Lagging();
    for (int i = 0; i < 600 && !lagging.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lagging = Lagging();
    }
    ASSERT_EQ(lagging, "") << "the copies did not come back in sync";
  }

  // With every node stopped: each shard's copies hold the same records of ids [0, rows). The
  // nodes are killed at once (every acknowledged write is synced): one stopped cleanly first
  // would leave the cluster, and its shards would fail over while the others stop.
  void ExpectCopiesAgree(uint64_t rows) {
    const cluster::ShardMap map = Map();
    for (int i = 0; i < kNodes; ++i) node(i).Signal(SIGKILL);
    for (int i = 0; i < kNodes; ++i) node(i).Stop(SIGKILL);
    DatabaseOptions offline;
    offline.background_partitioning = false;
    const auto index = [](const std::string& id) { return id.back() - '0'; };
    for (uint32_t s = 0; s < kShards; ++s) {
      const cluster::ShardOwner& shard = map.shards[s];
      SCOPED_TRACE("shard " + std::to_string(s) + " on " + shard.node + ", its copy on " +
                   shard.replicas[0]);
      const std::string owned =
          NodeDirectory(index(shard.node)) + "/shards/glove/" + std::to_string(s);
      const std::string copied =
          NodeDirectory(index(shard.replicas[0])) + "/replicas/glove/" + std::to_string(s);
      ASSERT_TRUE(std::filesystem::exists(owned + "/CURRENT")) << owned;
      ASSERT_TRUE(std::filesystem::exists(copied + "/CURRENT")) << copied;
      auto owner = Database::Open(owned, offline);
      auto copy = Database::Open(copied, offline);
      ASSERT_TRUE(owner.ok() && copy.ok()) << owner.status() << " " << copy.status();
      auto owner_collection = (*owner)->GetCollection("glove");
      auto copy_collection = (*copy)->GetCollection("glove");
      ASSERT_TRUE(owner_collection.ok() && copy_collection.ok())
          << owner_collection.status() << " " << copy_collection.status();
      ExpectSameRecords(**owner_collection, **copy_collection, IdRange(0, rows));
    }
  }

  // Waits until `writer` has written `rows` more rows (at most 60 s): the writes go on after a
  // fault, their longest stall its failover as a client sees it.
  static void AwaitRows(const RowWriter& writer, uint64_t rows) {
    const uint64_t target = writer.acknowledged() + rows;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (writer.acknowledged() < target && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_GE(writer.acknowledged(), target) << "writes did not resume";
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdProcess> etcd_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<float> base_, queries_;
};

TEST_F(ClusterFailoverTest, AKilledOwnersInSyncReplicasTakeOverAndNoAcknowledgedWriteIsLost) {
  CreateReplicated(600);
  AwaitInSync();
  const cluster::ShardMap before = Map();
  RowWriter writer(node(0), base_, 600, kWrittenRows);
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
  ExpectRowsStored(node(0), base_, writer.acknowledged());
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
  ExpectRowsStored(node(1), base_, rows + 300);
  ExpectCopiesAgree(rows + 300);
}

TEST_F(ClusterFailoverTest, AFrozenOwnerPastItsLeaseStepsDownAndLosesNothing) {
  CreateReplicated(600);
  AwaitInSync();
  RowWriter writer(node(0), base_, 600, kWrittenRows);
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
    if (rows + 50 > base_.size() / 100) break;
    const grpc::Status wrote = UpsertRows(node(1), "glove", base_, rows, 50);
    if (wrote.ok()) break;
    EXPECT_EQ(wrote.error_code(), grpc::StatusCode::UNAVAILABLE) << wrote.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  writer.Stop();
  for (const cluster::ShardOwner& shard : Map().shards) EXPECT_NE(shard.node, "node1");
  ExpectRowsStored(node(0), base_, writer.acknowledged());
  AwaitInSync();
  ExpectCopiesAgree(writer.acknowledged());
}

}  // namespace
}  // namespace tqdb::testing
