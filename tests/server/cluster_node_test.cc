// A cluster of real processes on 127.0.0.1: one etcd and three tqdb-server nodes (--etcd), with
// a server alone beside them as the reference. The cluster must answer as the server alone does
// through whichever node a client calls, and a node killed with SIGKILL must fail searches (or
// answer them in part when the request allows it) until it returns, then lose nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "api_keys.h"
#include "cluster/shard_map.h"
#include "cluster/shard_map_store.h"
#include "cluster_test_util.h"
#include "etcd_process.h"
#include "gtest/gtest.h"
#include "loopback_socket.h"
#include "server_process.h"
#include "tcp_proxy.h"
#include "test_certificates.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb::testing {
namespace {

constexpr int kNodes = 3;
constexpr uint32_t kShards = 6;

class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdProcess>(dir_.path() + "/etcd");
    // Node 1 reaches etcd through a proxy the partition test cuts.
    proxy_ = std::make_unique<TcpProxy>(etcd_->client_port());
    for (int i = 0; i < kNodes; ++i) StartNode(i);
  }

  void StartNode(int i, const std::vector<std::string>& extra_flags = {}) {
    nodes_.resize(std::max<size_t>(nodes_.size(), std::max(i + 1, kNodes)));
    std::vector<std::string> flags = {"--etcd=" + (i == 1 ? proxy_->endpoint() : etcd_->endpoint()),
                                      "--node_id=node" + std::to_string(i),
                                      "--lease_ttl_seconds=2",
                                      "--cache_mb=16",
                                      "--write_buffer_mb=16",
                                      "--metrics_listen=127.0.0.1:0"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    nodes_[i] = std::make_unique<ServerProcess>(dir_.path() + "/node" + std::to_string(i), flags);
  }

  // Node `i`'s vectors per shard of `collection`, from its Prometheus endpoint.
  std::map<std::string, double> ShardVectors(int i, const std::string& collection) {
    std::smatch port;
    const std::string log = node(i).Log();
    EXPECT_TRUE(std::regex_search(log, port, std::regex("metrics=127\\.0\\.0\\.1:([0-9]+)")));
    const int fd = ConnectLoopback(std::stoi(port[1]), 10);
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) response.append(buffer, n);
    close(fd);
    std::map<std::string, double> vectors;
    const std::regex sample("tqdb_collection_vectors\\{collection=\"" + collection +
                            "\",shard=\"([0-9]+)\"\\} ([0-9.e+]+)");
    for (std::sregex_iterator it(response.begin(), response.end(), sample), end; it != end; ++it) {
      vectors[(*it)[1]] = std::stod((*it)[2]);
    }
    return vectors;
  }

  // The fixture's rows (base_, queries_), and "glove" created through node 0 with rows
  // [0, rows) loaded.
  void CreateGloveWithRows(uint64_t rows) {
    testing::CreateGloveWithRows(node(0), kShards, rows, &base_, &queries_);
  }
  void ExpectRowsStored(int i, uint64_t rows) { testing::ExpectRowsStored(node(i), base_, rows); }
  void IdsByOwner(const std::string& collection, const std::string& owner, uint64_t first,
                  uint64_t n, std::vector<uint64_t>* owned, std::vector<uint64_t>* others) {
    testing::IdsByOwner(etcd_->endpoint(), collection, owner, first, n, owned, others);
  }

  ServerProcess& node(int i) { return *nodes_[i]; }

  // Through `stub` (a TLS client of node `entry`): creates "glove" with kShards shards, writes
  // 600 fixture rows and searches them. Most shards are on the other nodes, so every answer
  // crossed TLS between nodes. `queries_` holds the fixture's queries after.
  void CreateWriteAndSearchOverTls(v1::Tqdb::Stub& stub, int entry) {
    const auto call = [](auto method) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      return method(&context);
    };
    v1::CreateCollectionResponse created;
    const grpc::Status made = call([&](grpc::ClientContext* c) {
      return stub.CreateCollection(c, GloveCollection("glove", kShards), &created);
    });
    ASSERT_TRUE(made.ok()) << made.error_message() << "\n" << node(entry).Log();
    SplitGloveFixture(100, &base_, &queries_);
    v1::UpsertResponse upserted;
    const grpc::Status wrote = call([&](grpc::ClientContext* c) {
      return stub.Upsert(c, RowsUpsert("glove", base_, IdRange(0, 600)), &upserted);
    });
    ASSERT_TRUE(wrote.ok()) << wrote.error_message();
    v1::SearchResponse found;
    const grpc::Status searched = call([&](grpc::ClientContext* c) {
      return stub.Search(c, Query("glove", queries_.data(), 0), &found);
    });
    ASSERT_TRUE(searched.ok()) << searched.error_message();
    EXPECT_EQ(found.coverage().answered(), kShards);
    EXPECT_EQ(found.hits_size(), 10);
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdProcess> etcd_;
  std::unique_ptr<TcpProxy> proxy_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<float> base_, queries_;
};

