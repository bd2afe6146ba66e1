// The owner's changes to its shard's in-sync replicas (issue 34, PacificA's configuration
// changes): each is one etcd transaction over the map the owner read, guarded by the map's
// revision, made only while the owner still owns the shard at its epoch and still holds the lease
// it registered under (its key at `owner_key_revision`, NodeRegistration::key_revision), so a
// deposed owner, or one whose lease ended (a failover may be under way), changes nothing.
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
// FailedPrecondition when `owner` no longer owns the shard at `epoch`; Unavailable when its lease
// ended, etcd did not answer or the map kept changing.
absl::Status RemoveFromInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                              std::string_view owner, uint64_t epoch, int64_t owner_key_revision,
                              absl::Span<const std::string> late);

// Adds `replica` (which holds every write the shard has acknowledged) to the in-sync replicas;
// the same errors as RemoveFromInSync.
absl::Status AddToInSync(EtcdClient& etcd, const std::string& collection, uint32_t shard,
                         std::string_view owner, uint64_t epoch, int64_t owner_key_revision,
                         const std::string& replica);

}  // namespace tqdb::cluster
