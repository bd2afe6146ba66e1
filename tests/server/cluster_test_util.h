// What the cluster suites share: GloVe collections and the requests they send to nodes.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cluster/etcd_client.h"
#include "cluster/shard_map.h"
#include "cluster/shard_map_store.h"
#include "server_process.h"

namespace tqdb::testing {

inline v1::CreateCollectionRequest GloveCollection(const std::string& name, uint32_t shards) {
  v1::CreateCollectionRequest request;
  request.mutable_config()->set_name(name);
  request.mutable_config()->set_dimension(100);
  request.mutable_config()->set_bits(4);
  request.mutable_config()->set_store_vectors(true);
  request.set_shards(shards);
  return request;
}

// The row of `base` (dimension 100) id `id` holds: its own, or past the last row, id mod rows.
inline const float* RowOf(const std::vector<float>& base, uint64_t id) {
  return base.data() + id % (base.size() / 100) * 100;
}

// The upsert of ids `ids`, each with its row of `base` (RowOf) and a payload naming it.
inline v1::UpsertRequest RowsUpsert(const std::string& name, const std::vector<float>& base,
                                    const std::vector<uint64_t>& ids) {
  v1::UpsertRequest request;
  request.set_collection(name);
  for (uint64_t id : ids) {
    request.add_ids(id);
    request.add_payloads("{\"row\": " + std::to_string(id) + "}");
    request.mutable_vectors()->Add(RowOf(base, id), RowOf(base, id) + 100);
  }
  return request;
}

// Upserts rows `ids` of `base` (RowsUpsert).
inline grpc::Status UpsertIds(ServerProcess& server, const std::string& name,
                              const std::vector<float>& base, const std::vector<uint64_t>& ids) {
  const v1::UpsertRequest request = RowsUpsert(name, base, ids);
  v1::UpsertResponse response;
  grpc::Status status = Call(&v1::Tqdb::Stub::Upsert, server, request, &response);
  if (status.ok()) {
    EXPECT_EQ(response.inserted() + response.replaced(), ids.size());
  }
  return status;
}

// Rows [first, first + n).
inline grpc::Status UpsertRows(ServerProcess& server, const std::string& name,
                               const std::vector<float>& base, uint64_t first, uint64_t n) {
  return UpsertIds(server, name, base, IdRange(first, first + n));
}

// Re-ranking `candidates` (0: the default 100; -1: no re-rank).
inline v1::SearchRequest Query(const std::string& name, const float* query, int candidates) {
  v1::SearchRequest request;
  request.set_collection(name);
  request.mutable_query()->Add(query, query + 100);
  request.mutable_options()->set_k(10);
  request.mutable_options()->set_rerank(candidates >= 0);
  request.mutable_options()->set_rerank_candidates(std::max(candidates, 0));
  return request;
}

inline std::vector<uint64_t> Ids(const v1::SearchResponse& response) {
  std::vector<uint64_t> ids;
  for (const v1::Record& hit : response.hits()) ids.push_back(hit.id());
  return ids;
}

// The fixture's GloVe rows (`base`, `queries`), and "glove" created through `node` with
// `shards` shards and rows [0, rows) loaded.
inline void CreateGloveWithRows(ServerProcess& node, uint32_t shards, uint64_t rows,
                                std::vector<float>* base, std::vector<float>* queries) {
  SplitGloveFixture(100, base, queries);
  v1::CreateCollectionResponse created;
  ASSERT_TRUE(
      Call(&v1::Tqdb::Stub::CreateCollection, node, GloveCollection("glove", shards), &created)
          .ok());
  ASSERT_TRUE(UpsertRows(node, "glove", *base, 0, rows).ok());
}

// Every row in [0, rows) of "glove" is stored with its exact floats, read through `node`
// (within 5 s: a node that has just restarted or rejoined may not answer at once).
inline void ExpectRowsStored(ServerProcess& node, const std::vector<float>& base, uint64_t rows) {
  v1::GetRequest get;
  get.set_collection("glove");
  for (uint64_t id = 0; id < rows; ++id) get.add_ids(id);
  get.set_with_vectors(true);
  v1::GetResponse got;
  grpc::Status read;
  for (int attempt = 0; attempt < 50; ++attempt) {
    got.Clear();
    read = Call(&v1::Tqdb::Stub::Get, node, get, &got);
    if (read.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(read.ok()) << read.error_message();
  ASSERT_EQ(static_cast<uint64_t>(got.records_size()), rows);
  uint64_t found = 0;
  for (const v1::Record& record : got.records()) {
    ASSERT_TRUE(record.found()) << record.id();
    const float* row = &base[record.id() * 100];
    ASSERT_TRUE(std::equal(row, row + 100, record.vector().begin())) << record.id();
    ++found;
  }
  // The fault tests' ledger, for the record: acknowledged rows, and those read back whole.
  std::printf("ledger: %llu rows acknowledged, %llu read back with their vectors\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(found));
}

// The ids in [first, first + n) whose shards node `owner` owns in the map etcd holds (at
// `etcd_endpoint`), and the others.
inline void IdsByOwner(const std::string& etcd_endpoint, const std::string& collection,
                       const std::string& owner, uint64_t first, uint64_t n,
                       std::vector<uint64_t>* owned, std::vector<uint64_t>* others) {
  auto etcd = cluster::EtcdClient::Connect(etcd_endpoint);
  ASSERT_TRUE(etcd.ok());
  auto stored = cluster::ReadShardMap(**etcd, collection);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const cluster::ShardMap& map = (*stored)->map;
  for (uint64_t id = first; id < first + n; ++id) {
    const uint32_t shard = cluster::ShardOf(id, static_cast<uint32_t>(map.shards.size()));
    (map.shards[shard].node == owner ? owned : others)->push_back(id);
  }
}

// Upserts ids from `first` on (their rows of `base`, RowOf), 50 at a time, through `node`,
// until stopped or at `end` (default: the last row of `base`), retrying what a paused, moving
// or failing-over shard refuses (UNAVAILABLE; any other error fails). `durability`: the
// writes' (unspecified: the collection's).
class RowWriter {
 public:
  RowWriter(ServerProcess& node, const std::vector<float>& base, uint64_t first, uint64_t end = 0,
            v1::Durability durability = v1::DURABILITY_UNSPECIFIED)
      : end_(end != 0 ? end : base.size() / 100),
        durability_(durability),
        acknowledged_(first),
        thread_([this, &node, &base] { Run(node, base); }) {}
  ~RowWriter() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t acknowledged() const { return acknowledged_; }
  int refused() const { return refused_; }
  // The longest time between two acknowledged writes: how long a fault stalled the writes.
  double longest_stall_seconds() const { return longest_stall_; }

 private:
  void Run(ServerProcess& node, const std::vector<float>& base) {
    auto last_ack = std::chrono::steady_clock::now();
    while (!stop_ && acknowledged_ + 50 <= end_) {
      v1::UpsertRequest request =
          RowsUpsert("glove", base, IdRange(acknowledged_, acknowledged_ + 50));
      request.set_durability(durability_);
      v1::UpsertResponse response;
      const grpc::Status status = Call(&v1::Tqdb::Stub::Upsert, node, request, &response);
      if (status.ok()) {
        acknowledged_ += 50;
        const auto now = std::chrono::steady_clock::now();
        longest_stall_ =
            std::max<double>(longest_stall_, std::chrono::duration<double>(now - last_ack).count());
        last_ack = now;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
        ++refused_;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }

  const uint64_t end_;
  const v1::Durability durability_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> acknowledged_;
  std::atomic<int> refused_{0};
  std::atomic<double> longest_stall_{0};
  std::thread thread_;  // last: it starts once the rest is set
};

}  // namespace tqdb::testing
