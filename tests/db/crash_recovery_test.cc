// Crash safety, for real: a child process (crash_writer) performs crash_model steps and reports
// each acknowledged one through a pipe; the test kills it with SIGKILL at a random moment,
// reopens the directory and checks that every acknowledged step is there, exactly, and that the
// one step in flight is either wholly present or wholly absent.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "crash_model.h"
#include "fault/power_loss.h"
#include "gtest/gtest.h"
#include "stored_code_check.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kRounds = 24;

struct ChildRun {
  int64_t last_acked = -1;  // -1: nothing acknowledged
  // When each acknowledged step arrived (first_step, first_step + 1, ...), and the kill.
  std::vector<std::chrono::steady_clock::time_point> ack_times;
  std::chrono::steady_clock::time_point killed;
};

// Starts crash_writer, kills it with SIGKILL `delay` after its first acknowledgement (or after
// its start, when `during_startup`, to hit recovery itself) and returns what it acknowledged.
// `environment` adds NAME=VALUE variables to the writer's (a fault-injection LD_PRELOAD).
ChildRun RunAndKill(const std::string& dir, uint64_t first_step, const char* durability,
                    bool during_startup, std::chrono::milliseconds delay,
                    std::vector<std::string> environment = {}, const char* mode = nullptr) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  const std::string first = std::to_string(first_step);
  const pid_t pid = fork();
  if (pid == 0) {
    for (std::string& variable : environment) putenv(variable.data());
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(TQDB_CRASH_WRITER, TQDB_CRASH_WRITER, dir.c_str(), first.c_str(), durability, mode,
          nullptr);
    _exit(127);
  }
  close(out[1]);
  ChildRun run;
  std::string buffer;
  auto drain = [&](int timeout_ms) {
    pollfd fd{out[0], POLLIN, 0};
    if (poll(&fd, 1, timeout_ms) <= 0) return false;
    char chunk[4096];
    const ssize_t got = read(out[0], chunk, sizeof(chunk));
    if (got <= 0) return false;
    buffer.append(chunk, got);
    const auto now = std::chrono::steady_clock::now();
    for (size_t lines = std::count(buffer.begin(), buffer.end(), '\n');
         run.ack_times.size() < lines;) {
      run.ack_times.push_back(now);
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + delay;
  if (!during_startup) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (buffer.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up) {
      drain(100);
    }
    deadline = std::chrono::steady_clock::now() + delay;
  }
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    drain(static_cast<int>(std::max<int64_t>(1, left.count())));
  }
  kill(pid, SIGKILL);
  run.killed = std::chrono::steady_clock::now();
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "crash_writer exited by itself (status " << status << ") before it was killed";
  while (drain(0)) {
  }
  close(out[0]);
  // Only complete lines are acknowledgements.
  size_t start = 0;
  for (size_t end; (end = buffer.find('\n', start)) != std::string::npos; start = end + 1) {
    const int64_t step = std::stoll(buffer.substr(start, end - start));
    EXPECT_EQ(step, run.last_acked < 0 ? static_cast<int64_t>(first_step) : run.last_acked + 1);
    run.last_acked = step;
  }
  return run;
}

