// The owner's changes to its shard's in-sync replicas (issue 34, PacificA's configuration
// changes): each is one etcd transaction over the map the owner read, guarded by the map's
// revision and made only while the owner still owns the shard at its epoch, so a deposed owner
// (its replica promoted meanwhile) can change nothing, and no change races a failover.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cluster/etcd_client.h"

namespace tqdb::cluster {

// Removes `late` from the in-sync replicas of `shard` of `collection`, owned by `owner` at
// `epoch`. OK once none of them is in sync (this call or another removed them);
// FailedPrecondition when `owner` no longer owns the shard at `epoch`; Unavailable when etcd did
// not answer or the map kept changing.
absl::Status RemoveFromInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                              std::string_view owner, uint64_t epoch,
                              absl::Span<const std::string> late);

// Adds `replica` (which holds every write the shard has acknowledged) to the in-sync replicas;
// the same errors as RemoveFromInSync.
absl::Status AddToInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                         std::string_view owner, uint64_t epoch, const std::string& replica);

}  // namespace tqdb::cluster
