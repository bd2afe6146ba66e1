// A shard's files received from another node (ShardTransfer.FetchShard): written under a
// directory and synced, files and directories, before the shard is opened from them (a move's
// new owner, a replica's seed).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "tqdb/v1/tqdb.grpc.pb.h"

namespace tqdb::cluster {

// Asks `source` for a shard's files (FetchShard over `context`) and receives them under
// `directory`; the bytes written, or the sender's error (else the receiving side's).
absl::StatusOr<uint64_t> FetchShardFiles(v1::ShardTransfer::Stub& source,
                                         grpc::ClientContext* context,
                                         const v1::FetchShardRequest& request,
                                         const std::string& directory);

}  // namespace tqdb::cluster
