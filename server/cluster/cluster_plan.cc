#include "cluster_plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace tqdb::cluster {
namespace {

// The node (among `shards`' keys) holding the fewest shards, or the most.
std::string Fewest(const std::map<std::string, std::set<uint32_t>>& shards) {
  auto best = shards.begin();
  for (auto it = shards.begin(); it != shards.end(); ++it) {
    if (it->second.size() < best->second.size()) best = it;
  }
  return best->first;
}
std::string Most(const std::map<std::string, std::set<uint32_t>>& shards) {
  auto best = shards.begin();
  for (auto it = shards.begin(); it != shards.end(); ++it) {
    if (it->second.size() > best->second.size()) best = it;
  }
  return best->first;
}

}  // namespace

std::vector<ShardMove> PlanMoves(const v1::GetClusterStatusResponse& status,
                                 const std::string& drain) {
  std::vector<ShardMove> moves;
  for (const auto& collection : status.collections()) {
    // A replicated collection's shards do not move (MoveShard refuses them): their owners
    // change by failover, and a node drained of them leaves them to their replicas.
    if (std::any_of(collection.shards().begin(), collection.shards().end(),
                    [](const auto& shard) { return shard.replicas_size() > 0; })) {
      continue;
    }
    std::map<std::string, std::set<uint32_t>> held;  // registered nodes but `drain`
    for (const auto& node : status.nodes()) {
      if (node.id() != drain) held[node.id()];
    }
    if (held.empty()) continue;
    const auto move = [&](uint32_t shard, const std::string& from, const std::string& to) {
      moves.push_back({collection.name(), shard, from, to});
      held[to].insert(shard);
      if (held.contains(from)) held[from].erase(shard);
    };
    for (const auto& shard : collection.shards()) {
      if (held.contains(shard.node())) held[shard.node()].insert(shard.shard());
    }
    for (const auto& shard : collection.shards()) {
      if (!drain.empty() && shard.node() == drain) move(shard.shard(), drain, Fewest(held));
    }
    for (;;) {
      const std::string most = Most(held), fewest = Fewest(held);
      if (held[most].size() <= held[fewest].size() + 1) break;
      move(*held[most].rbegin(), most, fewest);
    }
  }
  return moves;
}

}  // namespace tqdb::cluster
