#include "cluster/etcd_client.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace tqdb::cluster {
namespace {

absl::Status FromGrpc(const grpc::Status& status, const char* what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat("etcd ", what, ": ", status.error_message()));
}

EtcdKeyValue FromProto(const mvccpb::KeyValue& kv) {
  return {kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()};
}

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      ++prefix.back();
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

}  // namespace

struct EtcdClient::Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
};

EtcdClient::EtcdClient(std::unique_ptr<Stubs> stubs, std::chrono::milliseconds timeout)
    : stubs_(std::move(stubs)), timeout_(timeout) {}
EtcdClient::~EtcdClient() = default;

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(
    const std::string& endpoints, std::chrono::milliseconds timeout,
    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  std::vector<std::string> members = absl::StrSplit(endpoints, ',', absl::SkipWhitespace());
  if (members.empty()) return absl::InvalidArgumentError("no etcd endpoints given");
  // gRPC's ipv4: scheme takes several addresses; pick_first uses one until it fails, then the
  // next. Host names go through DNS, one endpoint at a time.
  const bool literal = std::all_of(members.begin(), members.end(), [](const std::string& m) {
    return !m.empty() && std::isdigit(static_cast<unsigned char>(m[0]));
  });
  if (!literal && members.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "etcd endpoints '", endpoints, "': give several members as IPv4 addresses (host:port)"));
  }
  const std::string target =
      literal ? absl::StrCat("ipv4:", absl::StrJoin(members, ",")) : members[0];
  auto stubs = std::make_unique<Stubs>();
  // Reconnect within a second of a member's return: gRPC's backoff grows to two minutes, and a
  // node that long without etcd would stay out of its shards.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  stubs->channel = grpc::CreateCustomChannel(
      target, credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(), args);
  stubs->kv = etcdserverpb::KV::NewStub(stubs->channel);
  stubs->lease = etcdserverpb::Lease::NewStub(stubs->channel);
  stubs->maintenance = etcdserverpb::Maintenance::NewStub(stubs->channel);
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(stubs), timeout));
}

namespace {

void SetDeadline(grpc::ClientContext* context, std::chrono::milliseconds timeout) {
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  // Wait for a connection rather than fail at once while there is none. etcd serves gRPC and
  // HTTP on one port and tells them apart by a request's first headers before it sends its own
  // HTTP/2 settings: a connection made while no call waited to send headers was never answered,
  // and a node renewing its lease after etcd's restart failed for as long as it kept trying.
  context->set_wait_for_ready(true);
}

// One unary request of `stub`'s `method`, bounded by `timeout`; the status says `what` failed.
template <typename Stub, typename Request, typename Response>
absl::Status Unary(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response, std::chrono::milliseconds timeout,
                   const char* what) {
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  return FromGrpc((stub.*method)(&context, request, response), what);
}

}  // namespace

absl::StatusOr<int64_t> EtcdClient::Put(std::string_view key, std::string_view value,
                                        int64_t lease) {
  etcdserverpb::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  if (absl::Status s =
          Unary(*stubs_->kv, &etcdserverpb::KV::Stub::Put, request, &response, timeout_, "put");
      !s.ok()) {
    return s;
  }
  return response.header().revision();
}

absl::StatusOr<std::optional<EtcdKeyValue>> EtcdClient::Get(std::string_view key) {
  etcdserverpb::RangeRequest request;
  request.set_key(std::string(key));
  etcdserverpb::RangeResponse response;
  if (absl::Status s =
          Unary(*stubs_->kv, &etcdserverpb::KV::Stub::Range, request, &response, timeout_, "get");
      !s.ok()) {
    return s;
  }
  if (response.kvs_size() == 0) return std::nullopt;
  return FromProto(response.kvs(0));
}

absl::StatusOr<std::vector<EtcdKeyValue>> EtcdClient::GetPrefix(std::string_view prefix) {
  etcdserverpb::RangeRequest request;
  request.set_key(prefix.empty() ? std::string(1, '\0') : std::string(prefix));
  request.set_range_end(PrefixEnd(std::string(prefix)));
  request.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  request.set_sort_target(etcdserverpb::RangeRequest::KEY);
  etcdserverpb::RangeResponse response;
  if (absl::Status s = Unary(*stubs_->kv, &etcdserverpb::KV::Stub::Range, request, &response,
                             timeout_, "get prefix");
      !s.ok()) {
    return s;
  }
  std::vector<EtcdKeyValue> out;
  for (const mvccpb::KeyValue& kv : response.kvs()) out.push_back(FromProto(kv));
  return out;
}

