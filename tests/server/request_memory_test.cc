// What clients can make a real server hold: with API keys on, a call without a known key is
// refused from its headers, before its body is read, so large unauthenticated requests cost the
// server almost nothing (the old binary read and parsed each one first: 4 concurrent 240 MiB
// upserts took its RSS from 31 MiB to 1,717 MiB); and the default request limit is one a server
// should accept from one request.
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "api_keys.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;
using testing::ServerProcess;

// An upsert of `bytes` of vectors into collection "c" (d = 32), as one message.
v1::UpsertRequest LargeUpsert(size_t bytes) {
  v1::UpsertRequest request;
  request.set_collection("c");
  const size_t n = bytes / (testing::kDim * sizeof(float));
  request.mutable_vectors()->Resize(static_cast<int>(n * testing::kDim), 0.5f);
  for (size_t i = 0; i < n; ++i) request.add_ids(i);
  return request;
}

grpc::Status Upsert(ServerProcess& server, const v1::UpsertRequest& request,
                    const std::string& key) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  v1::UpsertResponse response;
  return server.stub().Upsert(&context, request, &response);
}

TEST(RequestMemoryTest, UnauthenticatedBodiesAreNeverRead) {
  testing::ScopedTempDir dir;
  const std::string keys = dir.path() + "/keys";
  std::ofstream(keys) << absl::BytesToHexString(server::Sha256("admin-key")) << " admin\n";
  ServerProcess server(dir.path() + "/data",
                       {"--api_keys_file=" + keys, "--max_request_bytes=268435456"});
  const size_t before = server.PeakRssBytes();
  constexpr size_t kRequestBytes = size_t{200} << 20;
  constexpr int kClients = 4;
  const v1::UpsertRequest request = LargeUpsert(kRequestBytes);
  std::vector<grpc::Status> statuses(kClients);
  std::vector<std::thread> clients;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] { statuses[c] = Upsert(server, request, c % 2 ? "" : "guess"); });
  }
  for (std::thread& client : clients) client.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << status.error_message();
  }
  const size_t grew = server.PeakRssBytes() - before;
  std::printf("%d unauthenticated %zu MiB upserts: refused in %.2f s, server peak RSS +%zu MiB\n",
              kClients, kRequestBytes >> 20, seconds, grew >> 20);
  // The bound: a small fraction of one request (the bytes in flight when the refusal is sent).
  EXPECT_LT(grew, size_t{64} << 20) << "the server held the bodies of unauthenticated requests";
  EXPECT_FALSE(server.Exited());
}

// Reflection describes the whole API: with keys on it needs one too.
TEST(RequestMemoryTest, ReflectionNeedsAKeyWhenKeysAreOn) {
  testing::ScopedTempDir dir;
  const std::string keys = dir.path() + "/keys";
  std::ofstream(keys) << absl::BytesToHexString(server::Sha256("admin-key")) << " admin\n";
  ServerProcess server(dir.path() + "/data", {"--api_keys_file=" + keys});
  const grpc::Status status = testing::RawCall(
      server, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "");
  EXPECT_EQ(status.error_code(), StatusCode::UNAUTHENTICATED) << status.error_message();
  std::string reply;
  EXPECT_TRUE(testing::RawCall(server, "/grpc.health.v1.Health/Check", "", &reply).ok());
}

// The default limit (64 MiB) refuses a 100 MiB request from its length prefix.
TEST(RequestMemoryTest, TheDefaultRequestLimitIsOneAServerShouldAccept) {
  testing::ScopedTempDir dir;
  ServerProcess server(dir.path() + "/data");
  const grpc::Status status = Upsert(server, LargeUpsert(size_t{100} << 20), "");
  EXPECT_EQ(status.error_code(), StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_FALSE(server.Exited());
}

}  // namespace
}  // namespace tqdb