// True when the collection holds exactly `state` (ids, vectors, payloads and codes: each code is
// the vector's encoding relative to the collection's center, which the writer's upserts take
// once 1,000 vectors are stored, re-encoding the earlier ones in the same atomic write).
::testing::AssertionResult HoldsExactly(const Collection& collection,
                                        const std::map<uint64_t, uint64_t>& state) {
  const size_t count = collection.Describe().count;
  if (count != state.size()) {
    return ::testing::AssertionFailure() << count << " vectors stored, expected " << state.size();
  }
  std::vector<uint64_t> ids;
  for (const auto& [id, step] : state) ids.push_back(id);
  std::vector<Record> records;
  constexpr size_t kGetChunk = 50000;  // under Get's per-call limit
  for (size_t begin = 0; begin < ids.size(); begin += kGetChunk) {
    auto chunk = collection.Get(
        absl::MakeConstSpan(ids).subspan(begin, std::min(kGetChunk, ids.size() - begin)), true,
        true);
    if (!chunk.ok()) return ::testing::AssertionFailure() << chunk.status();
    records.insert(records.end(), chunk->begin(), chunk->end());
  }
  const testing::StoredCodeCheck stored_codes(collection);
  size_t i = 0;
  for (const auto& [id, step] : state) {
    const Record& r = records[i++];
    const std::vector<float> expected = crash::VectorFor(id, step);
    if (!r.found || r.vector != expected || r.payload != crash::PayloadFor(id, step)) {
      return ::testing::AssertionFailure()
             << "id " << id << " (written by step " << step << "): found=" << r.found
             << " payload='" << r.payload << "'";
    }
    if (auto matches = stored_codes.Matches(id, expected.data()); !matches) return matches;
  }
  return ::testing::AssertionSuccess();
}

// Opens the data directory to check it: the writer's options, without background partitioning.
// Past 50,000 vectors an open starts one (the writer's opens do), and a partitioning committing
// in the middle of the check would change the codes StoredCodeCheck compares with.
absl::StatusOr<std::unique_ptr<Database>> OpenToCheck(const std::string& path) {
  DatabaseOptions options;
  options.segment_target_bytes = 8 << 10;
  options.background_partitioning = false;
  return Database::Open(path, options);
}

// Every acknowledged step is there; the step in flight may have landed, whole. Sets `applied`
// to the steps the collection holds.
::testing::AssertionResult HoldsAcknowledgedSteps(const Collection& collection,
                                                  uint64_t acked_through, uint64_t* applied) {
  const ::testing::AssertionResult exact =
      HoldsExactly(collection, crash::StateAfter(acked_through));
  if (exact) {
    *applied = acked_through;
    return ::testing::AssertionSuccess();
  }
  if (::testing::AssertionResult one_more =
          HoldsExactly(collection, crash::StateAfter(acked_through + 1));
      !one_more) {
    return ::testing::AssertionFailure()
           << "state after " << acked_through << " acknowledged steps is neither that ("
           << exact.message() << ") nor one more step (" << one_more.message() << ")";
  }
  *applied = acked_through + 1;
  return ::testing::AssertionSuccess();
}

// `rounds` kills of a writer in `mode` (crash_writer.cc; null: plain steps), each checked.
void SigkillRounds(int rounds, const char* mode, uint64_t seed) {
  testing::ScopedTempDir dir;
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> delay_ms(0, 60);
  uint64_t applied = 0;  // steps [0, applied) are in the database
  int rounds_with_acks = 0;
  for (int round = 0; round < rounds; ++round) {
    const char* durability = round % 2 == 0 ? "sync" : "group-commit";
    const bool during_startup = round % 4 == 3;
    const ChildRun run = RunAndKill(dir.path(), applied, durability, during_startup,
                                    std::chrono::milliseconds(delay_ms(gen)), {}, mode);
    const uint64_t acked_through = run.last_acked < 0 ? applied : run.last_acked + 1;
    rounds_with_acks += run.last_acked >= 0;

    absl::StatusOr<std::unique_ptr<Database>> db = OpenToCheck(dir.path());
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status();
    absl::StatusOr<std::shared_ptr<Collection>> collection =
        (*db)->GetCollection(crash::kCollection);
    if (!collection.ok()) {
      // Killed before the collection was created: nothing can have been acknowledged.
      ASSERT_EQ(acked_through, 0) << collection.status();
      continue;
    }
    ASSERT_TRUE(HoldsAcknowledgedSteps(**collection, acked_through, &applied))
        << "round " << round << " (" << durability << ")";
  }
  EXPECT_GE(rounds_with_acks, rounds * 3 / 4) << "the writer was rarely killed mid-work";
  std::printf("%d kills, %lu steps applied in all\n", rounds, static_cast<unsigned long>(applied));
}

