// A client of etcd's v3 API (gRPC) for the cluster's control plane (issue 33; docs/DESIGN.md,
// "Clusters"): node registrations under leases, the shard map, the controller's election. Small
// keys only; every read is linearizable (a member cut off from the quorum fails it rather than
// answering from its stale copy), and a conditional write compares a key's revision, which is
// how shard-map changes are fenced.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"

namespace etcdserverpb {
class TxnRequest;
}  // namespace etcdserverpb

namespace tqdb::cluster {

struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;  // the store's revision when it was last written
  int64_t version = 0;       // writes since it was created
  int64_t lease = 0;         // 0: none
};

struct EtcdMemberStatus {
  uint64_t member_id = 0;
  uint64_t leader_id = 0;  // the leader this member knows; 0: none
  std::string version;
};

class EtcdClient {
 public:
  // `endpoints`: comma-separated host:port of the members ("127.0.0.1:2379,127.0.0.2:2379");
  // requests go to one and move to the next when it cannot be reached. `timeout` bounds each
  // request (DeadlineExceeded past it). `credentials`: TLS to members that serve it
  // (MakeEtcdChannelCredentials); null: plaintext.
  static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(
      const std::string& endpoints, std::chrono::milliseconds timeout = std::chrono::seconds(2),
      std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  ~EtcdClient();

  // Returns the store's revision after the write.
  absl::StatusOr<int64_t> Put(std::string_view key, std::string_view value, int64_t lease = 0);
  absl::StatusOr<std::optional<EtcdKeyValue>> Get(std::string_view key);
  // Every key starting with `prefix`, in key order.
  absl::StatusOr<std::vector<EtcdKeyValue>> GetPrefix(std::string_view prefix);
  // Whether the key existed.
  absl::StatusOr<bool> Delete(std::string_view key);
  // Writes only while the key's mod_revision is `expected_mod_revision` (0: while it does not
  // exist), in one transaction; returns whether it wrote.
  absl::StatusOr<bool> CompareAndPut(std::string_view key, std::string_view value,
                                     int64_t expected_mod_revision, int64_t lease = 0);

  // CompareAndPut that also requires `fence_key`'s mod_revision to be `fence_revision`: a write
  // only the holder of a leadership key (etcd's keys are linearizable; its locks alone are not
  // safe) can make, and only while it still holds it.
  absl::StatusOr<bool> FencedPut(std::string_view key, std::string_view value,
                                 int64_t expected_mod_revision, std::string_view fence_key,
                                 int64_t fence_revision);
  // Deletes `keys` together, in one transaction, only while `compared_key`'s mod_revision is
  // `expected_mod_revision` and `fence_key`'s is `fence_revision` (FencedPut's fence); returns
  // whether it deleted.
  absl::StatusOr<bool> FencedDelete(const std::vector<std::string>& keys,
                                    std::string_view compared_key, int64_t expected_mod_revision,
                                    std::string_view fence_key, int64_t fence_revision);

  // A lease that expires `ttl` after its last renewal; keys put with it go when it does.
  absl::StatusOr<int64_t> GrantLease(std::chrono::seconds ttl);
  // Renews the lease once; NotFound when it has already expired.
  absl::Status KeepAlive(int64_t lease);
  absl::Status RevokeLease(int64_t lease);
  // The status of the member this client talks to (connect to one endpoint to ask a given one).
  absl::StatusOr<EtcdMemberStatus> MemberStatus();

 private:
  struct Stubs;
  EtcdClient(std::unique_ptr<Stubs> stubs, std::chrono::milliseconds timeout);
  // Runs a transaction; whether its comparisons held (and its writes were made).
  absl::StatusOr<bool> Transaction(etcdserverpb::TxnRequest* request);

  std::unique_ptr<Stubs> stubs_;
  std::chrono::milliseconds timeout_;
};

}  // namespace tqdb::cluster
