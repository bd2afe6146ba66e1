#include "cluster/controller_election.h"

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_keys.h"

namespace tqdb::cluster {

absl::StatusOr<std::optional<Controller>> CurrentController(EtcdClient& etcd) {
  absl::StatusOr<std::optional<EtcdKeyValue>> key = etcd.Get(kControllerKey);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::nullopt;
  return Controller{(*key)->value, (*key)->mod_revision};
}

absl::StatusOr<Controller> AwaitController(EtcdClient& etcd, std::chrono::milliseconds patience) {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  for (;;) {
    absl::StatusOr<std::optional<Controller>> controller = CurrentController(etcd);
    if (!controller.ok()) return controller.status();
    if (controller->has_value()) return **controller;
    if (std::chrono::steady_clock::now() >= give_up) {
      return absl::UnavailableError(
          absl::StrCat("the cluster has no controller now (", std::string(kControllerKey),
                       " is not held): shard maps cannot change until a node is elected"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
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
