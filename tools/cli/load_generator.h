// `tqdb bench`: drives search load against a running server from several client threads and
// reports throughput and latency percentiles.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "grpcpp/security/credentials.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cli {

struct LoadSpec {
  std::string collection;
  std::vector<float> queries;  // row-major
  int dim = 0;
  int concurrency = 1;  // client threads, each with its own stub
  int batch = 1;        // queries per request (1: Search, more: SearchBatch)
  double duration_s = 10;
  v1::SearchOptions options;
  std::string api_key;  // sent as "authorization: Bearer <key>" when not empty
};

struct LoadReport {
  size_t requests = 0;
  size_t queries = 0;
  size_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;  // per request
};

LoadReport RunLoad(const std::string& server,
                   const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                   const LoadSpec& spec);

}  // namespace tqdb::cli
