// The server's transport: TLS from PEM files (optionally requiring client certificates signed
// by a given CA: mutual TLS), and the rule that a non-loopback address needs authenticated
// clients unless the operator says --insecure.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace tqdb::server {

struct TransportOptions {
  std::string listen;          // host:port
  std::string cert_file;       // PEM certificate chain; empty: plaintext
  std::string key_file;        // PEM private key of the certificate
  std::string client_ca_file;  // PEM CA; when set, clients must present a certificate it signed
  bool api_keys = false;       // clients authenticate with API keys (server/api_keys.h)
  bool insecure = false;       // allow a non-loopback address without authenticated clients
};

// The credentials to listen with, or an error that says what to change: a certificate without
// its key (or the reverse), an unreadable file, or a non-loopback address where clients are not
// authenticated (neither a client CA nor API keys over TLS) and `insecure` is off.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TransportOptions& options);

// True for 127.0.0.0/8, ::1, [::1] and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace tqdb::server
