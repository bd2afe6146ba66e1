// The server's transport: TLS from PEM files (optionally requiring client certificates signed
// by a given CA: mutual TLS), API keys checked on each call's headers before its body is read,
// and the rule that a non-loopback address needs authenticated clients unless the operator says
// --insecure.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "api_keys.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace tqdb::server {

struct TransportOptions {
  std::string listen;          // host:port
  std::string cert_file;       // PEM certificate chain; empty: plaintext
  std::string key_file;        // PEM private key of the certificate
  std::string client_ca_file;  // PEM CA; when set, clients must present a certificate it signed
  const ApiKeys* api_keys = nullptr;  // clients authenticate with these API keys; null: none
  bool insecure = false;              // allow a non-loopback address without authenticated clients
};

// Checks the options before serving: a certificate without its key (or the reverse), a key that
// is not the certificate's, an unreadable file, or a non-loopback address where clients are not
// authenticated (neither a client CA nor API keys over TLS) and `insecure` is off. `flag` names
// the address's flag in the message. The HTTP port is checked by the same rules.
absl::Status CheckTransport(const TransportOptions& options, const std::string& flag);

struct HostPort {
  std::string host;  // brackets of an IPv6 address removed
  int port = 0;      // 0: any free port
};
// HOST:PORT as given to a --*listen flag; INVALID_ARGUMENT naming `flag` otherwise.
absl::StatusOr<HostPort> ParseHostPort(const std::string& listen, const std::string& flag);

// The credentials to listen with, or CheckTransport's error. With API keys the credentials refuse a
// call without a known key from its headers (api_key_authenticator.h): over TLS, or in plaintext on
// a loopback address (gRPC's local credentials, which plaintext clients reach unchanged); plaintext
// on another address (--insecure) has no such hook, and the handlers check the key after the body.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TransportOptions& options);

// How a node of a cluster calls the other nodes: plaintext when it serves plaintext, else TLS to
// nodes whose certificates `cluster_ca_file` (--cluster_tls_ca) signed, presenting this node's
// own certificate when the nodes require client certificates (client_ca_file set).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeNodeChannelCredentials(
    const TransportOptions& options, const std::string& cluster_ca_file);

// How a node speaks to etcd: plaintext without `ca_file` (--etcd_tls_ca); else TLS to members
// whose certificates that CA signed, presenting `cert_file`/`key_file` (--etcd_tls_cert,
// --etcd_tls_key) when given, for etcd's --client-cert-auth.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeEtcdChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file);

// True when the credentials MakeServerCredentials returns check API keys on each call's headers:
// keys are on, over TLS or on a loopback address.
bool KeysCheckedInHeaders(const TransportOptions& options);

// True for 127.0.0.0/8, ::1, [::1] and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace tqdb::server
