// cluster::EtcdClient against a real etcd (Debian's etcd-server) on 127.0.0.1: reads see the
// last write, a conditional write fences on the revision it read, a key under a lease lives
// while the lease is renewed and goes when it is not, and a member that is gone gives an error
// in bounded time, then answers again once it is back (its data intact).
#include "cluster/etcd_client.h"

#include <chrono>
#include <thread>

#include "etcd_fixture.h"
#include "etcd_process.h"
#include "gtest/gtest.h"
#include "test_certificates.h"
#include "test_util.h"
#include "transport_security.h"

namespace tqdb::cluster {
namespace {

using EtcdClientTest = ::tqdb::testing::EtcdTest;

TEST_F(EtcdClientTest, ReadsSeeTheLastWriteAndPrefixesListInKeyOrder) {
  auto first = client_->Put("/tqdb/nodes/b", "node b");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = client_->Put("/tqdb/nodes/a", "node a");
  ASSERT_TRUE(second.ok());
  EXPECT_GT(*second, *first);  // every write moves the store's revision on
  ASSERT_TRUE(client_->Put("/tqdb/nodesx", "not under the prefix").ok());
  auto a = client_->Get("/tqdb/nodes/a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->value, "node a");
  EXPECT_EQ((*a)->mod_revision, *second);
  auto listed = client_->GetPrefix("/tqdb/nodes/");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "/tqdb/nodes/a");
  EXPECT_EQ((*listed)[1].key, "/tqdb/nodes/b");
  EXPECT_EQ(*client_->Delete("/tqdb/nodes/a"), true);
  EXPECT_EQ(*client_->Delete("/tqdb/nodes/a"), false);
  EXPECT_FALSE(client_->Get("/tqdb/nodes/a")->has_value());
}

TEST_F(EtcdClientTest, AConditionalWriteFencesOnTheRevisionItRead) {
  // Two controllers read the shard map at the same revision; only the first write wins.
  EXPECT_TRUE(*client_->CompareAndPut("/tqdb/map", "epoch 1", 0));  // created: it was absent
  EXPECT_FALSE(*client_->CompareAndPut("/tqdb/map", "again", 0));   // it exists now
  const int64_t read = (*client_->Get("/tqdb/map"))->mod_revision;
  EXPECT_TRUE(*client_->CompareAndPut("/tqdb/map", "epoch 2 by one", read));
  EXPECT_FALSE(*client_->CompareAndPut("/tqdb/map", "epoch 2 by the other", read));
  EXPECT_EQ((*client_->Get("/tqdb/map"))->value, "epoch 2 by one");
}

TEST_F(EtcdClientTest, AKeyUnderALeaseLivesWhileItIsRenewedAndGoesWhenItIsNot) {
  auto lease = client_->GrantLease(std::chrono::seconds(2));
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE(client_->Put("/tqdb/nodes/1", "alive", *lease).ok());
  // Renewed every 500 ms for 3 s: past its TTL, still there.
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_TRUE(client_->KeepAlive(*lease).ok());
  }
  auto kept = client_->Get("/tqdb/nodes/1");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->lease, *lease);
  // Not renewed: gone within the TTL and etcd's expiry check, and the lease is too.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while ((*client_->Get("/tqdb/nodes/1")).has_value() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE((*client_->Get("/tqdb/nodes/1")).has_value());
  EXPECT_TRUE(absl::IsNotFound(client_->KeepAlive(*lease)));
  // Revoking removes a lease's keys at once.
  auto other = client_->GrantLease(std::chrono::seconds(30));
  ASSERT_TRUE(client_->Put("/tqdb/nodes/2", "alive", *other).ok());
  ASSERT_TRUE(client_->RevokeLease(*other).ok());
  EXPECT_FALSE((*client_->Get("/tqdb/nodes/2")).has_value());
}

TEST_F(EtcdClientTest, AMemberThatIsGoneFailsInBoundedTimeAndAnswersOnceBack) {
  ASSERT_TRUE(client_->Put("/tqdb/kept", "before the kill").ok());
  etcd_->Kill();
  const auto start = std::chrono::steady_clock::now();
  auto failed = client_->Get("/tqdb/kept");
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(absl::IsUnavailable(failed.status()) || absl::IsDeadlineExceeded(failed.status()))
      << failed.status();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  etcd_->Start();
  absl::StatusOr<std::optional<EtcdKeyValue>> back;
  for (int i = 0; i < 100; ++i) {
    back = client_->Get("/tqdb/kept");
    if (back.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << etcd_->Log();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->value, "before the kill");
}

TEST(EtcdClientConnectTest, RefusesEndpointsItCannotUse) {
  EXPECT_TRUE(absl::IsInvalidArgument(EtcdClient::Connect("").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(EtcdClient::Connect("a.example:2379,b.example:2379").status()));
  EXPECT_TRUE(EtcdClient::Connect("127.0.0.1:2379,127.0.0.2:2379").ok());
}

// etcd serving TLS and requiring client certificates (--client-cert-auth), as a node reaches it
// with --etcd_tls_ca, --etcd_tls_cert and --etcd_tls_key.
TEST(EtcdClientTlsTest, SpeaksTlsWithItsCertificateAndIsRefusedWithout) {
  testing::ScopedTempDir dir;
  const std::string d = dir.path() + "/";
  testing::MakeCa(dir.path(), "ca");
  testing::MakeCertificate(dir.path(), "ca", "etcd", /*server=*/true);
  testing::MakeCertificate(dir.path(), "ca", "node", /*server=*/false);
  testing::EtcdProcess etcd(d + "etcd", "",
                            {"--cert-file=" + d + "etcd.pem", "--key-file=" + d + "etcd.key",
                             "--trusted-ca-file=" + d + "ca.pem", "--client-cert-auth"});
  auto credentials =
      server::MakeEtcdChannelCredentials(d + "ca.pem", d + "node.pem", d + "node.key");
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  auto client = EtcdClient::Connect(etcd.endpoint(), std::chrono::seconds(5), *credentials);
  ASSERT_TRUE(client.ok()) << client.status();
  const absl::StatusOr<int64_t> put = (*client)->Put("/tls/key", "over TLS");
  ASSERT_TRUE(put.ok()) << put.status() << "\n" << etcd.Log();
  const auto got = (*client)->Get("/tls/key");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->value, "over TLS");

  // Without this node's certificate, or in plaintext, etcd does not answer.
  auto no_certificate =
      EtcdClient::Connect(etcd.endpoint(), std::chrono::seconds(2),
                          *server::MakeEtcdChannelCredentials(d + "ca.pem", "", ""));
  ASSERT_TRUE(no_certificate.ok());
  EXPECT_FALSE((*no_certificate)->Get("/tls/key").ok());
  auto plaintext = EtcdClient::Connect(etcd.endpoint(), std::chrono::seconds(2));
  ASSERT_TRUE(plaintext.ok());
  EXPECT_FALSE((*plaintext)->Get("/tls/key").ok());
  // A certificate without its key is refused before any connection.
  EXPECT_TRUE(absl::IsInvalidArgument(
      server::MakeEtcdChannelCredentials(d + "ca.pem", d + "node.pem", "").status()));
}

}  // namespace
}  // namespace tqdb::cluster
