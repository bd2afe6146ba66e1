// Two cluster nodes inside this process (ClusterNode, each with its own gRPC server on
// 127.0.0.1) on a real etcd, driven from many threads at once: writers, searchers and shard
// moves. The thread sanitizer build runs it, so the cluster's own concurrency (routing's
// fan-out and its callbacks, a shard's write gate, the noted writes of a move, the transfer
// service's watcher) is checked there; the process suites (cluster_node_test) cannot be, since
// the sanitizer build has no server binary.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_node.h"
#include "etcd_process.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "test_util.h"
#include "tqdb_service.h"

namespace tqdb::testing {
namespace {

constexpr int kDim = 32;

class InProcessNode {
 public:
  InProcessNode(const std::string& etcd, const std::string& id, const std::string& dir) {
    cluster::ClusterNode::Options options;
    options.etcd_endpoints = etcd;
    options.node_id = id;
    options.data_dir = dir;
    options.lease_ttl = std::chrono::seconds(3);
    options.renew_every = std::chrono::milliseconds(1000);
    options.replica_timeout = std::chrono::milliseconds(500);
    auto node = cluster::ClusterNode::Open(options);
    EXPECT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
    service_ = std::make_unique<server::TqdbService>(node_->api());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    builder.RegisterService(node_->transfer_service());
    server_ = builder.BuildAndStart();
    EXPECT_TRUE(node_->Join("127.0.0.1:" + std::to_string(port)).ok());
    stub_ = v1::Tqdb::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                  grpc::InsecureChannelCredentials()));
  }
  ~InProcessNode() {
    node_->PrepareToStop();  // ends the log streams replicas hold open to it
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    node_.reset();
  }
  v1::Tqdb::Stub& stub() { return *stub_; }

 private:
  std::unique_ptr<cluster::ClusterNode> node_;
  std::unique_ptr<server::TqdbService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Tqdb::Stub> stub_;
};

template <typename Request, typename Response>
grpc::Status Call(grpc::Status (v1::Tqdb::Stub::*method)(grpc::ClientContext*, const Request&,
                                                         Response*),
                  InProcessNode& node, const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  return (node.stub().*method)(&context, request, response);
}

// Two nodes on `etcd` under `dir`, with collection "c" of 4 shards made through the first.
std::vector<std::unique_ptr<InProcessNode>> TwoNodesWithCollection(const std::string& etcd,
                                                                   const std::string& dir,
                                                                   uint32_t replication_factor) {
  std::vector<std::unique_ptr<InProcessNode>> nodes;
  for (int i = 0; i < 2; ++i) {
    nodes.push_back(
        std::make_unique<InProcessNode>(etcd, absl::StrCat("n", i), absl::StrCat(dir, "/n", i)));
  }
  v1::CreateCollectionRequest create;
  create.mutable_config()->set_name("c");
  create.mutable_config()->set_dimension(kDim);
  create.mutable_config()->set_bits(4);
  create.set_shards(4);
  create.set_replication_factor(replication_factor);
  v1::CreateCollectionResponse created;
  EXPECT_TRUE(Call(&v1::Tqdb::Stub::CreateCollection, *nodes[0], create, &created).ok());
  return nodes;
}

// Upserts ids [first, first + n) of "c" with their rows of `vectors` through `node`, again while
// a shard refuses them for a moment (UNAVAILABLE: moving, failing over), for at most 120 s.
void UpsertUntilTaken(InProcessNode& node, const std::vector<float>& vectors, uint64_t first,
                      uint64_t n) {
  v1::UpsertRequest request;
  request.set_collection("c");
  for (uint64_t id = first; id < first + n; ++id) request.add_ids(id);
  request.mutable_vectors()->Add(vectors.begin() + first * kDim,
                                 vectors.begin() + (first + n) * kDim);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    v1::UpsertResponse response;
    const grpc::Status status = Call(&v1::Tqdb::Stub::Upsert, node, request, &response);
    if (status.ok()) return;
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << status.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST(ClusterInProcessTest, WritersSearchersAndMovesAtOnceLoseNothing) {
  ScopedTempDir dir;
  EtcdProcess etcd(dir.path() + "/etcd");
  std::vector<std::unique_ptr<InProcessNode>> nodes =
      TwoNodesWithCollection(etcd.endpoint(), dir.path(), 1);

  constexpr int kWriters = 3;
  constexpr uint64_t kBatches = 30, kBatch = 40;
  const std::vector<float> vectors = RandomUnitVectors(kWriters * kBatches * kBatch, kDim, 5);
  std::atomic<bool> stop{false};
  std::atomic<int> failed_searches{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t b = 0; b < kBatches; ++b) {
        UpsertUntilTaken(*nodes[(w + b) % 2], vectors, (w * kBatches + b) * kBatch, kBatch);
      }
    });
  }
  for (int s = 0; s < 2; ++s) {
    threads.emplace_back([&, s] {
      for (int q = 0; !stop; ++q) {
        v1::SearchRequest request;
        request.set_collection("c");
        request.mutable_query()->Add(vectors.begin() + (q % 100) * kDim,
                                     vectors.begin() + (q % 100 + 1) * kDim);
        request.mutable_options()->set_rerank(true);
        v1::SearchResponse response;
        if (!Call(&v1::Tqdb::Stub::Search, *nodes[s], request, &response).ok()) ++failed_searches;
      }
    });
  }
  // Two moves while they run: shards 0 and 1 to the node that does not hold them.
  v1::GetClusterStatusResponse status;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::GetClusterStatus, *nodes[0], v1::GetClusterStatusRequest(), &status)
          .ok());
  for (uint32_t shard = 0; shard < 2; ++shard) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v1::MoveShardRequest move;
    move.set_collection("c");
    move.set_shard(shard);
    move.set_to_node(status.collections(0).shards(shard).node() == "n0" ? "n1" : "n0");
    v1::MoveShardResponse moved;
    const grpc::Status result = Call(&v1::Tqdb::Stub::MoveShard, *nodes[shard], move, &moved);
    EXPECT_TRUE(result.ok()) << result.error_message();
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  stop = true;
  for (size_t t = kWriters; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(failed_searches, 0);

  v1::GetRequest get;
  get.set_collection("c");
  for (uint64_t id = 0; id < kWriters * kBatches * kBatch; ++id) get.add_ids(id);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Get, *nodes[1], get, &got).ok());
  for (const v1::Record& record : got.records()) EXPECT_TRUE(record.found()) << record.id();
}

