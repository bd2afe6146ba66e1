#include "cluster_status.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_format.h"

namespace tqdb::cli {

void PrintClusterStatus(const v1::GetClusterStatusResponse& status, std::FILE* out) {
  std::set<std::string> registered;
  std::fprintf(out, "nodes registered: %d (asked node %s); controller: %s\n", status.nodes_size(),
               status.node().c_str(),
               status.controller().empty() ? "none" : status.controller().c_str());
  for (const auto& node : status.nodes()) {
    registered.insert(node.id());
    std::fprintf(out, "  %-20s %s\n", node.id().c_str(), node.address().c_str());
  }
  for (const auto& collection : status.collections()) {
    uint64_t vectors = 0;
    int answered = 0;
    for (const auto& shard : collection.shards()) {
      vectors += shard.vectors();
      answered += shard.answered() ? 1 : 0;
    }
    std::fprintf(out, "\ncollection %s: %d shards, %d answered, %llu vectors in those\n",
                 collection.name().c_str(), collection.shards_size(), answered,
                 static_cast<unsigned long long>(vectors));
    std::fprintf(out, "  %-6s %-20s %-6s %-10s %s\n", "shard", "owner", "epoch", "vectors",
                 "state");
    for (const auto& shard : collection.shards()) {
      const std::string vectors_text =
          shard.answered() ? std::to_string(shard.vectors()) : std::string("-");
      const std::string state = shard.answered() ? "ok"
                                : !registered.count(shard.node())
                                    ? "owner not registered: " + shard.error()
                                    : "unreachable: " + shard.error();
      std::fprintf(out, "  %-6u %-20s %-6llu %-10s %s\n", shard.shard(), shard.node().c_str(),
                   static_cast<unsigned long long>(shard.epoch()), vectors_text.c_str(),
                   state.c_str());
      for (const v1::ReplicaProgress& replica : shard.replicas()) {
        const bool in_sync = std::find(shard.in_sync().begin(), shard.in_sync().end(),
                                       replica.node()) != shard.in_sync().end();
        const std::string progress =
            !shard.answered()     ? "progress unknown (owner did not answer)"
            : !replica.reported() ? "has not reported yet"
                                  : absl::StrFormat("%u log writes (%.1f s) behind",
                                                    replica.behind(), replica.seconds_behind());
        std::fprintf(out, "         replica %-12s %s, %s\n", replica.node().c_str(),
                     in_sync ? "in sync" : "not in sync", progress.c_str());
      }
    }
  }
}

}  // namespace tqdb::cli
