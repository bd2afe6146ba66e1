// A full disk, for real: tqdb-server runs with disk_full_shim.cc preloaded, so while the flag
// file exists every write under its data directory fails with ENOSPC. Writes must be refused
// with RESOURCE_EXHAUSTED (the server stays up, reads keep working), writes must resume once the
// "space" is back, and nothing acknowledged may be lost across a restart.
#include <chrono>
#include <fstream>
#include <thread>

#include "server/server_process.h"

namespace tqdb {
namespace {

using testing::Call;
using testing::CreateRequest;
using testing::ServerProcess;
using testing::UpsertRequest;
using S = v1::Tqdb::Stub;

constexpr uint64_t kBatch = 200;

// Upserts ids [first, first + kBatch) into `collection`.
grpc::Status UpsertBatch(ServerProcess& server, const std::string& collection, uint64_t first) {
  v1::UpsertResponse response;
  return Call(&S::Upsert, server, UpsertRequest(collection, first, kBatch, first), &response);
}

TEST(DiskFullTest, WritesAreRefusedReadsContinueAndWritesResumeOnceSpaceIsFreed) {
  testing::ScopedTempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string flag = dir.path() + "/disk-is-full";
  std::vector<uint64_t> acknowledged[2];
  const std::string names[2] = {"sync", "group"};
  {
    ServerProcess server(data, {"--group_commit_interval_ms=5"},
                         {std::string("LD_PRELOAD=") + TQDB_DISK_FULL_SHIM,
                          "TQDB_DISK_FULL_FLAG=" + flag, "TQDB_DISK_FULL_DIR=" + data});
    for (int c = 0; c < 2; ++c) {
      v1::CreateCollectionRequest create = CreateRequest(names[c]);
      create.mutable_config()->set_durability(c == 0 ? v1::DURABILITY_SYNC
                                                     : v1::DURABILITY_GROUP_COMMIT);
      v1::CreateCollectionResponse created;
      ASSERT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
    }
    uint64_t next = 0;
    auto write_round = [&](bool expect_ok) {
      for (int c = 0; c < 2; ++c, next += kBatch) {
        const grpc::Status status = UpsertBatch(server, names[c], next);
        if (status.ok()) {
          for (uint64_t i = 0; i < kBatch; ++i) acknowledged[c].push_back(next + i);
        }
        if (expect_ok) {
          EXPECT_TRUE(status.ok()) << status.error_message();
        } else {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
              << status.error_message();
          EXPECT_NE(status.error_message().find("disk is full"), std::string::npos)
              << status.error_message();
        }
      }
    };
    for (int round = 0; round < 5; ++round) write_round(true);

    std::ofstream(flag) << "full\n";
    // Long enough for RocksDB's background recovery to try (and fail) at least once.
    const auto full_until = std::chrono::steady_clock::now() + std::chrono::seconds(7);
    while (std::chrono::steady_clock::now() < full_until) {
      write_round(false);
      v1::SearchRequest search;
      search.set_collection(names[0]);
      const std::vector<float> q = testing::RandomUnitVectors(1, testing::kDim, next);
      search.mutable_query()->Add(q.begin(), q.end());
      v1::SearchResponse found;
      const grpc::Status searched = Call(&S::Search, server, search, &found);
      ASSERT_TRUE(searched.ok()) << searched.error_message() << "\n" << server.Log();
      EXPECT_EQ(found.hits_size(), 10);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_FALSE(server.Exited()) << server.Log();

    std::remove(flag.c_str());
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    grpc::Status resumed;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      resumed = UpsertBatch(server, names[0], next);
    } while (!resumed.ok() && std::chrono::steady_clock::now() < give_up);
    ASSERT_TRUE(resumed.ok()) << "writes did not resume: " << resumed.error_message();
    for (uint64_t i = 0; i < kBatch; ++i) acknowledged[0].push_back(next + i);
    next += kBatch;
    for (int round = 0; round < 3; ++round) write_round(true);
    server.Stop(SIGKILL);
  }
  ServerProcess restarted(data);
  for (int c = 0; c < 2; ++c) {
    v1::GetRequest get;
    get.set_collection(names[c]);
    get.mutable_ids()->Add(acknowledged[c].begin(), acknowledged[c].end());
    v1::GetResponse got;
    ASSERT_TRUE(Call(&S::Get, restarted, get, &got).ok());
    for (const v1::Record& r : got.records()) EXPECT_TRUE(r.found()) << names[c] << " " << r.id();
    v1::DescribeCollectionRequest describe;
    describe.set_collection(names[c]);
    v1::DescribeCollectionResponse described;
    ASSERT_TRUE(Call(&S::DescribeCollection, restarted, describe, &described).ok());
    EXPECT_EQ(described.count(), acknowledged[c].size()) << names[c];
  }
}

}  // namespace
}  // namespace tqdb
