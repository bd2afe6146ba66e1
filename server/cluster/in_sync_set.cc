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
                              std::string_view owner, uint64_t epoch,
                              const std::function<ShardMap(const ShardMap&)>& change) {
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
    absl::StatusOr<bool> written =
        etcd.CompareAndPut(ShardMapKey(collection), encoded, (*stored)->revision);
    if (!written.ok()) {
      return absl::UnavailableError(absl::StrCat("the shard map of ", collection,
                                                 " was not written: ", written.status().message()));
    }
    if (*written) return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("the shard map of ", collection, " kept changing"));
}

}  // namespace

absl::Status RemoveFromInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                              std::string_view owner, uint64_t epoch,
                              absl::Span<const std::string> late) {
  return ChangeMapAsOwner(etcd, collection, shard, owner, epoch,
                          [&](const ShardMap& map) { return WithoutInSync(map, shard, late); });
}

absl::Status AddToInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                         std::string_view owner, uint64_t epoch, const std::string& replica) {
  return ChangeMapAsOwner(etcd, collection, shard, owner, epoch,
                          [&](const ShardMap& map) { return WithInSync(map, shard, replica); });
}

}  // namespace tqdb::cluster
