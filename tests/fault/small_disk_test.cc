// A full disk for real: a 64 MiB tmpfs the test mounts (as root; skipped with a message where
// mounting is not allowed), holding two 16 MiB ballast files and the server's data directory.
// Writes fill it until they are refused (RESOURCE_EXHAUSTED, saying how much to free); deleting
// one ballast frees 16 MiB, which must bring writes back by themselves (the old binary waited
// for 32 MiB, half its write buffer, and never resumed). Filled again and SIGKILLed, the server
// restarts on the full disk with every acknowledged vector, and freeing the second ballast brings
// writes back there too.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "server/server_process.h"

namespace tqdb {
namespace {

using testing::Call;
using testing::ServerProcess;
using S = v1::Tqdb::Stub;

constexpr int kDim = 512;
constexpr uint64_t kBatch = 500;  // 1 MiB of floats per upsert

// A tmpfs of `megabytes` at `path`, unmounted when it goes.
class ScopedTmpfs {
 public:
  ScopedTmpfs(const std::string& path, int megabytes) : path_(path) {
    std::filesystem::create_directories(path);
    const std::string options = "size=" + std::to_string(megabytes) + "m";
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~ScopedTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

v1::UpsertRequest Batch(uint64_t first) {
  v1::UpsertRequest request;
  request.set_collection("c");
  const std::vector<float> vectors = testing::RandomUnitVectors(kBatch, kDim, first);
  request.mutable_vectors()->Add(vectors.begin(), vectors.end());
  for (uint64_t i = 0; i < kBatch; ++i) request.add_ids(first + i);
  return request;
}

uint64_t Count(ServerProcess& server) {
  v1::DescribeCollectionRequest describe;
  describe.set_collection("c");
  v1::DescribeCollectionResponse described;
  EXPECT_TRUE(Call(&S::DescribeCollection, server, describe, &described).ok());
  return described.count();
}

// Upserts batches until one is refused (at most `limit`); returns the ids acknowledged.
uint64_t FillUntilRefused(ServerProcess& server, uint64_t next, int limit, grpc::Status* refused) {
  for (int i = 0; i < limit; ++i, next += kBatch) {
    v1::UpsertResponse response;
    *refused = Call(&S::Upsert, server, Batch(next), &response);
    if (!refused->ok()) return next;
  }
  return next;
}

// Retries one upsert every half second for up to 60 s; true once one is acknowledged. Otherwise
// the last refusal and the server's log say why.
::testing::AssertionResult WritesResume(ServerProcess& server, uint64_t* acknowledged) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const auto start = std::chrono::steady_clock::now();
  grpc::Status last;
  while (std::chrono::steady_clock::now() < give_up) {
    v1::UpsertResponse response;
    last = Call(&S::Upsert, server, Batch(*acknowledged), &response);
    if (last.ok()) {
      *acknowledged += kBatch;
      std::printf("writes resumed %.1f s after space was freed\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const std::string log = server.Log();
  return ::testing::AssertionFailure()
         << "last refusal: " << last.error_message() << "\nserver log (end):\n"
         << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

TEST(SmallDiskTest, FreeingOneMemtableBringsWritesBackAndARestartLosesNothing) {
  testing::ScopedTempDir dir;
  const std::string mount_point = dir.path() + "/disk";
  ScopedTmpfs disk(mount_point, 64);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "; needs root and mount rights): the small-disk test did not run";
  }
  const std::string ballast[2] = {mount_point + "/ballast-1", mount_point + "/ballast-2"};
  for (const std::string& path : ballast) {
    std::ofstream out(path, std::ios::binary);
    const std::string mib(size_t{1} << 20, 'b');
    for (int i = 0; i < 16; ++i) out << mib;
  }
  const std::string data = mount_point + "/data";
  uint64_t acknowledged = 0;
  {
    ServerProcess server(data);
    v1::CreateCollectionRequest create = testing::CreateRequest("c");
    create.mutable_config()->set_dimension(kDim);
    v1::CreateCollectionResponse created;
    ASSERT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
    grpc::Status refused;
    acknowledged = FillUntilRefused(server, 0, 200, &refused);
    ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "64 MiB never filled: " << refused.error_message();
    EXPECT_NE(refused.error_message().find("16 MiB are free"), std::string::npos)
        << refused.error_message();
    ASSERT_GT(acknowledged, 0u);
    // Reads go on.
    EXPECT_EQ(Count(server), acknowledged);

    std::filesystem::remove(ballast[0]);  // 16 MiB free again
    ASSERT_TRUE(WritesResume(server, &acknowledged)) << "within 60 s of freeing 16 MiB";
    // Fill it again, then kill the server on the full disk.
    acknowledged = FillUntilRefused(server, acknowledged, 200, &refused);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    server.Stop(SIGKILL);
  }
  // A restart on the full disk: everything acknowledged is there; freeing 16 MiB more lets
  // writes go on.
  ServerProcess restarted(data);
  EXPECT_EQ(Count(restarted), acknowledged);
  v1::GetRequest get;
  get.set_collection("c");
  get.add_ids(0);
  get.add_ids(acknowledged - 1);
  get.set_with_vectors(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, restarted, get, &got).ok());
  ASSERT_EQ(got.records_size(), 2);
  EXPECT_TRUE(got.records(0).found() && got.records(1).found());
  EXPECT_EQ(got.records(1).vector_size(), kDim);
  std::filesystem::remove(ballast[1]);
  EXPECT_TRUE(WritesResume(restarted, &acknowledged)) << "after the restart, freeing 16 MiB";
  EXPECT_EQ(Count(restarted), acknowledged);
}

// A new data directory on 16 MiB memtables: 10 batches (10 MiB of floats) acknowledged, all in
// the write-ahead log (nothing flushed yet), then SIGKILL. Returns the vectors acknowledged.
uint64_t LogTenMiBAndKill(const std::string& data) {
  uint64_t acknowledged = 0;
  ServerProcess server(data, {"--write_buffer_mb=64"});
  v1::CreateCollectionRequest create = testing::CreateRequest("c");
  create.mutable_config()->set_dimension(kDim);
  v1::CreateCollectionResponse created;
  EXPECT_TRUE(Call(&S::CreateCollection, server, create, &created).ok());
  for (int i = 0; i < 10; ++i, acknowledged += kBatch) {
    v1::UpsertResponse response;
    EXPECT_TRUE(Call(&S::Upsert, server, Batch(acknowledged), &response).ok());
  }
  server.Stop(SIGKILL);
  return acknowledged;
}

// Fills the disk of `mount_point`, leaving a little for the server's log beside the data
// directory.
void FillDisk(const std::string& mount_point) {
  const uint64_t free = std::filesystem::space(mount_point).available;
  std::ofstream out(mount_point + "/ballast", std::ios::binary);
  const std::string kib(1024, 'b');
  for (uint64_t left = free; left > (uint64_t{256} << 10); left -= kib.size()) out << kib;
}

// Opening replays the log into memtables and RocksDB flushes one that fills on the way: a log
// longer than a memtable needs room for a table file at the restart, which a full disk lacks.
// Here by construction: 10 MiB logged under 16 MiB memtables, the disk then filled, the restart
// with 4 MiB memtables. The disk reserve (db/storage/disk_reserve.h), taken when the directory
// was made, is given back so the restart opens with every acknowledged vector (without it the
// open fails: "No space left on device", and the server does not start).
TEST(SmallDiskTest, ARestartOnAFullDiskReplaysALogLongerThanAMemtable) {
  testing::ScopedTempDir dir;
  const std::string mount_point = dir.path() + "/disk";
  ScopedTmpfs disk(mount_point, 256);  // large enough that nothing is flushed before the kill
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "; needs root and mount rights): the small-disk test did not run";
  }
  const std::string data = mount_point + "/data";
  const uint64_t acknowledged = LogTenMiBAndKill(data);
  EXPECT_TRUE(std::filesystem::exists(data + "/TQDB_DISK_RESERVE"));  // taken by the new directory
  FillDisk(mount_point);
  ServerProcess restarted(data, {"--write_buffer_mb=8"});
  EXPECT_NE(restarted.Log().find("gave back the disk reserve"), std::string::npos)
      << restarted.Log();
  EXPECT_EQ(Count(restarted), acknowledged);
  v1::GetRequest get;
  get.set_collection("c");
  get.add_ids(acknowledged - 1);
  get.set_with_vectors(true);
  v1::GetResponse got;
  ASSERT_TRUE(Call(&S::Get, restarted, get, &got).ok());
  ASSERT_EQ(got.records_size(), 1);
  EXPECT_TRUE(got.records(0).found());
  EXPECT_EQ(got.records(0).vector_size(), kDim);
}

// Runs tqdb-server on `data` expecting it to refuse to start; returns its stderr (empty when it
// did start, after stopping it).
std::string RefusedStart(const std::string& data, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    std::string binary = testing::ServerBinary(), dir = "--data_dir=" + data,
                listen = "--listen=127.0.0.1:0", buffer = "--write_buffer_mb=8";
    char* argv[] = {binary.data(), dir.data(), listen.data(), buffer.data(), nullptr};
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (waitpid(pid, &status, WNOHANG) == 0) {  // still running: it started
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return "";
  }
  std::ifstream in(log);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Without the reserve (a directory of an older build, or one whose reserve is spent), the same
// restart is refused with a message that says what to free, and nothing is lost: once space is
// freed the server starts with every acknowledged vector.
TEST(SmallDiskTest, WithoutTheReserveARestartOnAFullDiskSaysWhatToFreeAndLosesNothing) {
  testing::ScopedTempDir dir;
  const std::string mount_point = dir.path() + "/disk";
  ScopedTmpfs disk(mount_point, 256);
  if (!disk.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error()
                 << "; needs root and mount rights): the small-disk test did not run";
  }
  const std::string data = mount_point + "/data";
  const uint64_t acknowledged = LogTenMiBAndKill(data);
  ASSERT_TRUE(std::filesystem::remove(data + "/TQDB_DISK_RESERVE"));
  FillDisk(mount_point);
  const std::string refusal = RefusedStart(data, dir.path() + "/refused.log");
  EXPECT_NE(refusal.find("the disk is full"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("free at least 4 MiB"), std::string::npos) << refusal;
  std::filesystem::remove(mount_point + "/ballast");
  ServerProcess restarted(data, {"--write_buffer_mb=8"});
  EXPECT_EQ(Count(restarted), acknowledged);
}

}  // namespace
}  // namespace tqdb
