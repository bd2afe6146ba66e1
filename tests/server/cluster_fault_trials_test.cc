// Fault trials on a replicated cluster (issue 34; replicated_cluster.h): a ledger-keeping writer
// writes through node 0, with sync or group-commit durability, while a fault hits node 1 or 2 at
// a random moment; after each trial the copies come back in sync and every acknowledged row is
// stored with its vector; after the last, every shard's two copies read the same. Each fault
// runs TQDB_FAULT_TRIALS times (default 1: CI); each prints a line of the fault table.
#include <cstdlib>
#include <random>

#include "replicated_cluster.h"

namespace tqdb::testing {
namespace {

enum class Fault {
  kKill,               // SIGKILL, then the node starts again on its directory
  kFreeze,             // SIGSTOP past the lease, then SIGCONT
  kLoseReplicaCopies,  // SIGKILL, its replicas' directory removed, started again
  kKillDuringSeed,     // SIGKILL, started again, killed again while it copies, started again
};

class ClusterFaultTrialsTest : public ReplicatedClusterTest {
 protected:
  static int Trials() {
    const char* trials = std::getenv("TQDB_FAULT_TRIALS");
    return trials != nullptr ? std::max(1, std::atoi(trials)) : 1;
  }

  // One fault on node `victim`, at a random moment of the writes; rows written go on until the
  // writer has written 300 after it.
  void Strike(Fault fault, int victim, const RowWriter& writer, std::mt19937& random) {
    switch (fault) {
      case Fault::kKill:
        node(victim).Signal(SIGKILL);
        AwaitRows(writer, 300);
        node(victim).Stop(SIGKILL);
        StartNode(victim);
        break;
      case Fault::kFreeze:
        node(victim).Signal(SIGSTOP);
        AwaitRows(writer, 300);
        node(victim).Signal(SIGCONT);
        break;
      case Fault::kLoseReplicaCopies:
        node(victim).Stop(SIGKILL);
        std::filesystem::remove_all(NodeDirectory(victim) + "/replicas");
        AwaitRows(writer, 300);
        StartNode(victim);
        break;
      case Fault::kKillDuringSeed: {
        node(victim).Stop(SIGKILL);
        AwaitRows(writer, 300);
        StartNode(victim);  // its former shards and its replicas' new owners are copied now
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 800)(random)));
        node(victim).Stop(SIGKILL);
        StartNode(victim);
        break;
      }
    }
  }

  void RunTrials(Fault fault, const char* name) {
    CreateReplicated(600);
    AwaitInSync();
    std::mt19937 random(std::random_device{}());
    uint64_t next = 600;
    uint64_t acknowledged = 0;
    uint64_t lost = 0;
    double stall = 0;
    for (int trial = 0; trial < Trials(); ++trial) {
      const v1::Durability durability =
          trial % 2 == 0 ? v1::DURABILITY_SYNC : v1::DURABILITY_GROUP_COMMIT;
      const int victim = 1 + static_cast<int>(random() % 2);
      RowWriter writer(node(0), base_, next, kWriterEnd, durability);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 1500)(random)));
      Strike(fault, victim, writer, random);
      AwaitRows(writer, 300);
      writer.Stop();
      AwaitInSync();
      const uint64_t trial_lost = CountLost(0, next, writer.acknowledged());
      EXPECT_EQ(trial_lost, 0u) << "trial " << trial << ", node" << victim;
      std::printf(
          "trial %d: %s node%d, %s writes: %llu acknowledged, %llu lost, longest stall "
          "%.2f s\n",
          trial, name, victim, durability == v1::DURABILITY_SYNC ? "sync" : "group-commit",
          static_cast<unsigned long long>(writer.acknowledged() - next),
          static_cast<unsigned long long>(trial_lost), writer.longest_stall_seconds());
      acknowledged += writer.acknowledged() - next;
      lost += trial_lost;
      stall = std::max(stall, writer.longest_stall_seconds());
      next = writer.acknowledged();
    }
    EXPECT_EQ(CountLost(0, 0, next), 0u);
    std::printf("fault table: | %s | %d | %llu | %llu | %.2f s |\n", name, Trials(),
                static_cast<unsigned long long>(acknowledged),
                static_cast<unsigned long long>(lost), stall);
    ExpectCopiesAgree(next);
  }
};

TEST_F(ClusterFaultTrialsTest, KillANode) { RunTrials(Fault::kKill, "kill -9 a node"); }

TEST_F(ClusterFaultTrialsTest, FreezeANodePastItsLease) {
  RunTrials(Fault::kFreeze, "kill -STOP a node past its lease, then -CONT");
}

TEST_F(ClusterFaultTrialsTest, LoseANodesReplicaCopies) {
  RunTrials(Fault::kLoseReplicaCopies, "kill -9 a node and lose its replicas' directory");
}

TEST_F(ClusterFaultTrialsTest, KillANodeWhileItCopiesShards) {
  RunTrials(Fault::kKillDuringSeed, "kill -9 a node, then again while it seeds");
}

}  // namespace
}  // namespace tqdb::testing
