#include "cluster/in_sync_set.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_keys.h"
#include "cluster/shard_map_store.h"

namespace tqdb::cluster {
namespace {

// Reads the map, checks the owner, and writes `change(map)` over it unless it equals the map
// read; again when another write came between (up to a few times).
absl::Status ChangeMapAsOwner(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                              std::string_view owner, uint64_t epoch, int64_t owner_key_revision,
                              const std::function<ShardMap(const ShardMap&)>& change) {
  if (owner_key_revision == 0) {
    return absl::UnavailableError(absl::StrCat(
        "node ", std::string(owner), " holds no lease: it changes no shard's in-sync replicas"));
  }
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    absl::StatusOr<std::optional<StoredShardMap>> stored = ReadShardMap(etcd, collection);
    if (!stored.ok()) {
      return absl::UnavailableError(absl::StrCat("the shard map of ", collection,
                                                 " was not read: ", stored.status().message()));
    }
    if (!stored->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat("collection ", collection, " is gone"));
    }
    const ShardMap& map = (*stored)->map;
    if (absl::Status owns = CheckOwner(map, shard, owner, epoch); !owns.ok()) return owns;
    const ShardMap next = change(map);
    const std::string encoded = EncodeShardMap(next);
    if (encoded == EncodeShardMap(map)) return absl::OkStatus();
    absl::StatusOr<bool> written = etcd.FencedPut(
        ShardMapKey(collection), encoded, (*stored)->revision, NodeKey(owner), owner_key_revision);
    if (!written.ok()) {
      return absl::UnavailableError(absl::StrCat("the shard map of ", collection,
                                                 " was not written: ", written.status().message()));
    }
    if (*written) return absl::OkStatus();
    // Not written: the map changed (read it again), or the owner's key did (its lease ended).
    absl::StatusOr<std::optional<EtcdKeyValue>> key = etcd.Get(NodeKey(owner));
    if (key.ok() && (!key->has_value() || (*key)->mod_revision != owner_key_revision)) {
      return absl::UnavailableError(
          absl::StrCat("node ", std::string(owner),
                       " no longer holds the lease it registered under: it changes no shard's "
                       "in-sync replicas"));
    }
  }
  return absl::UnavailableError(absl::StrCat("the shard map of ", collection, " kept changing"));
}

}  // namespace

absl::Status RemoveFromInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                              std::string_view owner, uint64_t epoch, int64_t owner_key_revision,
                              absl::Span<const std::string> late) {
  return ChangeMapAsOwner(etcd, collection, shard, owner, epoch, owner_key_revision,
                          [&](const ShardMap& map) { return WithoutInSync(map, shard, late); });
}

absl::Status AddToInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                         std::string_view owner, uint64_t epoch, int64_t owner_key_revision,
                         const std::string& replica) {
  return ChangeMapAsOwner(etcd, collection, shard, owner, epoch, owner_key_revision,
                          [&](const ShardMap& map) { return WithInSync(map, shard, replica); });
}

}  // namespace tqdb::cluster
