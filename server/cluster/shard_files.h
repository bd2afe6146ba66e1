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

// Writes the stream's files under `directory`, each synced, and the directories too; returns
// the bytes written.
absl::StatusOr<uint64_t> ReceiveFiles(grpc::ClientReader<v1::ShardFileChunk>* reader,
                                      const std::string& directory);

}  // namespace tqdb::cluster