double Recall(const std::vector<uint64_t>& found, const std::vector<uint64_t>& truth) {
  size_t hits = 0;
  for (uint64_t id : found) hits += std::count(truth.begin(), truth.end(), id);
  return static_cast<double>(hits) / truth.size();
}

TEST_F(ClusterNodeTest, ThreeNodesAnswerAsOneServerDoes) {
  ServerProcess alone(dir_.path() + "/alone");
  std::vector<float> base, queries;
  SplitGloveFixture(100, &base, &queries);
  const size_t n = base.size() / 100;
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::CreateCollection, node(0), GloveCollection("glove", kShards), &created)
          .ok());
  EXPECT_EQ(created.config().dimension(), 100u);
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::CreateCollection, alone, GloveCollection("glove", 0), &created).ok());
  // Each batch through another node: every node routes writes.
  for (size_t first = 0, batch = 0; first < n; first += 1000, ++batch) {
    const size_t rows = std::min<size_t>(1000, n - first);
    ASSERT_TRUE(UpsertRows(node(batch % kNodes), "glove", base, first, rows).ok());
    ASSERT_TRUE(UpsertRows(alone, "glove", base, first, rows).ok());
  }
  v1::CountRequest count;
  count.set_collection("glove");
  v1::CountResponse counted;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Count, node(1), count, &counted).ok());
  EXPECT_EQ(counted.count(), n);
  v1::DescribeCollectionRequest describe;
  describe.set_collection("glove");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::DescribeCollection, node(2), describe, &described).ok());
  EXPECT_EQ(described.count(), n);
  EXPECT_EQ(described.shards(), kShards);
  // Each node's metrics count the vectors of its own shards, labelled by shard.
  double metered = 0;
  size_t metered_shards = 0;
  for (int i = 0; i < kNodes; ++i) {
    const std::map<std::string, double> vectors = ShardVectors(i, "glove");
    EXPECT_EQ(vectors.size(), kShards / kNodes) << "node " << i;
    metered_shards += vectors.size();
    for (const auto& [shard, count] : vectors) metered += count;
  }
  EXPECT_EQ(metered_shards, kShards);
  EXPECT_EQ(metered, static_cast<double>(n));

  // Re-ranking every candidate: exact scores on both sides, so the same top 10.
  for (int q = 0; q < 20; ++q) {
    v1::SearchResponse cluster, single;
    const v1::SearchRequest request = Query("glove", &queries[q * 100], static_cast<int>(n));
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::Search, node(q % kNodes), request, &cluster).ok());
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::Search, alone, request, &single).ok());
    EXPECT_EQ(Ids(cluster), Ids(single)) << "query " << q;
    ASSERT_EQ(cluster.hits_size(), single.hits_size());
    for (int i = 0; i < cluster.hits_size(); ++i) {
      EXPECT_NEAR(cluster.hits(i).score(), single.hits(i).score(), 1e-5);
    }
    EXPECT_EQ(cluster.coverage().shards(), kShards);
    EXPECT_EQ(cluster.coverage().answered(), kShards);
  }
  // The default re-rank (100 candidates per shard): recall at least the server alone's.
  double cluster_recall = 0, single_recall = 0;
  v1::SearchBatchRequest batch;
  batch.set_collection("glove");
  batch.mutable_queries()->Add(queries.begin(), queries.end());
  batch.mutable_options()->set_k(10);
  batch.mutable_options()->set_rerank(true);
  v1::SearchBatchResponse batch_response;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::SearchBatch, node(2), batch, &batch_response).ok());
  ASSERT_EQ(batch_response.results_size(), 100);
  for (int q = 0; q < 100; ++q) {
    const std::vector<uint64_t> truth = ExactTopCosine(base.data(), n, 100, &queries[q * 100], 10);
    v1::SearchResponse single;
    ASSERT_TRUE(
        Call(&v1::Tqdb::Stub::Search, alone, Query("glove", &queries[q * 100], 0), &single).ok());
    std::vector<uint64_t> cluster;
    for (const v1::Record& hit : batch_response.results(q).hits()) cluster.push_back(hit.id());
    cluster_recall += Recall(cluster, truth) / 100;
    single_recall += Recall(Ids(single), truth) / 100;
  }
  std::printf("recall@10, re-rank 100: cluster %.3f, server alone %.3f\n", cluster_recall,
              single_recall);
  EXPECT_GE(cluster_recall, single_recall - 0.005);
  // Without re-ranking the shards' estimates are merged as they are (each shard encodes with
  // its own center): recall as the server alone's, within noise.
  double cluster_estimated = 0, single_estimated = 0;
  for (int q = 0; q < 100; ++q) {
    const std::vector<uint64_t> truth = ExactTopCosine(base.data(), n, 100, &queries[q * 100], 10);
    v1::SearchResponse cluster, single;
    const v1::SearchRequest request = Query("glove", &queries[q * 100], -1);
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::Search, node(q % kNodes), request, &cluster).ok());
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::Search, alone, request, &single).ok());
    cluster_estimated += Recall(Ids(cluster), truth) / 100;
    single_estimated += Recall(Ids(single), truth) / 100;
  }
  std::printf("recall@10, no re-rank: cluster %.3f, server alone %.3f\n", cluster_estimated,
              single_estimated);
  EXPECT_GE(cluster_estimated, single_estimated - 0.03);

  // Gets come back in the request's order with the exact floats; scrolls page through every id.
  v1::GetRequest get;
  get.set_collection("glove");
  for (uint64_t id : {9000, 5, 123456, 17}) get.add_ids(id);
  get.set_with_vectors(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Get, node(0), get, &got).ok());
  ASSERT_EQ(got.records_size(), 4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(got.records(i).id(), get.ids(i));
    EXPECT_EQ(got.records(i).found(), get.ids(i) != 123456);
    if (!got.records(i).found()) continue;
    const float* row = &base[get.ids(i) * 100];
    EXPECT_TRUE(std::equal(row, row + 100, got.records(i).vector().begin()));
  }
  std::vector<uint64_t> scrolled;
  v1::ScrollRequest scroll;
  scroll.set_collection("glove");
  scroll.set_limit(777);
  for (int page = 0; page < 20; ++page) {
    v1::ScrollResponse response;
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::Scroll, node(page % kNodes), scroll, &response).ok());
    EXPECT_TRUE(response.records_size() == 777 || !response.has_next());
    for (const v1::Record& record : response.records()) scrolled.push_back(record.id());
    if (!response.has_next()) break;
    scroll.set_has_from(true);
    scroll.set_from(response.next_from());
  }
  ASSERT_EQ(scrolled.size(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(scrolled[i], i);

  v1::DeleteRequest remove;
  remove.set_collection("glove");
  for (uint64_t id = 0; id < 100; ++id) remove.add_ids(id);
  v1::DeleteResponse removed;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Delete, node(1), remove, &removed).ok());
  EXPECT_EQ(removed.deleted(), 100u);
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Count, node(2), count, &counted).ok());
  EXPECT_EQ(counted.count(), n - 100);

  // A drop goes from every node's list and takes the shards' directories with it.
  v1::ListCollectionsResponse listed;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::ListCollections, node(2), v1::ListCollectionsRequest(), &listed).ok());
  EXPECT_EQ(std::vector<std::string>(listed.names().begin(), listed.names().end()),
            std::vector<std::string>{"glove"});
  v1::DropCollectionRequest drop;
  drop.set_collection("glove");
  v1::DropCollectionResponse dropped;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::DropCollection, node(1), drop, &dropped).ok());
  EXPECT_EQ(Call(&v1::Tqdb::Stub::DropCollection, node(2), drop, &dropped).error_code(),
            grpc::StatusCode::NOT_FOUND);
  listed.Clear();
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::ListCollections, node(0), v1::ListCollectionsRequest(), &listed).ok());
  EXPECT_EQ(listed.names_size(), 0);
  for (int i = 0; i < kNodes; ++i) {
    const std::string shards = dir_.path() + "/node" + std::to_string(i) + "/shards/glove";
    EXPECT_TRUE(!std::filesystem::exists(shards) || std::filesystem::is_empty(shards)) << shards;
  }
  v1::SearchResponse none;
  EXPECT_EQ(
      Call(&v1::Tqdb::Stub::Search, node(0), Query("glove", queries.data(), 0), &none).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// Partitioned, a cluster does a server alone's work: each shard partitions once the whole
// collection passes partition_at, and probes its share of the lists a search of the whole asks
// for (shard_layout.h), so recall at the defaults stays the server alone's.
TEST_F(ClusterNodeTest, PartitionedShardsProbeTheirShareAndFindWhatOneServerFinds) {
  ServerProcess alone(dir_.path() + "/alone");
  std::vector<float> base, queries;
  SplitGloveFixture(100, &base, &queries);
  const size_t n = base.size() / 100;
  for (ServerProcess* server : {&node(0), &alone}) {
    v1::CreateCollectionRequest create = GloveCollection("glove", server == &alone ? 0 : kShards);
    create.mutable_config()->set_partition_at(3000);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::CreateCollection, *server, create, &created).ok());
    EXPECT_EQ(created.config().partition_at(), 3000u);  // the collection's, not a shard's 500
    ASSERT_TRUE(UpsertRows(*server, "glove", base, 0, n).ok());
  }
  // 1,650 vectors a shard: past its 500, each shard partitions (into about 41 lists).
  v1::DescribeCollectionRequest describe;
  describe.set_collection("glove");
  v1::DescribeCollectionResponse described;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    v1::DescribeCollectionResponse settled_alone;
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::DescribeCollection, node(1), describe, &described).ok());
    ASSERT_TRUE(Call(&v1::Tqdb::Stub::DescribeCollection, alone, describe, &settled_alone).ok());
    if (described.has_partitioning() && !described.background_jobs() &&
        settled_alone.has_partitioning() && !settled_alone.background_jobs()) {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "not settled: cluster partitioned " << described.has_partitioning() << " jobs "
        << described.background_jobs() << ", alone partitioned " << settled_alone.has_partitioning()
        << " jobs " << settled_alone.background_jobs();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(described.config().partition_at(), 3000u);
  EXPECT_NEAR(described.partitioning().list_sizes_size(), 41, 3);
  v1::SearchBatchRequest batch;
  batch.set_collection("glove");
  batch.mutable_queries()->Add(queries.begin(), queries.end());
  batch.mutable_options()->set_k(10);
  batch.mutable_options()->set_rerank(true);
  double recall[2] = {0, 0};
  for (int side = 0; side < 2; ++side) {
    v1::SearchBatchResponse response;
    ASSERT_TRUE(
        Call(&v1::Tqdb::Stub::SearchBatch, side == 0 ? node(2) : alone, batch, &response).ok());
    ASSERT_EQ(response.results_size(), 100);
    for (int q = 0; q < 100; ++q) {
      const std::vector<uint64_t> truth =
          ExactTopCosine(base.data(), n, 100, &queries[q * 100], 10);
      std::vector<uint64_t> ids;
      for (const v1::Record& hit : response.results(q).hits()) ids.push_back(hit.id());
      recall[side] += Recall(ids, truth) / 100;
    }
  }
  std::printf("partitioned, default nprobe, re-rank 100: recall@10 cluster %.3f, alone %.3f\n",
              recall[0], recall[1]);
  EXPECT_GE(recall[0], recall[1] - 0.02);
}

