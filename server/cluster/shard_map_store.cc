#include "cluster/shard_map_store.h"

#include "absl/strings/str_cat.h"
#include "cluster/cluster_keys.h"

namespace tqdb::cluster {

absl::StatusOr<std::optional<StoredShardMap>> ReadShardMap(EtcdClient& etcd,
                                                           const std::string& collection) {
  absl::StatusOr<std::optional<EtcdKeyValue>> key = etcd.Get(ShardMapKey(collection));
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::nullopt;
  absl::StatusOr<ShardMap> map = DecodeShardMap((*key)->value);
  if (!map.ok()) return map.status();
  if (map->collection != collection) {
    return absl::DataLossError(absl::StrCat("the shard map at ", ShardMapKey(collection),
                                            " is collection '", map->collection, "''s"));
  }
  return StoredShardMap{*std::move(map), (*key)->mod_revision};
}

absl::StatusOr<bool> WriteShardMap(EtcdClient& etcd, const ShardMap& map, int64_t expected_revision,
                                   int64_t controller_fence) {
  return etcd.FencedPut(ShardMapKey(map.collection), EncodeShardMap(map), expected_revision,
                        kControllerKey, controller_fence);
}

absl::StatusOr<bool> RemoveCollectionRecords(EtcdClient& etcd, const std::string& collection,
                                             int64_t expected_revision, int64_t controller_fence) {
  return etcd.FencedDelete({ShardMapKey(collection), CollectionKey(collection)},
                           ShardMapKey(collection), expected_revision, kControllerKey,
                           controller_fence);
}

}  // namespace tqdb::cluster