// Replicas under many threads (issue 34): writes waiting for their in-sync copies, copies caught
// up and admitted again, then one node leaves while the writes go on: its shards fail over to
// their copies on the other, whose own shards put the gone copy out of sync; no acknowledged
// write is lost.
TEST(ClusterInProcessTest, ReplicatedWritesOutliveANodeLeavingMidway) {
  ScopedTempDir dir;
  EtcdProcess etcd(dir.path() + "/etcd");
  std::vector<std::unique_ptr<InProcessNode>> nodes =
      TwoNodesWithCollection(etcd.endpoint(), dir.path(), 2);

  // Writers write through n0 until stopped (each its own ids), retrying refused writes.
  constexpr int kWriters = 3;
  constexpr uint64_t kMaxBatches = 400, kBatch = 20;
  const std::vector<float> vectors = RandomUnitVectors(kWriters * kMaxBatches * kBatch, kDim, 9);
  std::atomic<bool> stop{false};
  std::atomic<int> batches_written{0};
  std::vector<uint64_t> written(kWriters, 0);  // each writer's batches, read after the join
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (uint64_t b = 0; b < kMaxBatches && !stop; ++b) {
        UpsertUntilTaken(*nodes[0], vectors, (w * kMaxBatches + b) * kBatch, kBatch);
        if (::testing::Test::HasFatalFailure()) return;
        written[w] = b + 1;
        ++batches_written;
      }
    });
  }
  // Once every copy is in sync (a copy that was not could not take over), n1 leaves the
  // cluster (its lease revoked at once) while the writes go on.
  const auto in_sync = [&] {
    v1::GetClusterStatusResponse status;
    if (!Call(&v1::Tqdb::Stub::GetClusterStatus, *nodes[0], v1::GetClusterStatusRequest(), &status)
             .ok()) {
      return false;
    }
    for (const auto& shard : status.collections(0).shards()) {
      if (shard.in_sync_size() != 1) return false;
    }
    return true;
  };
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (batches_written < 30 || !in_sync()) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the copies did not come in sync";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  nodes[1].reset();
  const int at_leave = batches_written;
  give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (batches_written < at_leave + 30 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  stop = true;
  for (std::thread& writer : writers) writer.join();
  EXPECT_GE(batches_written, at_leave + 30) << "the writes did not go on";

  v1::GetClusterStatusResponse status;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::GetClusterStatus, *nodes[0], v1::GetClusterStatusRequest(), &status)
          .ok());
  for (const auto& shard : status.collections(0).shards()) {
    EXPECT_EQ(shard.node(), "n0") << "shard " << shard.shard();
    EXPECT_EQ(shard.in_sync_size(), 0) << "shard " << shard.shard();
  }
  v1::GetRequest get;
  get.set_collection("c");
  get.set_with_vectors(true);
  for (int w = 0; w < kWriters; ++w) {
    for (uint64_t id = w * kMaxBatches * kBatch; id < (w * kMaxBatches + written[w]) * kBatch;
         ++id) {
      get.add_ids(id);
    }
  }
  v1::GetResponse got;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Get, *nodes[0], get, &got).ok());
  EXPECT_EQ(got.records_size(), batches_written * static_cast<int>(kBatch));
  for (const v1::Record& record : got.records()) {
    ASSERT_TRUE(record.found()) << record.id();
    ASSERT_TRUE(std::equal(record.vector().begin(), record.vector().end(),
                           vectors.begin() + record.id() * kDim))
        << record.id();
  }
}

}  // namespace
}  // namespace tqdb::testing
