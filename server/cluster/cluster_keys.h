// The cluster's keys in etcd (docs/DESIGN.md, "Clusters"). Small values only.
//
//   /tqdb/nodes/<node id>          -> the node's gRPC address, under the node's lease
//   /tqdb/controller               -> the node id of the controller, under its lease; its
//                                     mod_revision fences every shard-map write
//   /tqdb/maps/<collection>        -> the collection's shard map (shard_map.h, JSON)
//   /tqdb/collections/<collection> -> its CreateCollectionRequest (binary protobuf), with the
//                                     shard count filled in
#pragma once

#include <string>
#include <string_view>

namespace tqdb::cluster {

inline constexpr std::string_view kNodesPrefix = "/tqdb/nodes/";
inline constexpr std::string_view kControllerKey = "/tqdb/controller";

inline constexpr std::string_view kShardMapsPrefix = "/tqdb/maps/";
inline constexpr std::string_view kCollectionsPrefix = "/tqdb/collections/";

inline std::string NodeKey(std::string_view node_id) {
  return std::string(kNodesPrefix) + std::string(node_id);
}
inline std::string CollectionKey(std::string_view collection) {
  return std::string(kCollectionsPrefix) + std::string(collection);
}
inline std::string ShardMapKey(std::string_view collection) {
  return std::string(kShardMapsPrefix) + std::string(collection);
}

}  // namespace tqdb::cluster
