// How a node's call to another names the shards it is for: gRPC metadata "x-tqdb-shard" =
// "<shard>/<epoch>[,<shard>/<epoch>...]", each with the epoch at which the sender's map says the
// receiver owns it (several only for searches, whose results the receiver merges). The receiver
// answers from the shards' own databases, after checking each epoch against its map (a stale
// sender gets FailedPrecondition). Calls without it are a client's, to be routed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tqdb::cluster {

inline constexpr char kShardHeader[] = "x-tqdb-shard";

struct ShardTarget {
  uint32_t shard = 0;
  uint64_t epoch = 0;
};

std::string FormatShardHeader(const std::vector<ShardTarget>& targets);
// InvalidArgument for anything but one or more "<shard>/<epoch>" in decimal, comma-separated.
absl::StatusOr<std::vector<ShardTarget>> ParseShardHeader(absl::string_view header);
// The one shard of a call that is for one (all but searches).
absl::StatusOr<ShardTarget> ParseOneShard(absl::string_view header);

}  // namespace tqdb::cluster