TEST_F(ClusterNodeTest, AKilledNodeFailsSearchesUntilItReturnsAndLosesNothing) {
  CreateGloveWithRows(3000);
  const std::vector<float>& base = base_;
  const std::vector<float>& queries = queries_;

  nodes_[1]->Stop(SIGKILL);
  v1::SearchRequest search = Query("glove", queries.data(), 0);
  v1::SearchResponse response;
  const grpc::Status refused = Call(&v1::Tqdb::Stub::Search, node(0), search, &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  search.mutable_options()->set_allow_partial(true);
  response.Clear();
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Search, node(2), search, &response).ok());
  EXPECT_EQ(response.coverage().shards(), kShards);
  EXPECT_EQ(response.coverage().answered(), kShards - kShards / kNodes);  // 2 shards per node
  EXPECT_EQ(response.hits_size(), 10);
  // A write spanning the shards applies where their owners answer and says where it did not.
  const grpc::Status partial = UpsertRows(node(0), "glove", base, 3000, 300);
  EXPECT_EQ(partial.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(partial.error_message().find("applied on shards"), std::string::npos)
      << partial.error_message();

  StartNode(1);
  search.mutable_options()->set_allow_partial(false);
  grpc::Status answered;
  for (int i = 0; i < 100; ++i) {
    response.Clear();
    answered = Call(&v1::Tqdb::Stub::Search, node(0), search, &response);
    if (answered.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(answered.ok()) << answered.error_message() << "\n" << node(1).Log();
  EXPECT_EQ(response.coverage().answered(), kShards);
  // Retrying the partial write is safe; then every acknowledged row is there.
  ASSERT_TRUE(UpsertRows(node(2), "glove", base, 3000, 300).ok());
  ExpectRowsStored(1, 3300);
}

TEST_F(ClusterNodeTest, ReplicasFollowTheirOwnersAndHoldEveryAcknowledgedWrite) {
  SplitGloveFixture(100, &base_, &queries_);
  v1::CreateCollectionRequest create = GloveCollection("glove", kShards);
  create.set_replication_factor(kNodes + 1);
  v1::CreateCollectionResponse created;
  EXPECT_EQ(Call(&v1::Tqdb::Stub::CreateCollection, node(0), create, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "more copies than nodes";
  create.set_replication_factor(2);
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::CreateCollection, node(0), create, &created).ok());
  auto etcd = cluster::EtcdClient::Connect(etcd_->endpoint());
  ASSERT_TRUE(etcd.ok());
  auto stored = cluster::ReadShardMap(**etcd, "glove");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const cluster::ShardMap map = (*stored)->map;
  for (const cluster::ShardOwner& shard : map.shards) {
    ASSERT_EQ(shard.replicas.size(), 1u);
    EXPECT_NE(shard.replicas[0], shard.node);
    // Out of sync until the copy exists and has caught up (its owner admits it: checked below).
    EXPECT_TRUE(shard.in_sync.empty() || shard.in_sync == shard.replicas);
  }
  // Writes through every node, and deletes, while the replicas follow.
  for (uint64_t first = 0; first < 2400; first += 300) {
    ASSERT_TRUE(UpsertRows(node(first / 300 % kNodes), "glove", base_, first, 300).ok());
  }
  v1::DeleteRequest remove;
  remove.set_collection("glove");
  for (uint64_t id = 0; id < 2400; id += 7) remove.add_ids(id);
  v1::DeleteResponse removed;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Delete, node(2), remove, &removed).ok());

  // Caught up: `cluster status` shows every copy reported and no log write behind its owner.
  const auto node_dir = [&](const std::string& id) { return dir_.path() + "/" + id; };
  const auto behind = [&]() -> std::string {
    v1::GetClusterStatusResponse status;
    const grpc::Status asked =
        Call(&v1::Tqdb::Stub::GetClusterStatus, node(0), v1::GetClusterStatusRequest(), &status);
    if (!asked.ok()) return asked.error_message();
    for (const auto& collection : status.collections()) {
      for (const auto& shard : collection.shards()) {
        if (shard.replicas_size() != 1 || shard.in_sync_size() != 1) return "no replica listed";
        if (!shard.replicas(0).reported() || shard.replicas(0).behind() > 0 ||
            shard.replicas(0).seconds_behind() > 0) {
          return "shard " + std::to_string(shard.shard()) + " " +
                 std::to_string(shard.replicas(0).behind()) + " behind";
        }
      }
    }
    return "";
  };
  std::string lagging = behind();
  for (int i = 0; i < 600 && !lagging.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lagging = behind();
  }
  ASSERT_EQ(lagging, "") << "the copies did not catch up";
  // Killed at once: a node stopped cleanly leaves the cluster, and its shards would fail over
  // to their replicas while the others stop (every acknowledged write is synced).
  for (int i = 0; i < kNodes; ++i) node(i).Signal(SIGKILL);
  for (int i = 0; i < kNodes; ++i) node(i).Stop(SIGKILL);

  // Every copy reads as its owner's shard: the same points, vectors and payloads.
  DatabaseOptions offline;
  offline.background_partitioning = false;
  const std::vector<uint64_t> ids = IdRange(0, 2400);
  size_t points = 0;
  for (uint32_t s = 0; s < kShards; ++s) {
    auto owner = Database::Open(node_dir(map.shards[s].node) + "/shards/glove/" + std::to_string(s),
                                offline);
    auto copy = Database::Open(
        node_dir(map.shards[s].replicas[0]) + "/replicas/glove/" + std::to_string(s), offline);
    ASSERT_TRUE(owner.ok() && copy.ok()) << owner.status() << " " << copy.status();
    SCOPED_TRACE("shard " + std::to_string(s));
    points += ExpectSameRecords(**(*owner)->GetCollection("glove"),
                                **(*copy)->GetCollection("glove"), ids);
  }
  EXPECT_EQ(points, 2400u - (2400 + 6) / 7);
}

