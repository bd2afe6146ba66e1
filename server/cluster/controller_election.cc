#include "cluster/controller_election.h"

#include "cluster/cluster_keys.h"

namespace tqdb::cluster {

absl::StatusOr<std::optional<Controller>> CurrentController(EtcdClient& etcd) {
  absl::StatusOr<std::optional<EtcdKeyValue>> key = etcd.Get(kControllerKey);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::nullopt;
  return Controller{(*key)->value, (*key)->mod_revision};
}

absl::StatusOr<std::optional<Controller>> TryBecomeController(EtcdClient& etcd,
                                                              const std::string& node_id,
                                                              int64_t lease) {
  absl::StatusOr<bool> took = etcd.CompareAndPut(kControllerKey, node_id, 0, lease);
  if (!took.ok()) return took.status();
  // Whoever holds it now: this node if it took it, else the one that did (or nobody, when that
  // one's lease has expired in between).
  return CurrentController(etcd);
}

}  // namespace tqdb::cluster
