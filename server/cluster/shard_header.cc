#include "shard_header.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tqdb::cluster {

std::string FormatShardHeader(const std::vector<ShardTarget>& targets) {
  std::string header;
  for (const ShardTarget& target : targets) {
    absl::StrAppend(&header, header.empty() ? "" : ",", target.shard, "/", target.epoch);
  }
  return header;
}

absl::StatusOr<std::vector<ShardTarget>> ParseShardHeader(absl::string_view header) {
  std::vector<ShardTarget> targets;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    const size_t slash = part.find('/');
    ShardTarget& target = targets.emplace_back();
    if (slash == absl::string_view::npos ||
        !absl::SimpleAtoi(part.substr(0, slash), &target.shard) ||
        !absl::SimpleAtoi(part.substr(slash + 1), &target.epoch)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kShardHeader, " must be <shard>/<epoch>[,<shard>/<epoch>...], not \"", header, "\""));
    }
  }
  return targets;
}

absl::StatusOr<ShardTarget> ParseOneShard(absl::string_view header) {
  absl::StatusOr<std::vector<ShardTarget>> targets = ParseShardHeader(header);
  if (!targets.ok()) return targets.status();
  if (targets->size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(kShardHeader, ": only searches may name several shards"));
  }
  return targets->front();
}

}  // namespace tqdb::cluster