TEST_F(ClusterNodeTest, ANodeCutOffFromEtcdTakesNoWritesOnceItsLeaseEndsAndTheRestCarryOn) {
  CreateGloveWithRows(2000);
  const std::vector<float>& base = base_;
  const std::vector<float>& queries = queries_;
  std::vector<uint64_t> owned, others;
  IdsByOwner("glove", "node1", 2000, 400, &owned, &others);
  ASSERT_FALSE(owned.empty());
  ASSERT_FALSE(others.empty());

  proxy_->Cut();  // node 1 can reach the other nodes, not etcd
  const auto cut = std::chrono::steady_clock::now();
  // Within the 2 s lease (and a renewal's timeout) node 1 gives up taking writes.
  grpc::Status refused;
  while (std::chrono::steady_clock::now() - cut < std::chrono::seconds(8)) {
    refused = UpsertIds(node(0), "glove", base, {owned.front()});
    if (!refused.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.error_message().find("lease"), std::string::npos) << refused.error_message();
  std::printf("node 1 refused writes %.1f s after it was cut off from etcd\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count());
  // The other nodes' shards take writes, and every shard still answers searches.
  EXPECT_TRUE(UpsertIds(node(2), "glove", base, others).ok());
  v1::SearchResponse response;
  const grpc::Status searched =
      Call(&v1::Tqdb::Stub::Search, node(0), Query("glove", queries.data(), 0), &response);
  ASSERT_TRUE(searched.ok()) << searched.error_message();
  EXPECT_EQ(response.coverage().answered(), kShards);

  proxy_->Restore();
  grpc::Status accepted;
  for (int i = 0; i < 100; ++i) {
    accepted = UpsertIds(node(0), "glove", base, owned);
    if (accepted.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(accepted.ok()) << accepted.error_message() << "\n" << node(1).Log();
  v1::CountRequest count;
  count.set_collection("glove");
  v1::CountResponse counted;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Count, node(1), count, &counted).ok());
  EXPECT_EQ(counted.count(), 2400u);
}

TEST_F(ClusterNodeTest, AShardMovesWhileWritesAndSearchesGoOnAndNothingIsLost) {
  CreateGloveWithRows(3000);
  const std::vector<float>& base = base_;
  const std::vector<float>& queries = queries_;
  std::vector<uint64_t> owned, others;
  IdsByOwner("glove", "node0", 0, 3000, &owned, &others);
  const uint32_t moved = cluster::ShardOf(owned.front(), kShards);

  // A move made under a controller that is no longer the controller (a stale fence) copies the
  // shard, is refused at the switch and undone: the map and the data stay where they were (the
  // move below still starts from node 0 at epoch 1).
  v1::MoveShardRequest deposed;
  deposed.set_collection("glove");
  deposed.set_shard(moved);
  deposed.set_to_node("node2");
  deposed.set_controller_fence(1);
  v1::MoveShardResponse undone;
  const grpc::Status refused = Call(&v1::Tqdb::Stub::MoveShard, node(1), deposed, &undone);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::ABORTED) << refused.error_message();
  EXPECT_FALSE(
      std::filesystem::exists(dir_.path() + "/node2/shards/glove/" + std::to_string(moved)));

  // A writer (retrying what a paused shard refuses) and a searcher, both through node 1.
  std::atomic<bool> stop{false};
  std::atomic<int> searches{0}, failed_searches{0};
  std::string search_error;
  RowWriter writer(node(1), base, 3000);
  std::thread searcher([&] {
    for (int q = 0; !stop; q = (q + 1) % 100) {
      v1::SearchResponse response;
      const grpc::Status status =
          Call(&v1::Tqdb::Stub::Search, node(1), Query("glove", &queries[q * 100], 0), &response);
      ++searches;
      if (!status.ok() || response.hits_size() != 10) {
        ++failed_searches;
        search_error = status.error_message();
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  v1::MoveShardRequest move;
  move.set_collection("glove");
  move.set_shard(moved);
  move.set_to_node("node2");
  v1::MoveShardResponse response;
  const grpc::Status status = Call(&v1::Tqdb::Stub::MoveShard, node(1), move, &response);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  writer.Stop();
  searcher.join();
  ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << node(2).Log();
  EXPECT_EQ(response.from_node(), "node0");
  EXPECT_EQ(response.epoch(), 2u);
  EXPECT_GT(response.bytes(), 0u);
  std::printf("moved shard %u: %.1f MB in %.2f s; %d searches (%d failed), %d writes refused\n",
              moved, response.bytes() / 1e6, response.seconds(), searches.load(),
              failed_searches.load(), writer.refused());
  EXPECT_EQ(failed_searches, 0) << search_error;
  EXPECT_GT(writer.acknowledged(), 3000u);

  v1::GetClusterStatusResponse cluster;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::GetClusterStatus, node(0), v1::GetClusterStatusRequest(), &cluster)
          .ok());
  ASSERT_EQ(cluster.collections_size(), 1);
  EXPECT_EQ(cluster.collections(0).shards(moved).node(), "node2");
  EXPECT_EQ(cluster.collections(0).shards(moved).epoch(), 2u);
  EXPECT_FALSE(
      std::filesystem::exists(dir_.path() + "/node0/shards/glove/" + std::to_string(moved)));
  // Every acknowledged row is there, also after the new owner's crash and restart.
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      nodes_[2]->Stop(SIGKILL);
      StartNode(2);
    }
    SCOPED_TRACE(round == 0 ? "after the move" : "after the new owner's restart");
    ExpectRowsStored(0, writer.acknowledged());
  }
}

TEST_F(ClusterNodeTest, TheControllerGivesANewNodeItsShareWhileWritesGoOn) {
  // The controller evens out shards once the cluster has been still for 2 s.
  for (int i = 0; i < kNodes; ++i) {
    nodes_[i]->Stop(SIGKILL);
    StartNode(i, {"--rebalance_delay_seconds=2"});
  }
  CreateGloveWithRows(2000);
  RowWriter writer(node(1), base_, 2000);
  StartNode(kNodes, {"--rebalance_delay_seconds=2"});
  // Six shards over four nodes: 2, 2, 1, 1 once a shard has moved to node 3, and no more moves.
  std::map<std::string, int> owned;
  std::string controller;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(40)) {
    v1::GetClusterStatusResponse status;
    ASSERT_TRUE(
        Call(&v1::Tqdb::Stub::GetClusterStatus, node(0), v1::GetClusterStatusRequest(), &status)
            .ok());
    owned.clear();
    for (const auto& shard : status.collections(0).shards()) ++owned[shard.node()];
    controller = status.controller();
    if (owned["node3"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("node 3 got a shard %.1f s after it started\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  writer.Stop();
  ASSERT_EQ(owned["node3"], 1);
  for (int i = 0; i < kNodes; ++i) EXPECT_GE(owned["node" + std::to_string(i)], 1);
  ASSERT_FALSE(controller.empty());
  // The new layout is visible before the controller's MoveShard call returns and logs the move.
  const ServerProcess& controlling = node(std::stoi(controller.substr(4)));
  const std::string moved_line = "controller " + controller + " moved shard";
  const auto logged_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (controlling.Log().find(moved_line) == std::string::npos &&
         std::chrono::steady_clock::now() < logged_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(controlling.Log().find(moved_line), std::string::npos) << controlling.Log();
  // Still for longer than the delay: the controller moves nothing more.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  v1::GetClusterStatusResponse after;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::GetClusterStatus, node(3), v1::GetClusterStatusRequest(), &after).ok());
  for (const auto& shard : after.collections(0).shards()) EXPECT_LE(shard.epoch(), 2u);
  ExpectRowsStored(3, writer.acknowledged());
}

// Calls `method` on `server` with API key `key` (none when empty); the status code.
template <typename Request, typename Response>
grpc::StatusCode As(const std::string& key,
                    grpc::Status (v1::Tqdb::Stub::*method)(grpc::ClientContext*, const Request&,
                                                           Response*),
                    ServerProcess& server, const Request& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  Response response;
  return (server.stub().*method)(&context, request, &response).error_code();
}

TEST_F(ClusterNodeTest, ApiKeysHoldOnEveryNodeAndTheirCallsToTheOthers) {
  const std::string keys = dir_.path() + "/keys";
  std::ofstream(keys) << absl::BytesToHexString(server::Sha256("reader")) << " read\n"
                      << absl::BytesToHexString(server::Sha256("writer")) << " write\n"
                      << absl::BytesToHexString(server::Sha256("admin")) << " admin\n";
  for (int i = 0; i < kNodes; ++i) {
    nodes_[i]->Stop(SIGKILL);
    StartNode(i, {"--api_keys_file=" + keys});
  }
  // Without a key of its own the controller says it moves nothing by itself.
  EXPECT_NE(node(0).Log().find("the controller moves no shard by itself"), std::string::npos);
  using S = v1::Tqdb::Stub;
  using grpc::StatusCode;
  const v1::CreateCollectionRequest create = GloveCollection("glove", kShards);
  EXPECT_EQ(As("", &S::CreateCollection, node(0), create), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(As("reader", &S::CreateCollection, node(0), create), StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(As("admin", &S::CreateCollection, node(0), create), StatusCode::OK);

  std::vector<float> base, queries;
  SplitGloveFixture(100, &base, &queries);
  const v1::UpsertRequest upsert = RowsUpsert("glove", base, IdRange(0, 500));
  EXPECT_EQ(As("reader", &S::Upsert, node(1), upsert), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("writer", &S::Upsert, node(1), upsert), StatusCode::OK);
  // Searches reach every shard with the caller's key: a reader's work, an unknown key's not.
  EXPECT_EQ(As("reader", &S::Search, node(2), Query("glove", queries.data(), 0)), StatusCode::OK);
  EXPECT_EQ(As("guess", &S::Search, node(2), Query("glove", queries.data(), 0)),
            StatusCode::UNAUTHENTICATED);
  v1::MoveShardRequest move;
  move.set_collection("glove");
  move.set_shard(0);
  move.set_to_node("node2");
  EXPECT_EQ(As("writer", &S::MoveShard, node(1), move), StatusCode::PERMISSION_DENIED);
  // Right after the restart the map can still change under a move (the controller settling in):
  // ABORTED says so, and the caller tries again (docs/DESIGN.md, "What a client does on each
  // error").
  StatusCode moved = StatusCode::ABORTED;
  for (int attempt = 0; attempt < 10 && moved == StatusCode::ABORTED; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    moved = As("admin", &S::MoveShard, node(1), move);
  }
  EXPECT_EQ(moved, StatusCode::OK);
  EXPECT_EQ(As("", &S::GetClusterStatus, node(0), v1::GetClusterStatusRequest()),
            StatusCode::UNAUTHENTICATED);
  v1::CountRequest count;
  count.set_collection("glove");
  v1::CountResponse counted;
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer reader");
  ASSERT_TRUE(node(0).stub().Count(&context, count, &counted).ok());
  EXPECT_EQ(counted.count(), 500u);
}

TEST_F(ClusterNodeTest, WithApiKeysTheControllerMovesWithItsOwnKey) {
  const std::string keys = dir_.path() + "/keys";
  std::ofstream(keys) << absl::BytesToHexString(server::Sha256("admin")) << " admin\n"
                      << absl::BytesToHexString(server::Sha256("controller")) << " admin\n";
  std::ofstream(dir_.path() + "/controller.key") << "controller\n";
  const std::vector<std::string> flags = {
      "--api_keys_file=" + keys, "--controller_key_file=" + dir_.path() + "/controller.key",
      "--rebalance_delay_seconds=1"};
  for (int i = 0; i < kNodes; ++i) {
    nodes_[i]->Stop(SIGKILL);
    StartNode(i, flags);
  }
  ASSERT_EQ(
      As("admin", &v1::Tqdb::Stub::CreateCollection, node(0), GloveCollection("glove", kShards)),
      grpc::StatusCode::OK);
  StartNode(kNodes, flags);
  int owned_by_new_node = 0;
  const auto start = std::chrono::steady_clock::now();
  while (owned_by_new_node == 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer admin");
    v1::GetClusterStatusResponse status;
    if (!node(0).stub().GetClusterStatus(&context, {}, &status).ok()) continue;
    for (const auto& shard : status.collections(0).shards())
      owned_by_new_node += shard.node() == "node3";
  }
  EXPECT_EQ(owned_by_new_node, 1);
}

TEST_F(ClusterNodeTest, NodesServingTlsCallEachOtherAndEtcdOverTls) {
  MakeCa(dir_.path(), "ca");
  MakeCertificate(dir_.path(), "ca", "node", /*server=*/true);
  MakeCertificate(dir_.path(), "ca", "etcd", /*server=*/true);
  MakeCertificate(dir_.path(), "ca", "etcd-client", /*server=*/false);
  const std::string d = dir_.path() + "/";
  for (int i = 0; i < kNodes; ++i) nodes_[i]->Stop(SIGKILL);
  // etcd too speaks only TLS, to clients with a certificate of the CA.
  proxy_.reset();
  etcd_ = std::make_unique<EtcdProcess>(
      d + "etcd-tls", "",
      std::vector<std::string>{"--cert-file=" + d + "etcd.pem", "--key-file=" + d + "etcd.key",
                               "--trusted-ca-file=" + d + "ca.pem", "--client-cert-auth"});
  proxy_ = std::make_unique<TcpProxy>(etcd_->client_port());
  for (int i = 0; i < kNodes; ++i) {
    StartNode(
        i, {"--tls_cert=" + d + "node.pem", "--tls_key=" + d + "node.key",
            "--cluster_tls_ca=" + d + "ca.pem", "--etcd_tls_ca=" + d + "ca.pem",
            "--etcd_tls_cert=" + d + "etcd-client.pem", "--etcd_tls_key=" + d + "etcd-client.key"});
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = Read(d + "ca.pem");
  auto stub = v1::Tqdb::NewStub(grpc::CreateChannel(node(0).address(), grpc::SslCredentials(ssl)));
  ASSERT_NO_FATAL_FAILURE(CreateWriteAndSearchOverTls(*stub, 0));
  // A plaintext client is not served.
  v1::SearchResponse refused;
  EXPECT_FALSE(
      Call(&v1::Tqdb::Stub::Search, node(1), Query("glove", queries_.data(), 0), &refused).ok());
}

// Nodes that require client certificates (--tls_client_ca) call each other with their own: a
// routed write and search reach every shard, and a client without a certificate is refused.
// (With node certificates good for servers only, the creation fails: checked.)
TEST_F(ClusterNodeTest, NodesRequiringClientCertificatesPresentTheirOwnToEachOther) {
  MakeCa(dir_.path(), "ca");
  MakeCertificate(dir_.path(), "ca", "node", /*server=*/true, /*client_too=*/true);
  MakeCertificate(dir_.path(), "ca", "client", /*server=*/false);
  const std::string d = dir_.path() + "/";
  for (int i = 0; i < kNodes; ++i) nodes_[i]->Stop(SIGKILL);
  for (int i = 0; i < kNodes; ++i) {
    StartNode(i, {"--tls_cert=" + d + "node.pem", "--tls_key=" + d + "node.key",
                  "--tls_client_ca=" + d + "ca.pem", "--cluster_tls_ca=" + d + "ca.pem"});
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = Read(d + "ca.pem");
  grpc::SslCredentialsOptions anonymous = ssl;
  ssl.pem_private_key = Read(d + "client.key");
  ssl.pem_cert_chain = Read(d + "client.pem");
  auto stub = v1::Tqdb::NewStub(grpc::CreateChannel(node(2).address(), grpc::SslCredentials(ssl)));
  ASSERT_NO_FATAL_FAILURE(CreateWriteAndSearchOverTls(*stub, 2));
  v1::CountResponse counted;
  v1::CountRequest count;
  count.set_collection("glove");
  grpc::ClientContext counting;
  counting.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ASSERT_TRUE(stub->Count(&counting, count, &counted).ok());
  EXPECT_EQ(counted.count(), 600u);
  // TLS without a client certificate is refused by every node.
  for (int i = 0; i < kNodes; ++i) {
    auto bare =
        v1::Tqdb::NewStub(grpc::CreateChannel(node(i).address(), grpc::SslCredentials(anonymous)));
    v1::CountResponse none;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    EXPECT_FALSE(bare->Count(&context, count, &none).ok()) << "node " << i;
  }
}

}  // namespace
}  // namespace tqdb::testing
