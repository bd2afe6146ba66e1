#include "shard_header.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tqdb::cluster {

std::string FormatShardHeader(ShardTarget target) {
  return absl::StrCat(target.shard, "/", target.epoch);
}

absl::StatusOr<ShardTarget> ParseShardHeader(absl::string_view header) {
  const size_t slash = header.find('/');
  ShardTarget target;
  if (slash == absl::string_view::npos ||
      !absl::SimpleAtoi(header.substr(0, slash), &target.shard) ||
      !absl::SimpleAtoi(header.substr(slash + 1), &target.epoch)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kShardHeader, " must be <shard>/<epoch>, not \"", header, "\""));
  }
  return target;
}

}  // namespace tqdb::cluster
