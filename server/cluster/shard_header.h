// How a node's call to another names the shard it is for: gRPC metadata "x-tqdb-shard" =
// "<shard>/<epoch>", the epoch at which the sender's map says the receiver owns the shard. The
// receiver answers from that shard's own database, after checking the epoch against its map
// (a stale sender gets FailedPrecondition). Calls without it are a client's, to be routed.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tqdb::cluster {

inline constexpr char kShardHeader[] = "x-tqdb-shard";

struct ShardTarget {
  uint32_t shard = 0;
  uint64_t epoch = 0;
};

std::string FormatShardHeader(ShardTarget target);
// InvalidArgument for anything but "<shard>/<epoch>" in decimal.
absl::StatusOr<ShardTarget> ParseShardHeader(absl::string_view header);

}  // namespace tqdb::cluster