TEST(CrashRecoveryTest, SigkillNeverLosesAnAcknowledgedStepNorShowsHalfOfOne) {
  SigkillRounds(kRounds, nullptr, 20261122);
}

// Upserts of new ids write their vectors as ingested table files before their segments commit:
// a kill between the two leaves vectors no segment holds, which the next open removes.
TEST(CrashRecoveryTest, SigkillDuringBulkIngestionNeverLosesAnAcknowledgedStep) {
  SigkillRounds(kRounds / 2, "ingest", 20261205);
}

// Kills while the collection is being re-partitioned (the writer re-partitions over and over in
// a second thread): every acknowledged step survives, whole, in whichever partitioning committed
// last; segments of a partitioning cut short are dropped at open.
TEST(CrashRecoveryTest, SigkillDuringRepartitioningNeverLosesAnAcknowledgedStep) {
  constexpr int kPartitionRounds = 12;
  testing::ScopedTempDir dir;
  std::mt19937_64 gen(20261203);
  std::uniform_int_distribution<int> delay_ms(20, 200);
  uint64_t applied = 0, last_partitioning = 0;
  int partitioned_rounds = 0;
  for (int round = 0; round < kPartitionRounds; ++round) {
    const char* durability = round % 2 == 0 ? "sync" : "group-commit";
    const ChildRun run = RunAndKill(dir.path(), applied, durability, /*during_startup=*/false,
                                    std::chrono::milliseconds(delay_ms(gen)), {}, "repartition");
    const uint64_t acked_through = run.last_acked < 0 ? applied : run.last_acked + 1;
    absl::StatusOr<std::unique_ptr<Database>> db = OpenToCheck(dir.path());
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status();
    absl::StatusOr<std::shared_ptr<Collection>> collection =
        (*db)->GetCollection(crash::kCollection);
    ASSERT_TRUE(collection.ok()) << "round " << round << ": " << collection.status();
    ASSERT_TRUE(HoldsAcknowledgedSteps(**collection, acked_through, &applied))
        << "round " << round << " (" << durability << ")";
    const uint64_t partitioning = (*collection)->Describe().partitioning;
    EXPECT_GE(partitioning, last_partitioning) << "round " << round;
    last_partitioning = partitioning;
    partitioned_rounds += partitioning != 0;
  }
  EXPECT_GE(partitioned_rounds, kPartitionRounds / 2) << "the writer rarely got to partition";
  std::printf("%d kills, %lu steps applied, partitioning %lu committed last\n", kPartitionRounds,
              static_cast<unsigned long>(applied), static_cast<unsigned long>(last_partitioning));
}

