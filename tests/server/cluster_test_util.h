// What the cluster suites share: GloVe collections and the requests they send to nodes.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

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

// Upserts rows `ids` of `base` (dimension 100) under their row numbers.
inline grpc::Status UpsertIds(ServerProcess& server, const std::string& name,
                              const std::vector<float>& base, const std::vector<uint64_t>& ids) {
  v1::UpsertRequest request;
  request.set_collection(name);
  for (uint64_t id : ids) {
    request.add_ids(id);
    request.add_payloads("{\"row\": " + std::to_string(id) + "}");
    request.mutable_vectors()->Add(base.begin() + id * 100, base.begin() + (id + 1) * 100);
  }
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
  std::vector<uint64_t> ids(n);
  for (uint64_t i = 0; i < n; ++i) ids[i] = first + i;
  return UpsertIds(server, name, base, ids);
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

}  // namespace tqdb::testing
