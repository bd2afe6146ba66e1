// API keys on a real server: each role can do exactly what it should and gets UNAUTHENTICATED or
// PERMISSION_DENIED otherwise; a key limited to collections stays within them; health checks
// need no key; a SIGHUP reload takes effect without a restart; a bad keys file stops the start.
#include "api_keys.h"

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "test_util.h"

namespace tqdb {
namespace {

using ::grpc::StatusCode;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

std::string KeyLine(const std::string& key, const std::string& role,
                    const std::string& collections = "") {
  return absl::BytesToHexString(server::Sha256(key)) + " " + role + " " + collections + "\n";
}

class ApiKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = dir_.path() + "/keys";
    std::ofstream(keys_) << "# test keys\n"
                         << KeyLine("reader-key", "read") << KeyLine("writer-key", "write")
                         << KeyLine("admin-key", "admin") << KeyLine("scoped-key", "admin", "a");
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/data",
                                              std::vector<std::string>{"--api_keys_file=" + keys_});
  }

  // Calls `method` with `key` (none when empty) and returns the status code.
  template <typename Request, typename Response>
  StatusCode As(const std::string& key,
                grpc::Status (S::*method)(grpc::ClientContext*, const Request&, Response*),
                const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
    Response response;
    return (server_->stub().*method)(&context, request, &response).error_code();
  }

  static v1::SearchRequest SearchIn(const std::string& collection) {
    v1::SearchRequest search;
    search.set_collection(collection);
    const std::vector<float> q = testing::RandomUnitVectors(1, testing::kDim, 1);
    search.mutable_query()->Add(q.begin(), q.end());
    return search;
  }

  testing::ScopedTempDir dir_;
  std::string keys_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ApiKeysTest, EachRoleDoesExactlyWhatItMay) {
  const v1::ListCollectionsRequest list;
  // Without a key, or with an unknown one, nothing.
  EXPECT_EQ(As("", &S::ListCollections, list), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(As("guessed-key", &S::ListCollections, list), StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(As("", &S::CreateCollection, testing::CreateRequest("c")), StatusCode::UNAUTHENTICATED);

  // admin: create, and everything below.
  EXPECT_EQ(As("writer-key", &S::CreateCollection, testing::CreateRequest("c")),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("admin-key", &S::CreateCollection, testing::CreateRequest("c")), StatusCode::OK);
  // write: upsert and delete, not drop.
  EXPECT_EQ(As("reader-key", &S::Upsert, testing::UpsertRequest("c", 0, 10, 1)),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("writer-key", &S::Upsert, testing::UpsertRequest("c", 0, 10, 1)), StatusCode::OK);
  v1::DeleteRequest remove;
  remove.set_collection("c");
  remove.add_ids(9);
  EXPECT_EQ(As("reader-key", &S::Delete, remove), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("writer-key", &S::Delete, remove), StatusCode::OK);
  // read: list, describe, get, search.
  EXPECT_EQ(As("reader-key", &S::ListCollections, list), StatusCode::OK);
  EXPECT_EQ(As("reader-key", &S::Search, SearchIn("c")), StatusCode::OK);
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  EXPECT_EQ(As("reader-key", &S::DescribeCollection, describe), StatusCode::OK);
  v1::DropCollectionRequest drop;
  drop.set_collection("c");
  EXPECT_EQ(As("writer-key", &S::DropCollection, drop), StatusCode::PERMISSION_DENIED);
  v1::CreateSnapshotRequest snapshot;
  snapshot.set_name("s");
  EXPECT_EQ(As("writer-key", &S::CreateSnapshot, snapshot), StatusCode::PERMISSION_DENIED);

  // A key limited to collection "a": within it, admin; outside it, nothing.
  EXPECT_EQ(As("scoped-key", &S::CreateCollection, testing::CreateRequest("a")), StatusCode::OK);
  EXPECT_EQ(As("scoped-key", &S::Upsert, testing::UpsertRequest("a", 0, 10, 1)), StatusCode::OK);
  EXPECT_EQ(As("scoped-key", &S::Search, SearchIn("c")), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("scoped-key", &S::CreateCollection, testing::CreateRequest("b")),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("scoped-key", &S::ListCollections, list), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("admin-key", &S::DropCollection, drop), StatusCode::OK);

  // Health checks stay open.
  std::string reply;
  EXPECT_TRUE(RawCall(*server_, "/grpc.health.v1.Health/Check", "", &reply).ok());
  // The server never logs a key.
  for (const char* key : {"reader-key", "writer-key", "admin-key", "scoped-key", "guessed-key"}) {
    EXPECT_EQ(server_->Log().find(key), std::string::npos) << key;
  }
}

TEST_F(ApiKeysTest, SighupReloadsTheKeysFile) {
  const v1::ListCollectionsRequest list;
  EXPECT_EQ(As("reader-key", &S::ListCollections, list), StatusCode::OK);
  std::ofstream(keys_) << KeyLine("new-key", "read");
  server_->Signal(SIGHUP);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (As("new-key", &S::ListCollections, list) != StatusCode::OK &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(As("new-key", &S::ListCollections, list), StatusCode::OK);
  EXPECT_EQ(As("reader-key", &S::ListCollections, list), StatusCode::UNAUTHENTICATED);
  // A broken file is not taken: the keys in use stay.
  std::ofstream(keys_) << "not a key line\n";
  server_->Signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(As("new-key", &S::ListCollections, list), StatusCode::OK);
  EXPECT_NE(server_->Log().find("kept the previous API keys"), std::string::npos) << server_->Log();
}

// A reload keeps the keys in use unless the new file parses whole: an empty file (a rewrite that
// has truncated but not yet written) and a last line without its newline are refused.
TEST_F(ApiKeysTest, AHalfWrittenFileIsNotTaken) {
  const v1::ListCollectionsRequest list;
  for (const std::string& half : {std::string(), KeyLine("reader-key", "read").substr(0, 70),
                                  KeyLine("admin-key", "admin").substr(0, 30)}) {
    std::ofstream(keys_, std::ios::trunc) << half;
    server_->Signal(SIGHUP);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(As("writer-key", &S::ListCollections, list), StatusCode::OK) << "'" << half << "'";
  }
  EXPECT_NE(server_->Log().find("holds no key"), std::string::npos) << server_->Log();
}

// Keys written atomically (a new file renamed over the old one) while SIGHUPs arrive: a valid
// key is never refused.
TEST_F(ApiKeysTest, AtomicRewritesUnderSighupsNeverRefuseAValidKey) {
  const v1::ListCollectionsRequest list;
  std::atomic<bool> stop{false};
  std::thread rewriter([&] {
    for (int i = 0; !stop.load(); ++i) {
      const std::string next = keys_ + ".new";
      std::ofstream(next) << KeyLine("reader-key", "read")
                          << KeyLine("extra-" + std::to_string(i), "write");
      std::rename(next.c_str(), keys_.c_str());
      server_->Signal(SIGHUP);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  int refused = 0;
  std::string codes;  // of the refused calls: evidence should this ever fail again (it did once)
  for (int i = 0; i < 200; ++i) {
    const StatusCode code = As("reader-key", &S::ListCollections, list);
    if (code != StatusCode::OK) {
      ++refused;
      absl::StrAppend(&codes, " ", static_cast<int>(code), " at call ", i);
    }
  }
  stop.store(true);
  rewriter.join();
  EXPECT_EQ(refused, 0) << codes << "\nserver log:\n" << server_->Log();
}

// The scheme of "authorization: Bearer <key>" is case-insensitive (RFC 7235).
TEST_F(ApiKeysTest, TheBearerSchemeIsCaseInsensitive) {
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR  "}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", scheme + "reader-key");
    v1::ListCollectionsResponse response;
    EXPECT_TRUE(server_->stub().ListCollections(&context, {}, &response).ok()) << scheme;
  }
}

TEST(ApiKeysParseTest, DuplicatesAndEmptyFilesAreRefused) {
  const std::string admin = KeyLine("k", "admin"), read = KeyLine("k", "read");
  absl::StatusOr<std::vector<server::ApiKey>> parsed =
      server::ParseApiKeys("# keys\n" + admin + KeyLine("other", "read") + read);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 4: the same key as line 2"), std::string::npos)
      << parsed.status();
  for (const std::string& text :
       {std::string(), std::string("# only a comment\n"), std::string("\n\n")}) {
    parsed = server::ParseApiKeys(text);
    ASSERT_FALSE(parsed.ok()) << "'" << text << "'";
    EXPECT_NE(parsed.status().message().find("holds no key"), std::string::npos);
  }
  parsed = server::ParseApiKeys(admin.substr(0, admin.size() - 1));
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("newline"), std::string::npos) << parsed.status();
  EXPECT_TRUE(server::ParseApiKeys(admin + read.substr(0, 0) + KeyLine("x", "write")).ok());
}

TEST(ApiKeysFileTest, ABadFileStopsTheStartAndNamesTheLine) {
  testing::ScopedTempDir dir;
  const std::string keys = dir.path() + "/keys";
  std::ofstream(keys) << KeyLine("ok-key", "read") << "plaintext-key read\n";
  const std::string log = dir.path() + "/log";
  const std::string command = testing::ServerBinary() + " --data_dir=" + dir.path() +
                              "/data --listen=127.0.0.1:0 --api_keys_file=" + keys + " 2> " + log;
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("API keys line 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace tqdb
