// absl::Status <-> grpc::Status. The canonical codes are the same numbers in both, so the mapping
// is one-to-one and the engine's messages (written for people) pass through unchanged.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tqdb::server {

grpc::Status ToGrpcStatus(const absl::Status& status);
// And back: what a node hears from another (a cluster's shard calls).
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace tqdb::server