absl::StatusOr<bool> EtcdClient::Delete(std::string_view key) {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(std::string(key));
  etcdserverpb::DeleteRangeResponse response;
  if (absl::Status s = Unary(*stubs_->kv, &etcdserverpb::KV::Stub::DeleteRange, request, &response,
                             timeout_, "delete");
      !s.ok()) {
    return s;
  }
  return response.deleted() > 0;
}

namespace {

// Requires `key`'s mod_revision to be `revision` (0: the key is absent).
void AddRevisionCompare(etcdserverpb::TxnRequest* request, std::string_view key, int64_t revision) {
  etcdserverpb::Compare* compare = request->add_compare();
  compare->set_key(std::string(key));
  compare->set_target(etcdserverpb::Compare::MOD);
  compare->set_result(etcdserverpb::Compare::EQUAL);
  compare->set_mod_revision(revision);
}

}  // namespace

absl::StatusOr<bool> EtcdClient::FencedPut(std::string_view key, std::string_view value,
                                           int64_t expected_mod_revision,
                                           std::string_view fence_key, int64_t fence_revision) {
  etcdserverpb::TxnRequest request;
  AddRevisionCompare(&request, key, expected_mod_revision);
  AddRevisionCompare(&request, fence_key, fence_revision);
  etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  return Transaction(&request);
}

absl::StatusOr<bool> EtcdClient::FencedDelete(const std::vector<std::string>& keys,
                                              std::string_view compared_key,
                                              int64_t expected_mod_revision,
                                              std::string_view fence_key, int64_t fence_revision) {
  etcdserverpb::TxnRequest request;
  AddRevisionCompare(&request, compared_key, expected_mod_revision);
  AddRevisionCompare(&request, fence_key, fence_revision);
  for (const std::string& key : keys) {
    request.add_success()->mutable_request_delete_range()->set_key(key);
  }
  return Transaction(&request);
}

absl::StatusOr<bool> EtcdClient::Transaction(etcdserverpb::TxnRequest* request) {
  etcdserverpb::TxnResponse response;
  if (absl::Status s = Unary(*stubs_->kv, &etcdserverpb::KV::Stub::Txn, *request, &response,
                             timeout_, "transaction");
      !s.ok()) {
    return s;
  }
  return response.succeeded();
}

absl::StatusOr<bool> EtcdClient::CompareAndPut(std::string_view key, std::string_view value,
                                               int64_t expected_mod_revision, int64_t lease) {
  etcdserverpb::TxnRequest request;
  AddRevisionCompare(&request, key, expected_mod_revision);
  etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  put->set_lease(lease);
  return Transaction(&request);
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(std::chrono::seconds ttl) {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl.count());
  etcdserverpb::LeaseGrantResponse response;
  if (absl::Status s = Unary(*stubs_->lease, &etcdserverpb::Lease::Stub::LeaseGrant, request,
                             &response, timeout_, "lease grant");
      !s.ok()) {
    return s;
  }
  if (!response.error().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("etcd lease grant: ", response.error()));
  }
  return response.id();
}

absl::Status EtcdClient::KeepAlive(int64_t lease) {
  // etcd renews leases only over a stream: one request, one answer.
  grpc::ClientContext context;
  SetDeadline(&context, timeout_);
  auto stream = stubs_->lease->LeaseKeepAlive(&context);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseKeepAliveResponse response;
  const bool answered = stream->Write(request) && stream->Read(&response);
  stream->WritesDone();
  context.TryCancel();  // the stream's end is not needed: the answer is in
  const grpc::Status finished = stream->Finish();
  if (!answered) return FromGrpc(finished, "lease keep-alive");
  if (response.ttl() <= 0) {
    return absl::NotFoundError(absl::StrCat("etcd lease ", lease, " has expired"));
  }
  return absl::OkStatus();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseRevokeResponse response;
  return Unary(*stubs_->lease, &etcdserverpb::Lease::Stub::LeaseRevoke, request, &response,
               timeout_, "lease revoke");
}

absl::StatusOr<EtcdMemberStatus> EtcdClient::MemberStatus() {
  etcdserverpb::StatusResponse response;
  if (absl::Status s = Unary(*stubs_->maintenance, &etcdserverpb::Maintenance::Stub::Status,
                             etcdserverpb::StatusRequest(), &response, timeout_, "status");
      !s.ok()) {
    return s;
  }
  return EtcdMemberStatus{.member_id = response.header().member_id(),
                          .leader_id = response.leader(),
                          .version = response.version()};
}

}  // namespace tqdb::cluster