// Power loss: the writer runs with power_loss_shim.cc, and after the kill every file is cut
// back to what its last fsync made durable (every fourth round is a process crash only, whose
// unsynced writes the next writer recovers before its own power cut). Sync writes must lose nothing
// acknowledged; group commit may lose only the writes acknowledged in the last moments (its fsync
// interval, 10 ms, plus the fsync itself; allowed up to kGroupCommitWindow); no round may leave
// half a step, and every reopen must succeed (the durable-sequence record never claims more than
// was synced).
void PowerLossRounds(int power_rounds, const char* mode, uint64_t seed) {
  constexpr auto kGroupCommitWindow = std::chrono::milliseconds(500);
  testing::ScopedTempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string journal = dir.path() + "/synced";
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> delay_ms(0, 300);
  uint64_t applied = 0;
  uint64_t acknowledged_in_all = 0, lost_group_commit = 0;
  std::chrono::milliseconds worst_loss_window{0};
  for (int round = 0; round < power_rounds; ++round) {
    const bool sync = round % 2 == 0;
    const ChildRun run =
        RunAndKill(data, applied, sync ? "sync" : "group-commit", /*during_startup=*/false,
                   std::chrono::milliseconds(delay_ms(gen)),
                   {std::string("LD_PRELOAD=") + TQDB_POWER_LOSS_SHIM,
                    "TQDB_POWER_LOSS_DIR=" + data, "TQDB_POWER_LOSS_JOURNAL=" + journal},
                   mode);
    const uint64_t acked_through = run.last_acked < 0 ? applied : run.last_acked + 1;
    acknowledged_in_all += acked_through - applied;
    if (round % 4 == 3) {
      // A crash of the process only (its unsynced group-commit writes stay in the OS cache):
      // the next round's writer recovers them, and its power cut must not lose them. Steps
      // replay idempotently, so it starts after the last acknowledged one.
      applied = acked_through;
      continue;
    }
    const testing::PowerLoss loss = testing::CutToSyncedSizes(data, journal);
    // Steps whose acknowledgement came before this moment must survive, whatever the mode.
    uint64_t must_survive = acked_through;
    if (!sync) {
      must_survive = applied;
      for (size_t i = 0; i < run.ack_times.size(); ++i) {
        if (run.killed - run.ack_times[i] > kGroupCommitWindow) must_survive = applied + i + 1;
      }
    }

    absl::StatusOr<std::unique_ptr<Database>> db = OpenToCheck(data);
    ASSERT_TRUE(db.ok()) << "round " << round << " (" << loss.files_cut << " files cut, "
                         << loss.bytes_dropped << " bytes dropped): " << db.status();
    absl::StatusOr<std::shared_ptr<Collection>> collection =
        (*db)->GetCollection(crash::kCollection);
    ASSERT_TRUE(collection.ok()) << "round " << round << ": " << collection.status();
    // The surviving state is the state after some whole number of steps in
    // [must_survive, acked_through + 1]; only those with the right count are compared in full.
    const size_t count = (*collection)->Describe().count;
    std::map<uint64_t, uint64_t> state = crash::StateAfter(must_survive);
    int64_t found = -1;
    for (uint64_t n = must_survive; n <= acked_through + 1 && found < 0; ++n) {
      if (state.size() == count && HoldsExactly(**collection, state)) found = n;
      const crash::Step step = crash::MakeStep(n);
      for (uint64_t id : step.upsert_ids) state[id] = n;
      for (uint64_t id : step.delete_ids) state.erase(id);
    }
    ASSERT_GE(found, 0) << "round " << round << " (" << (sync ? "sync" : "group-commit")
                        << "): the state is not that of a whole number of steps in ["
                        << must_survive << ", " << acked_through + 1 << "]; " << loss.files_cut
                        << " files cut, " << loss.bytes_dropped << " bytes dropped";
    if (!sync && static_cast<uint64_t>(found) < acked_through) {
      lost_group_commit += acked_through - found;
      const size_t first_lost = found - applied;
      worst_loss_window =
          std::max(worst_loss_window, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          run.killed - run.ack_times[first_lost]));
    }
    applied = found;
    // A clean close (the collection holds the store open too): everything is on disk, and no
    // background work of this process writes after the journal is restarted.
    collection->reset();
    db->reset();
    testing::MarkAllDurable(data, journal);
  }
  std::printf(
      "%d power cuts (and %d process crashes): %lu steps acknowledged, %lu of them (group "
      "commit) lost; the oldest lost acknowledgement came %ld ms before the cut\n",
      power_rounds - power_rounds / 4, power_rounds / 4,
      static_cast<unsigned long>(acknowledged_in_all),
      static_cast<unsigned long>(lost_group_commit), static_cast<long>(worst_loss_window.count()));
}

TEST(CrashRecoveryTest, PowerLossKeepsEverySyncedStepWhole) {
  PowerLossRounds(16, nullptr, 20261202);
}

// Ingested table files reach the database by a link, synced before the upsert returns.
TEST(CrashRecoveryTest, PowerLossKeepsEverySyncedBulkIngestionWhole) {
  PowerLossRounds(8, "ingest", 20261206);
}

}  // namespace
}  // namespace tqdb
