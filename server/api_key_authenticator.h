// Refuses a call without a known API key when its headers arrive, before its request message is
// read: gRPC's AuthMetadataProcessor runs in the server's auth filter on the initial metadata,
// so an unauthenticated client cannot make the server buffer and parse a large body (the
// handlers' own check comes after the message, which the sync server reads with the call).
// Roles and collections are still checked by the handlers, which see the request.
//
// Health checks stay open (load balancers probe without keys); everything else, reflection
// included, needs a known key.
#pragma once

#include "api_keys.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace tqdb::server {

class ApiKeyAuthenticator final : public grpc::AuthMetadataProcessor {
 public:
  explicit ApiKeyAuthenticator(const ApiKeys* keys) : keys_(keys) {}

  // A hash and a comparison per call: cheap enough to run on gRPC's own thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const ApiKeys* keys_;
};

}  // namespace tqdb::server
