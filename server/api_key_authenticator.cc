#include "api_key_authenticator.h"

#include "absl/strings/match.h"
#include "status_mapping.h"

namespace tqdb::server {

grpc::Status ApiKeyAuthenticator::Process(const InputMetadata& auth_metadata, grpc::AuthContext*,
                                          OutputMetadata*, OutputMetadata*) {
  const auto path = auth_metadata.find(":path");
  if (path != auth_metadata.end() &&
      absl::StartsWith(absl::string_view(path->second.data(), path->second.size()),
                       "/grpc.health.v1.Health/")) {
    return grpc::Status::OK;
  }
  const auto found = auth_metadata.find("authorization");
  const absl::string_view authorization =
      found == auth_metadata.end() ? absl::string_view()
                                   : absl::string_view(found->second.data(), found->second.size());
  return ToGrpcStatus(keys_->Authenticate(authorization).status());
}

}  // namespace tqdb::server
