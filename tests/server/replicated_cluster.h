// A cluster of real processes on 127.0.0.1 whose collection "glove" keeps two copies of every
// shard (issue 34): one etcd and three tqdb-server nodes with a 2 s lease, and what the replica
// suites check of it: the copies in sync, the acknowledged rows stored, the copies the same.
#pragma once

#include <algorithm>
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

class ReplicatedClusterTest : public ::testing::Test {
 protected:
  static constexpr int kNodes = 3;
  static constexpr uint32_t kShards = 6;
  static constexpr int kLeaseSeconds = 2;
  // Past any writer's ids (which go past the fixture's rows: RowOf).
  static constexpr uint64_t kWriterEnd = 10'000'000;

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

  // Of ids [first, end), those not stored through `node` with their rows' exact floats: the
  // acknowledged writes a fault lost.
  uint64_t CountLost(int i, uint64_t first, uint64_t end) {
    uint64_t lost = 0;
    constexpr uint64_t kChunk = 2000;
    for (uint64_t from = first; from < end; from += kChunk) {
      v1::GetRequest get;
      get.set_collection("glove");
      for (uint64_t id = from; id < std::min(end, from + kChunk); ++id) get.add_ids(id);
      get.set_with_vectors(true);
      v1::GetResponse got;
      grpc::Status read;
      for (int attempt = 0; attempt < 100; ++attempt) {
        got.Clear();
        read = Call(&v1::Tqdb::Stub::Get, node(i), get, &got);
        if (read.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      EXPECT_TRUE(read.ok()) << read.error_message();
      if (!read.ok()) return end - first;
      for (const v1::Record& record : got.records()) {
        const float* row = RowOf(base_, record.id());
        lost += !record.found() || record.vector_size() != 100 ||
                !std::equal(row, row + 100, record.vector().begin());
      }
    }
    return lost;
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

}  // namespace tqdb::testing
