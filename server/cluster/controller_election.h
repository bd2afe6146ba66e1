// Which node is the cluster's controller: the one whose id is at kControllerKey, created only
// when the key is absent and held under that node's lease (it goes when the lease does). The
// key's mod_revision when a node took it is its fence: every shard-map write compares it
// (EtcdClient::FencedPut), so a controller that lost the key, even one that does not know it
// yet, can no longer change the map.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cluster/etcd_client.h"

namespace tqdb::cluster {

struct Controller {
  std::string node_id;
  int64_t fence = 0;  // kControllerKey's mod_revision while this node holds it
};

// Becomes the controller when there is none, under `lease`; returns who the controller is now
// (this node or another), or nullopt when there is none and the attempt lost a race.
absl::StatusOr<std::optional<Controller>> TryBecomeController(EtcdClient& etcd,
                                                              const std::string& node_id,
                                                              int64_t lease);

// The controller now, if any.
absl::StatusOr<std::optional<Controller>> CurrentController(EtcdClient& etcd);

// How long a shard-map change waits for a controller to be elected.
inline constexpr std::chrono::milliseconds kControllerPatience{3000};

// The controller now, waiting up to `patience` for one to be elected (every node campaigns once
// a second, so a cluster is without one only briefly: at its start, or a lease TTL after its
// controller went); UNAVAILABLE when none is.
absl::StatusOr<Controller> AwaitController(EtcdClient& etcd, std::chrono::milliseconds patience);

}  // namespace tqdb::cluster
