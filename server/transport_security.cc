#include "transport_security.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api_key_authenticator.h"
#include "grpcpp/security/server_credentials.h"
#include "tqdb/status_macros.h"

namespace tqdb::server {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " ", path, " is not PEM"));
  }
  return text.str();
}

std::string HostOf(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  return colon == std::string::npos ? listen : listen.substr(0, colon);
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// gRPC reports a key that does not fit the certificate only in its log, and the server then
// fails to listen with no reason given; checked here so the error names the cause.
absl::Status CheckKeyMatchesCertificate(const TransportOptions& options, const std::string& cert,
                                        const std::string& key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert.data(), static_cast<int>(cert.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (x509 == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("the TLS certificate ", options.cert_file,
                                                   " cannot be read: ", OpenSslError()));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key.data(), static_cast<int>(key.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the TLS key ", options.key_file,
                     " is not a private key (or is encrypted): ", OpenSslError()));
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("the TLS key ", options.key_file,
                                                   " is not the private key of the certificate ",
                                                   options.cert_file));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || absl::StartsWith(host, "127.");
}

bool KeysCheckedInHeaders(const TransportOptions& options) {
  const bool tls = !options.cert_file.empty() || !options.key_file.empty();
  return options.api_keys != nullptr && (tls || IsLoopbackHost(HostOf(options.listen)));
}

absl::StatusOr<HostPort> ParseHostPort(const std::string& listen, const std::string& flag) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " must be HOST:PORT (port 0 picks one), got '", listen, "'"));
  }
  HostPort address{listen.substr(0, colon), port};
  if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);  // [::1] -> ::1
  }
  return address;
}

absl::Status CheckTransport(const TransportOptions& options, const std::string& flag) {
  const bool tls = !options.cert_file.empty() || !options.key_file.empty();
  if (tls && (options.cert_file.empty() || options.key_file.empty())) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  if (!options.client_ca_file.empty() && !tls) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  const bool clients_authenticated = !options.client_ca_file.empty();
  // Keys sent in plaintext could be read off the network: they count only over TLS.
  const bool api_keys = options.api_keys != nullptr;
  const bool authenticated = clients_authenticated || (tls && api_keys);
  if (!IsLoopbackHost(HostOf(options.listen)) && !authenticated && !options.insecure) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on ", options.listen, " (", flag,
        "): without authenticated clients anyone who reaches it can read, write and drop every "
        "collection. Use TLS (--tls_cert, --tls_key) with client certificates (--tls_client_ca) "
        "or API keys (--api_keys_file), or say --insecure on a trusted network"));
  }
  if (!tls) return absl::OkStatus();
  auto key = ReadPem(options.key_file, "TLS key");
  if (!key.ok()) return key.status();
  auto cert = ReadPem(options.cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  if (absl::Status matches = CheckKeyMatchesCertificate(options, *cert, *key); !matches.ok()) {
    return matches;
  }
  if (clients_authenticated) {
    auto ca = ReadPem(options.client_ca_file, "client CA");
    if (!ca.ok()) return ca.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TransportOptions& options) {
  if (absl::Status checked = CheckTransport(options, "--listen"); !checked.ok()) return checked;
  const bool tls = !options.cert_file.empty() || !options.key_file.empty();
  const bool clients_authenticated = !options.client_ca_file.empty();
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (!tls) {
    // Insecure credentials cannot take an AuthMetadataProcessor (gRPC asserts); local
    // credentials can, and speak plain HTTP/2 to any plaintext client on a loopback address.
    if (!KeysCheckedInHeaders(options)) return grpc::InsecureServerCredentials();
    credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
    credentials->SetAuthMetadataProcessor(std::make_shared<ApiKeyAuthenticator>(options.api_keys));
    return credentials;
  }
  grpc::SslServerCredentialsOptions ssl(
      clients_authenticated ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto key = ReadPem(options.key_file, "TLS key");
  if (!key.ok()) return key.status();
  auto cert = ReadPem(options.cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  if (absl::Status matches = CheckKeyMatchesCertificate(options, *cert, *key); !matches.ok()) {
    return matches;
  }
  pair.private_key = *std::move(key);
  pair.cert_chain = *std::move(cert);
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (clients_authenticated) {
    auto ca = ReadPem(options.client_ca_file, "client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
  }
  credentials = grpc::SslServerCredentials(ssl);
  if (options.api_keys != nullptr) {
    credentials->SetAuthMetadataProcessor(std::make_shared<ApiKeyAuthenticator>(options.api_keys));
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeNodeChannelCredentials(
    const TransportOptions& options, const std::string& cluster_ca_file) {
  if (options.cert_file.empty()) return grpc::InsecureChannelCredentials();
  if (cluster_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "a node serving TLS needs --cluster_tls_ca (the CA of the other nodes' certificates) "
        "to call them");
  }
  grpc::SslCredentialsOptions ssl;
  TQDB_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(cluster_ca_file, "cluster CA"));
  if (!options.client_ca_file.empty()) {
    TQDB_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(options.key_file, "TLS key"));
    TQDB_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(options.cert_file, "TLS certificate"));
  }
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeEtcdChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file) {
  if (ca_file.empty()) {
    if (!cert_file.empty() || !key_file.empty()) {
      return absl::InvalidArgumentError(
          "--etcd_tls_cert and --etcd_tls_key need --etcd_tls_ca (the CA of etcd's certificates)");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("give --etcd_tls_cert and --etcd_tls_key together");
  }
  grpc::SslCredentialsOptions ssl;
  TQDB_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(ca_file, "etcd CA"));
  if (!cert_file.empty()) {
    TQDB_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadPem(key_file, "etcd client key"));
    TQDB_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadPem(cert_file, "etcd client certificate"));
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace tqdb::server
