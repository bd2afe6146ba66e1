#include "cluster/node_registration.h"

#include "absl/strings/str_cat.h"
#include "cluster/cluster_keys.h"

namespace tqdb::cluster {
namespace {

int64_t SteadyNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::vector<NodeInfo>> ListNodes(EtcdClient& etcd) {
  absl::StatusOr<std::vector<EtcdKeyValue>> keys = etcd.GetPrefix(kNodesPrefix);
  if (!keys.ok()) return keys.status();
  std::vector<NodeInfo> nodes;
  for (const EtcdKeyValue& kv : *keys) {
    nodes.push_back({kv.key.substr(kNodesPrefix.size()), kv.value, kv.lease});
  }
  return nodes;
}

NodeRegistration::NodeRegistration(EtcdClient* etcd, Options options)
    : etcd_(etcd), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<NodeRegistration>> NodeRegistration::Start(EtcdClient* etcd,
                                                                          Options options) {
  if (options.node_id.empty() || options.node_id.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("node id '", options.node_id, "': give a non-empty id without '/'"));
  }
  if (options.renew_every >= options.ttl) {
    return absl::InvalidArgumentError("renew the lease more often than its TTL");
  }
  std::unique_ptr<NodeRegistration> registration(new NodeRegistration(etcd, std::move(options)));
  if (absl::Status status = registration->Register(); !status.ok()) return status;
  registration->renewer_ = std::thread([r = registration.get()] { r->RenewLoop(); });
  return registration;
}

NodeRegistration::~NodeRegistration() { Leave(); }

void NodeRegistration::Leave() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  held_since_ = 0;
  key_revision_ = 0;
  if (const int64_t lease = lease_.exchange(0); lease != 0) etcd_->RevokeLease(lease).IgnoreError();
}

bool NodeRegistration::live() const {
  const int64_t since = held_since_.load();
  return since != 0 && SteadyNow() - since < std::chrono::nanoseconds(options_.ttl).count();
}

absl::Status NodeRegistration::Register() {
  const int64_t sent = SteadyNow();
  absl::StatusOr<int64_t> lease = etcd_->GrantLease(options_.ttl);
  if (!lease.ok()) return lease.status();
  const absl::StatusOr<int64_t> put =
      etcd_->Put(NodeKey(options_.node_id), options_.address, *lease);
  if (!put.ok()) {
    etcd_->RevokeLease(*lease).IgnoreError();
    return put.status();
  }
  lease_ = *lease;
  key_revision_ = *put;
  held_since_ = sent;
  return absl::OkStatus();
}

void NodeRegistration::RenewLoop() {
  MutexLock lock(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(mu_, options_.renew_every,
                      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
    if (stopping_) break;
    mu_.unlock();  // etcd calls outside the lock: the destructor only waits for the flag
    const int64_t sent = SteadyNow();
    const absl::Status renewed = etcd_->KeepAlive(lease_.load());
    if (renewed.ok()) {
      held_since_ = sent;
    } else if (absl::IsNotFound(renewed)) {
      // The lease expired (the node was cut off for a TTL): its key went with it.
      held_since_ = 0;
      key_revision_ = 0;
      Register().IgnoreError();  // tried again next round when it fails
    }
    // Any other failure (etcd unreachable): still live until a TTL has passed since `sent` of
    // the last renewal that went through.
    mu_.lock();
  }
}

}  // namespace tqdb::cluster
