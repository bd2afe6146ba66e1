// CreateSnapshot on a real server against hostile names and races: a snapshot is staged where no
// client can name or predict, so it never deletes another snapshot or follows a symlink out of
// --snapshot_dir; of concurrent snapshots to one name exactly one succeeds and the others get
// ALREADY_EXISTS; every snapshot reported OK opens as a data directory (in a second server too).
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;
using testing::Call;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

class SnapshotRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshots_ = dir_.path() + "/snapshots";
    // What a server killed during a snapshot leaves: the next start removes it.
    std::filesystem::create_directories(snapshots_ + "/.tqdb-staging-Ab12Cd/content");
    std::ofstream(snapshots_ + "/.tqdb-staging-Ab12Cd/content/000007.sst") << "partial";
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data", std::vector<std::string>{"--snapshot_dir=" + snapshots_});
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, *server_, testing::CreateRequest("c"), &created).ok());
    v1::UpsertResponse upserted;
    ASSERT_TRUE(Call(&S::Upsert, *server_, testing::UpsertRequest("c", 0, 500, 1), &upserted).ok());
  }

  grpc::Status Snapshot(const std::string& name, const std::string& collection = "") {
    v1::CreateSnapshotRequest request;
    request.set_name(name);
    request.set_collection(collection);
    v1::CreateSnapshotResponse response;
    return Call(&S::CreateSnapshot, *server_, request, &response);
  }

  // The snapshot opens as a data directory and holds the 500 vectors.
  static void ExpectOpens(const std::string& path) {
    DatabaseOptions options;
    options.create_if_missing = false;
    auto db = Database::Open(path, options);
    ASSERT_TRUE(db.ok()) << path << ": " << db.status();
    auto collection = (*db)->GetCollection("c");
    ASSERT_TRUE(collection.ok()) << path << ": " << collection.status();
    EXPECT_EQ((*collection)->Describe().count, 500u) << path;
  }

  static size_t FilesIn(const std::string& path) {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(path))
      n += entry.is_regular_file();
    return n;
  }

  testing::ScopedTempDir dir_;
  std::string snapshots_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(SnapshotRpcTest, AStartRemovesUnfinishedSnapshots) {
  EXPECT_FALSE(std::filesystem::exists(snapshots_ + "/.tqdb-staging-Ab12Cd"));
  EXPECT_NE(server_->Log().find("removed 1 unfinished snapshot"), std::string::npos)
      << server_->Log();
}

// RocksDB's checkpoint stages in "<dir>.tmp" and empties it first: "keep.tmp" then "keep" lost
// the first snapshot's 8 files on the old binary.
TEST_F(SnapshotRpcTest, ANameEndingInTmpIsNeverAnotherSnapshotsStaging) {
  ASSERT_TRUE(Snapshot("keep.tmp").ok());
  const size_t files = FilesIn(snapshots_ + "/keep.tmp");
  ASSERT_GT(files, 0u);
  ASSERT_TRUE(Snapshot("keep").ok());
  EXPECT_EQ(FilesIn(snapshots_ + "/keep.tmp"), files);
  ExpectOpens(snapshots_ + "/keep.tmp");
  ExpectOpens(snapshots_ + "/keep");
  // Nothing staged is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(snapshots_)) {
    EXPECT_NE(entry.path().filename().string().rfind(".tqdb-staging-", 0), 0u) << entry.path();
  }
}

// With snapshots/stage.tmp a symlink to a directory, the old binary deleted every file in the
// target. A symlink (dangling or not) at the snapshot's own name is ALREADY_EXISTS.
TEST_F(SnapshotRpcTest, SymlinksAreNeverFollowed) {
  const std::string precious = dir_.path() + "/precious";
  std::filesystem::create_directories(precious);
  std::ofstream(precious + "/precious-1.txt") << "keep me";
  std::filesystem::create_directories(snapshots_);
  std::filesystem::create_directory_symlink(precious, snapshots_ + "/stage.tmp");
  EXPECT_TRUE(Snapshot("stage").ok());
  EXPECT_TRUE(std::filesystem::exists(precious + "/precious-1.txt"));
  ExpectOpens(snapshots_ + "/stage");

  std::filesystem::create_directory_symlink(precious, snapshots_ + "/linked");
  EXPECT_EQ(Snapshot("linked").error_code(), StatusCode::ALREADY_EXISTS);
  std::filesystem::create_symlink(dir_.path() + "/nowhere", snapshots_ + "/dangling");
  EXPECT_EQ(Snapshot("dangling").error_code(), StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(FilesIn(precious), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/nowhere"));
}

// Three clients snapshot the same name at once, round after round (a client retrying after a
// timeout does this), beside snapshots of other names: per name one OK, the rest ALREADY_EXISTS,
// and every OK snapshot opens.
TEST_F(SnapshotRpcTest, ConcurrentSnapshotsOfOneNameOneWinsAndEachOpens) {
  constexpr int kRounds = 8;
  constexpr int kClients = 3;
  std::vector<std::string> published;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<grpc::Status> same(kClients), other(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        // StrCat, not "r" + std::to_string(...): GCC 12 warns falsely (-Wrestrict) on that.
        same[c] = Snapshot(absl::StrCat("r", round), c == 0 ? "" : "c");
        other[c] = Snapshot(absl::StrCat("r", round, "-", c));
      });
    }
    for (std::thread& client : clients) client.join();
    int ok = 0;
    for (const grpc::Status& status : same) {
      if (status.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(status.error_code(), StatusCode::ALREADY_EXISTS) << status.error_message();
      }
    }
    EXPECT_EQ(ok, 1) << "round " << round;
    published.push_back(snapshots_ + "/r" + std::to_string(round));
    for (int c = 0; c < kClients; ++c) {
      EXPECT_TRUE(other[c].ok()) << other[c].error_message();
      published.push_back(snapshots_ + "/r" + std::to_string(round) + "-" + std::to_string(c));
    }
  }
  for (const std::string& path : published) ExpectOpens(path);
  // And a second server serves one of them.
  ServerProcess second(published.front());
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  v1::DescribeCollectionResponse described;
  ASSERT_TRUE(Call(&S::DescribeCollection, second, describe, &described).ok());
  EXPECT_EQ(described.count(), 500u);
}

// The file system's limit for one name is 255 bytes; the old binary accepted 255 and then failed
// UNAVAILABLE on "<name>.tmp".
TEST_F(SnapshotRpcTest, NamesUpToTheFileSystemLimitWork) {
  const std::string longest(255, 'n');
  const grpc::Status status = Snapshot(longest);
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  ExpectOpens(snapshots_ + "/" + longest);
  EXPECT_EQ(Snapshot(longest + "n").error_code(), StatusCode::INVALID_ARGUMENT);
  for (const char* bad : {"", ".", "..", ".tqdb-staging-abc", "a/b", "../x"}) {
    EXPECT_EQ(Snapshot(bad).error_code(), StatusCode::INVALID_ARGUMENT) << bad;
  }
}

}  // namespace
}  // namespace tqdb
