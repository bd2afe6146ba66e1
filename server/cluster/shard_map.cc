#include "cluster/shard_map.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "xxhash.h"

namespace tqdb::cluster {

uint32_t ShardOf(uint64_t id, uint32_t shards) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(id >> (8 * i));
  return static_cast<uint32_t>(XXH3_64bits(bytes, sizeof(bytes)) % shards);
}

std::vector<std::vector<size_t>> SplitByShard(absl::Span<const uint64_t> ids, uint32_t shards) {
  std::vector<std::vector<size_t>> out(shards);
  for (size_t i = 0; i < ids.size(); ++i) out[ShardOf(ids[i], shards)].push_back(i);
  return out;
}

ShardMap AssignShards(const ShardMap& current, const std::vector<std::string>& live_nodes) {
  ShardMap next = current;
  if (live_nodes.empty()) return next;
  std::map<std::string, size_t> owned;  // live node -> shards it keeps
  for (const std::string& node : live_nodes) owned[node] = 0;
  for (const ShardOwner& shard : next.shards) {
    if (auto it = owned.find(shard.node); it != owned.end()) ++it->second;
  }
  for (ShardOwner& shard : next.shards) {
    if (owned.count(shard.node) > 0) continue;
    // The least loaded live node; ties to the first by name, so every controller agrees.
    auto least = std::min_element(owned.begin(), owned.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    shard.node = least->first;
    ++shard.epoch;
    ++least->second;
  }
  return next;
}

ShardMap PlaceReplicas(const ShardMap& current, const std::vector<std::string>& live_nodes,
                       uint32_t factor) {
  ShardMap next = current;
  const std::set<std::string> live(live_nodes.begin(), live_nodes.end());
  std::map<std::string, size_t> copies;  // live node -> shards it owns or replicates
  for (const std::string& node : live) copies[node] = 0;
  const auto count = [&copies](const std::string& node) {
    if (auto it = copies.find(node); it != copies.end()) ++it->second;
  };
  for (ShardOwner& shard : next.shards) {
    const auto gone = [&live](const std::string& node) { return live.count(node) == 0; };
    shard.replicas.erase(std::remove_if(shard.replicas.begin(), shard.replicas.end(), gone),
                         shard.replicas.end());
    shard.in_sync.erase(std::remove_if(shard.in_sync.begin(), shard.in_sync.end(), gone),
                        shard.in_sync.end());
    count(shard.node);
    for (const std::string& node : shard.replicas) count(node);
  }
  const size_t wanted = factor > 1 ? factor - 1 : 0;
  for (ShardOwner& shard : next.shards) {
    while (shard.replicas.size() < wanted) {
      auto least = copies.end();
      for (auto it = copies.begin(); it != copies.end(); ++it) {
        const bool holds = it->first == shard.node ||
                           std::find(shard.replicas.begin(), shard.replicas.end(), it->first) !=
                               shard.replicas.end();
        if (!holds && (least == copies.end() || it->second < least->second)) least = it;
      }
      if (least == copies.end()) break;  // every live node holds it already
      shard.replicas.push_back(least->first);
      ++least->second;
    }
  }
  return next;
}

ShardMap PromoteReplicas(const ShardMap& current, const std::vector<std::string>& live_nodes) {
  const auto live = [&live_nodes](const std::string& node) {
    return std::find(live_nodes.begin(), live_nodes.end(), node) != live_nodes.end();
  };
  ShardMap next = current;
  for (ShardOwner& shard : next.shards) {
    if (shard.node.empty() || live(shard.node)) continue;
    const auto promoted = std::find_if(shard.in_sync.begin(), shard.in_sync.end(), live);
    if (promoted == shard.in_sync.end()) continue;
    const std::string node = *promoted;
    shard.in_sync.erase(promoted);
    std::erase(shard.replicas, node);
    shard.replicas.push_back(shard.node);
    shard.node = node;
    ++shard.epoch;
  }
  return next;
}

ShardMap WithoutInSync(const ShardMap& current, uint32_t shard,
                       absl::Span<const std::string> nodes) {
  ShardMap next = current;
  if (shard >= next.shards.size()) return next;
  std::erase_if(next.shards[shard].in_sync, [nodes](const std::string& node) {
    return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
  });
  return next;
}

ShardMap WithInSync(const ShardMap& current, uint32_t shard, const std::string& node) {
  ShardMap next = current;
  if (shard >= next.shards.size()) return next;
  ShardOwner& owner = next.shards[shard];
  const bool replica =
      std::find(owner.replicas.begin(), owner.replicas.end(), node) != owner.replicas.end();
  const bool in_sync =
      std::find(owner.in_sync.begin(), owner.in_sync.end(), node) != owner.in_sync.end();
  if (replica && !in_sync) owner.in_sync.push_back(node);
  return next;
}

absl::Status CheckOwner(const ShardMap& map, uint32_t shard, std::string_view node,
                        uint64_t epoch) {
  if (shard >= map.shards.size()) {
    return absl::InvalidArgumentError(absl::StrCat("collection '", map.collection, "' has ",
                                                   map.shards.size(), " shards, not ", shard + 1));
  }
  const ShardOwner& owner = map.shards[shard];
  if (owner.node != node || owner.epoch != epoch) {
    return absl::FailedPreconditionError(
        absl::StrCat("shard ", shard, " of collection '", map.collection, "' is owned by '",
                     owner.node, "' at epoch ", owner.epoch, ", not by '", std::string(node),
                     "' at epoch ", epoch, ": read the shard map again"));
  }
  return absl::OkStatus();
}

std::string EncodeShardMap(const ShardMap& map) {
  nlohmann::json shards = nlohmann::json::array();
  for (const ShardOwner& owner : map.shards) {
    nlohmann::json shard = {{"node", owner.node}, {"epoch", owner.epoch}};
    if (!owner.replicas.empty()) shard["replicas"] = owner.replicas;
    if (!owner.in_sync.empty()) shard["in_sync"] = owner.in_sync;
    shards.push_back(std::move(shard));
  }
  return nlohmann::json{{"collection", map.collection}, {"shards", shards}}.dump();
}

absl::StatusOr<ShardMap> DecodeShardMap(std::string_view value) {
  const nlohmann::json json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  auto damaged = [&](const char* why) {
    return absl::DataLossError(
        absl::StrCat("shard map: ", why, " in '", std::string(value.substr(0, 200)), "'"));
  };
  if (!json.is_object() || !json.contains("collection") || !json["collection"].is_string() ||
      !json.contains("shards") || !json["shards"].is_array() || json["shards"].empty()) {
    return damaged("not an object with a collection and its shards");
  }
  ShardMap map;
  map.collection = json["collection"].get<std::string>();
  for (const nlohmann::json& shard : json["shards"]) {
    if (!shard.is_object() || !shard.contains("node") || !shard["node"].is_string() ||
        !shard.contains("epoch") || !shard["epoch"].is_number_unsigned()) {
      return damaged("a shard without its node and epoch");
    }
    ShardOwner& owner = map.shards.emplace_back();
    owner.node = shard["node"].get<std::string>();
    owner.epoch = shard["epoch"].get<uint64_t>();
    // Replicas (maps written before them have none).
    const std::pair<const char*, std::vector<std::string>*> lists[] = {
        {"replicas", &owner.replicas}, {"in_sync", &owner.in_sync}};
    for (const auto& [field, nodes] : lists) {
      if (!shard.contains(field)) continue;
      if (!shard[field].is_array()) return damaged("a shard's replicas that are not a list");
      for (const nlohmann::json& node : shard[field]) {
        if (!node.is_string()) return damaged("a replica that is not a node's name");
        nodes->push_back(node.get<std::string>());
      }
    }
    for (const std::string& node : owner.in_sync) {
      if (std::find(owner.replicas.begin(), owner.replicas.end(), node) == owner.replicas.end()) {
        return damaged("an in-sync replica that is not a replica");
      }
    }
  }
  return map;
}

}  // namespace tqdb::cluster
