// Transport security on a real server: a test CA, server and client certificates are made with
// Debian's openssl; TLS works and plaintext is refused; with --tls_client_ca a client without a
// certificate (or with one from another CA) is refused; a non-loopback --listen without
// authenticated clients is refused unless --insecure.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "api_keys.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_certificates.h"
#include "test_util.h"

namespace tqdb {
namespace {

using testing::ServerProcess;

using testing::MakeCa;
using testing::MakeCertificate;
using testing::Read;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCa(dir_.path(), "ca");
    MakeCa(dir_.path(), "other-ca");
    MakeCertificate(dir_.path(), "ca", "server", true);
    MakeCertificate(dir_.path(), "ca", "client", false);
    MakeCertificate(dir_.path(), "other-ca", "stranger", false);
  }
  std::string Path(const std::string& file) const { return dir_.path() + "/" + file; }

  // ListCollections through `credentials`.
  grpc::Status List(const ServerProcess& server,
                    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    auto stub = v1::Tqdb::NewStub(grpc::CreateChannel(server.address(), credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListCollectionsResponse response;
    return stub->ListCollections(&context, {}, &response);
  }
  std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& client = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(Path("ca.pem"));
    if (!client.empty()) {
      ssl.pem_cert_chain = Read(Path(client + ".pem"));
      ssl.pem_private_key = Read(Path(client + ".key"));
    }
    return grpc::SslCredentials(ssl);
  }

  testing::ScopedTempDir dir_;
};

TEST_F(TlsTest, TlsWorksAndPlaintextIsRefused) {
  ServerProcess server(Path("data"),
                       {"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key")});
  EXPECT_TRUE(List(server, Tls()).ok()) << List(server, Tls()).error_message();
  EXPECT_FALSE(List(server, grpc::InsecureChannelCredentials()).ok());
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutACertificateFromTheCa) {
  ServerProcess server(Path("data"),
                       {"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
                        "--tls_client_ca=" + Path("ca.pem")});
  EXPECT_TRUE(List(server, Tls("client")).ok()) << List(server, Tls("client")).error_message();
  EXPECT_FALSE(List(server, Tls()).ok()) << "no client certificate";
  EXPECT_FALSE(List(server, Tls("stranger")).ok()) << "a certificate from another CA";
  EXPECT_FALSE(List(server, grpc::InsecureChannelCredentials()).ok());
}

// API keys over TLS are checked on the call's headers too: no key, or an unknown one, is
// UNAUTHENTICATED; the key works.
TEST_F(TlsTest, ApiKeysOverTls) {
  const std::string keys = Path("keys");
  std::ofstream(keys) << absl::BytesToHexString(server::Sha256("tls-key")) << " read\n";
  ServerProcess server(Path("data"),
                       {"--tls_cert=" + Path("server.pem"), "--tls_key=" + Path("server.key"),
                        "--api_keys_file=" + keys});
  auto stub = v1::Tqdb::NewStub(grpc::CreateChannel(server.address(), Tls()));
  for (const std::string key : {"", "wrong-key", "tls-key"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
    v1::ListCollectionsResponse response;
    const grpc::Status status = stub->ListCollections(&context, {}, &response);
    EXPECT_EQ(status.error_code(),
              key == "tls-key" ? grpc::StatusCode::OK : grpc::StatusCode::UNAUTHENTICATED)
        << "key '" << key << "': " << status.error_message();
  }
}

// A key that is not the certificate's is named as the cause (the old binary said the address was
// in use, while gRPC logged "Invalid private key").
TEST_F(TlsTest, AKeyThatIsNotTheCertificatesIsNamed) {
  const std::string log = Path("mismatch.log");
  const std::string command = testing::ServerBinary() + " --data_dir=" + Path("d0") +
                              " --listen=127.0.0.1:0 --tls_cert=" + Path("server.pem") +
                              " --tls_key=" + Path("client.key") + " 2> " + log;
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(Read(log).find("is not the private key of the certificate"), std::string::npos)
      << Read(log);
  EXPECT_EQ(Read(log).find("in use"), std::string::npos) << Read(log);
}

TEST_F(TlsTest, NonLoopbackAddressNeedsAuthenticatedClientsOrInsecure) {
  const std::string log = Path("refused.log");
  const std::string refused =
      testing::ServerBinary() + " --data_dir=" + Path("d1") + " --listen=0.0.0.0:0 2> " + log;
  const int status = std::system(refused.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(Read(log).find("refusing to listen on 0.0.0.0:0"), std::string::npos) << Read(log);
  // TLS without client certificates is not enough either: anyone may still connect.
  const std::string tls_only = testing::ServerBinary() + " --data_dir=" + Path("d2") +
                               " --listen=0.0.0.0:0 --tls_cert=" + Path("server.pem") +
                               " --tls_key=" + Path("server.key") + " 2> " + log;
  EXPECT_NE(std::system(tls_only.c_str()), 0);
  // With --insecure it starts (and runs until the timeout stops it).
  const std::string insecure = "timeout 3 " + testing::ServerBinary() +
                               " --data_dir=" + Path("d3") + " --listen=0.0.0.0:0 --insecure 2> " +
                               log;
  const int ran = std::system(insecure.c_str());
  EXPECT_TRUE(WIFEXITED(ran) && WEXITSTATUS(ran) == 124) << ran << " " << Read(log);
  EXPECT_NE(Read(log).find("listening on 0.0.0.0:"), std::string::npos) << Read(log);
}

}  // namespace
}  // namespace tqdb
