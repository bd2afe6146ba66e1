// A shard's replica following its primary over gRPC on 127.0.0.1 (ShardTransfer.StreamLog and
// FetchShard for a seed; server/cluster/shard_replicator.h): the replica seeds itself, follows
// the writes, reports what it holds (which the primary can wait for), resumes from its copy
// after it stops, seeds itself again when the primary's log no longer reaches back to it, and
// opens as the same database.
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cluster/local_shards.h"
#include "cluster/shard_replicator.h"
#include "cluster/shard_transfer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace tqdb::cluster {
namespace {

constexpr int kDim = 16;

DatabaseOptions KeepingLog(bool keep) {
  DatabaseOptions options;
  options.log_retention_seconds = keep ? 3600 : 0;
  options.log_retention_mb = keep ? 256 : 0;
  return options;
}

// A primary node's shards behind a ShardTransfer service on 127.0.0.1.
class Primary {
 public:
  Primary(const std::string& root, bool keep_log) : shards_(root, KeepingLog(keep_log), {}) {
    EXPECT_TRUE(shards_.OpenAll().ok());
    service_ = std::make_unique<ShardTransferService>("primary", &shards_, nullptr, nullptr);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
  }
  ~Primary() {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
  }
  LocalShards& shards() { return shards_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  LocalShards shards_;
  std::unique_ptr<ShardTransferService> service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

std::shared_ptr<Collection> MakeShard(LocalShards& shards) {
  auto shard = *shards.OpenOrCreate("c", 0);
  auto collection = shard->database->GetCollection("c");
  if (collection.ok()) return *collection;
  return *shard->database->CreateCollection(MakeCollectionConfig("c", kDim, 4));
}

void Write(Collection& collection, uint64_t first, uint64_t count) {
  std::vector<std::string> payloads;
  for (uint64_t id = first; id < first + count; ++id) payloads.push_back(absl::StrCat("p", id));
  ASSERT_TRUE(collection
                  .Upsert(testing::IdRange(first, first + count),
                          testing::RandomUnitVectors(count, kDim, first), payloads)
                  .ok());
}

// `epoch`: the owner's epoch the map gives (a primary outside a cluster checks none).
ShardReplicator::Options ReplicaOf(const std::string& address, const std::string& directory,
                                   uint64_t epoch = 1) {
  ShardReplicator::Options options;
  // Strings built, not assigned from literals: GCC 12 warns (-Wrestrict) on those, wrongly.
  options.collection = std::string(1, 'c');
  options.node_id = std::string("replica");
  options.directory = directory;
  options.primary = [address, epoch]() -> absl::StatusOr<ShardReplicator::Primary> {
    return ShardReplicator::Primary{
        std::shared_ptr<v1::ShardTransfer::Stub>(v1::ShardTransfer::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        epoch};
  };
  return options;
}

// Every record of ids [0, max_id) reads the same from the replica's directory as from `expected`.
void ExpectCopyOf(const Collection& expected, const std::string& directory, uint64_t max_id) {
  DatabaseOptions options;
  options.background_partitioning = false;
  auto copy = Database::Open(directory, options);
  ASSERT_TRUE(copy.ok()) << copy.status();
  auto collection = *(*copy)->GetCollection("c");
  EXPECT_EQ(collection->count(), expected.count());
  const std::vector<uint64_t> ids = testing::IdRange(0, max_id);
  testing::ExpectSameRecords(expected, *collection, ids);
}

// The lag in seconds `cluster status` shows: since the copy last held the owner's whole log.
TEST(ReplicaProgressTest, LagInSecondsCountsFromTheLastReportOfTheWholeLog) {
  ReplicaProgress progress;
  progress.Report("r", 5, /*whole_log=*/true);
  progress.Report("r", 7, /*whole_log=*/false);  // the owner wrote more meanwhile
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(progress.SecondsBehind("r", 3), 0.05);
  EXPECT_EQ(progress.SecondsBehind("r", 0), 0.0) << "not behind: no lag";
  progress.Report("r", 10, /*whole_log=*/true);
  EXPECT_LT(progress.SecondsBehind("r", 2), 0.05);
  EXPECT_EQ(progress.Of("r"), 10u);
  progress.Report("r", 9, /*whole_log=*/false);  // an old report does not move it back
  EXPECT_EQ(progress.Of("r"), 10u);
  // Never caught up: since the owner started counting.
  EXPECT_GE(progress.SecondsBehind("never", 1), 0.05);
}

TEST(ShardReplicationTest, AReplicaSeedsFollowsReportsAndResumes) {
  testing::ScopedTempDir dir;
  Primary primary(dir.path() + "/primary", /*keep_log=*/true);
  auto collection = MakeShard(primary.shards());
  Write(*collection, 0, 500);
  const std::string copy = dir.path() + "/replica/c/0";
  auto replicator = std::make_unique<ShardReplicator>(ReplicaOf(primary.address(), copy));
  replicator->Start();
  auto shard = primary.shards().Find("c", 0);
  for (uint64_t first = 500; first < 3000; first += 250) {
    Write(*collection, first, 250);
    if (first == 1000) {
      ASSERT_TRUE(collection->Delete(testing::IdRange(0, 100)).ok());
    }
  }
  const uint64_t written = shard->database->LatestSequence();
  ASSERT_TRUE(replicator->WaitForApplied(written, std::chrono::seconds(30)))
      << "applied " << replicator->applied() << " of " << written << ": "
      << replicator->last_error();
  // The primary learns it from the stream: what a write waiting on its replicas waits for.
  const std::vector<std::string> nodes = {"replica"};
  EXPECT_TRUE(
      shard->replicas
          .WaitFor(nodes, written, std::chrono::steady_clock::now() + std::chrono::seconds(10))
          .empty());
  EXPECT_EQ(shard->replicas.WaitFor({"elsewhere"}, 1, std::chrono::steady_clock::now()),
            std::vector<std::string>{"elsewhere"});
  EXPECT_EQ(replicator->seeds(), 1);

  // Stopped and started again: it follows on from its copy, with no new seed.
  replicator.reset();
  Write(*collection, 3000, 300);
  replicator = std::make_unique<ShardReplicator>(ReplicaOf(primary.address(), copy));
  replicator->Start();
  ASSERT_TRUE(
      replicator->WaitForApplied(shard->database->LatestSequence(), std::chrono::seconds(30)))
      << replicator->last_error();
  EXPECT_EQ(replicator->seeds(), 0);
  replicator.reset();
  ExpectCopyOf(*collection, copy, 3300);
}

// After a failover the copy's history (the old owner's, with writes never acknowledged perhaps)
// may not be the new owner's: a copy made at another epoch is made again.
TEST(ShardReplicationTest, ACopyOfAnotherEpochIsSeededAgain) {
  testing::ScopedTempDir dir;
  Primary primary(dir.path() + "/primary", /*keep_log=*/true);
  auto collection = MakeShard(primary.shards());
  Write(*collection, 0, 300);
  const std::string copy = dir.path() + "/replica/c/0";
  auto shard = primary.shards().Find("c", 0);
  // The first start seeds, the second follows on from the copy, the new epoch seeds again.
  const struct {
    uint64_t epoch;
    int seeds;
  } starts[] = {{1, 1}, {1, 0}, {2, 1}};
  uint64_t written = 300;
  for (const auto& start : starts) {
    Write(*collection, written, 50);
    written += 50;
    ShardReplicator replicator(ReplicaOf(primary.address(), copy, start.epoch));
    replicator.Start();
    ASSERT_TRUE(
        replicator.WaitForApplied(shard->database->LatestSequence(), std::chrono::seconds(30)))
        << replicator.last_error();
    EXPECT_EQ(replicator.epoch(), start.epoch);
    EXPECT_EQ(replicator.seeds(), start.seeds) << "epoch " << start.epoch;
  }
  ExpectCopyOf(*collection, copy, written);
}

TEST(ShardReplicationTest, AReplicaSeedsAgainWhenThePrimarysLogNoLongerReachesIt) {
  testing::ScopedTempDir dir;
  const std::string copy = dir.path() + "/replica/c/0";
  std::shared_ptr<Collection> collection;
  {
    Primary primary(dir.path() + "/primary", /*keep_log=*/false);
    collection = MakeShard(primary.shards());
    Write(*collection, 0, 200);
    ShardReplicator replicator(ReplicaOf(primary.address(), copy));
    replicator.Start();
    ASSERT_TRUE(replicator.WaitForApplied(primary.shards().Find("c", 0)->database->LatestSequence(),
                                          std::chrono::seconds(30)))
        << replicator.last_error();
    EXPECT_EQ(replicator.seeds(), 1);
    collection.reset();
  }
  // Written while the replica was away, then the primary restarted: its open flushed those
  // writes into table files and, keeping no log, removed the log that held them.
  {
    Primary primary(dir.path() + "/primary", false);
    Write(*MakeShard(primary.shards()), 200, 200);
  }
  Primary primary(dir.path() + "/primary", false);
  collection = MakeShard(primary.shards());
  ShardReplicator replicator(ReplicaOf(primary.address(), copy));
  replicator.Start();
  ASSERT_TRUE(replicator.WaitForApplied(primary.shards().Find("c", 0)->database->LatestSequence(),
                                        std::chrono::seconds(30)))
      << replicator.last_error();
  EXPECT_EQ(replicator.seeds(), 1) << "the copy was not seeded again";
  Write(*collection, 400, 100);  // and it follows the new copy's log
  ASSERT_TRUE(replicator.WaitForApplied(primary.shards().Find("c", 0)->database->LatestSequence(),
                                        std::chrono::seconds(30)))
      << replicator.last_error();
  replicator.Stop();
  ExpectCopyOf(*collection, copy, 500);
}

}  // namespace
}  // namespace tqdb::cluster
