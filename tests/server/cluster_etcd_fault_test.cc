// A cluster of three tqdb-server nodes on a three-member etcd, all real processes on 127.0.0.1,
// through etcd's faults: the leader's loss (writes resume once a new leader is elected) and the
// loss of the quorum (searches go on from the nodes' cached maps; changes to the maps wait;
// writes resume once the quorum is back, and nothing acknowledged is lost).
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_client.h"
#include "cluster_test_util.h"
#include "etcd_process.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb::testing {
namespace {

constexpr int kNodes = 3;

class ClusterEtcdFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    etcd_ = std::make_unique<EtcdCluster>(dir_.path());
    for (int i = 0; i < kNodes; ++i) {
      nodes_.push_back(std::make_unique<ServerProcess>(
          dir_.path() + "/node" + std::to_string(i),
          std::vector<std::string>{"--etcd=" + etcd_->endpoints(),
                                   "--node_id=node" + std::to_string(i), "--cache_mb=16",
                                   "--write_buffer_mb=16"}));
    }
  }

  // The member etcd's members agree leads, or -1.
  int Leader() {
    for (int i = 0; i < etcd_->size(); ++i) {
      auto client = cluster::EtcdClient::Connect(etcd_->member(i).endpoint());
      if (!client.ok()) continue;
      auto status = (*client)->MemberStatus();
      if (status.ok() && status->member_id == status->leader_id) return i;
    }
    return -1;
  }

  // Upserts the next `n` rows through node `node` until one call is acknowledged or `patience`
  // passes; the acknowledged rows are added to `acknowledged`. Returns the seconds it took.
  double UpsertUntilAcknowledged(int node, uint64_t n, std::chrono::seconds patience) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < patience) {
      std::vector<uint64_t> ids;
      for (uint64_t i = 0; i < n; ++i) ids.push_back(next_row_ + i);
      if (UpsertIds(*nodes_[node], "glove", base_, ids).ok()) {
        next_row_ += n;
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no write was acknowledged in " << patience.count() << " s";
    return -1;
  }

  ScopedTempDir dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::vector<float> base_, queries_;
  uint64_t next_row_ = 0;  // rows [0, next_row_) are acknowledged
};

TEST_F(ClusterEtcdFaultTest, WritesResumeAfterTheLeaderDiesAndSearchesOutliveTheQuorum) {
  SplitGloveFixture(100, &base_, &queries_);
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::CreateCollection, *nodes_[0], GloveCollection("glove", 6), &created)
          .ok());
  UpsertUntilAcknowledged(0, 2000, std::chrono::seconds(10));

  const int leader = Leader();
  ASSERT_GE(leader, 0);
  etcd_->member(leader).Kill();
  const double resumed = UpsertUntilAcknowledged(1, 100, std::chrono::seconds(20));
  std::printf("etcd leader killed: writes resumed after %.1f s\n", resumed);
  EXPECT_LT(resumed, 10);
  for (int batch = 0; batch < 10; ++batch) {
    // Each goes through at its first attempt or soon after (a loaded machine may be slow).
    EXPECT_LT(UpsertUntilAcknowledged(batch % kNodes, 50, std::chrono::seconds(10)), 5.0);
  }

  // Two of three members down: no quorum. Searches and counts read the nodes' cached maps.
  const int second = (leader + 1) % etcd_->size();
  etcd_->member(second).Kill();
  for (int q = 0; q < 30; ++q) {
    v1::SearchResponse response;
    const grpc::Status status = Call(&v1::Tqdb::Stub::Search, *nodes_[q % kNodes],
                                     Query("glove", &queries_[q * 100], 0), &response);
    ASSERT_TRUE(status.ok()) << "query " << q << ": " << status.error_message();
    EXPECT_EQ(response.hits_size(), 10);
    EXPECT_EQ(response.coverage().answered(), 6u);
  }
  v1::CountRequest count;
  count.set_collection("glove");
  v1::CountResponse counted;
  ASSERT_TRUE(Call(&v1::Tqdb::Stub::Count, *nodes_[2], count, &counted).ok());
  EXPECT_EQ(counted.count(), next_row_);
  // A new map needs etcd's quorum: it waits, and fails rather than half-exists.
  const grpc::Status create =
      Call(&v1::Tqdb::Stub::CreateCollection, *nodes_[1], GloveCollection("later", 3), &created);
  EXPECT_FALSE(create.ok());

  etcd_->member(leader).Start();
  etcd_->member(second).Start();
  const double back = UpsertUntilAcknowledged(2, 100, std::chrono::seconds(30));
  std::printf("quorum back: writes resumed after %.1f s\n", back);
  ExpectRowsStored(*nodes_[0], base_, next_row_);  // every acknowledged row, with its vector
}

}  // namespace
}  // namespace tqdb::testing
