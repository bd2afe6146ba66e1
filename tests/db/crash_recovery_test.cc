// Crash safety, for real: a child process (crash_writer) performs crash_model steps and reports
// each acknowledged one through a pipe; the test kills it with SIGKILL at a random moment,
// reopens the directory and checks that every acknowledged step is there, exactly, and that the
// one step in flight is either wholly present or wholly absent.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "crash_model.h"
#include "gtest/gtest.h"
#include "stored_code_check.h"
#include "test_util.h"
#include "tqdb/database.h"

namespace tqdb {
namespace {

constexpr int kRounds = 24;

struct ChildRun {
  int64_t last_acked = -1;  // -1: nothing acknowledged
  std::string stderr_text;
};

// Starts crash_writer, kills it with SIGKILL `delay` after its first acknowledgement (or after
// its start, when `during_startup`, to hit recovery itself) and returns what it acknowledged.
ChildRun RunAndKill(const std::string& dir, uint64_t first_step, const char* durability,
                    bool during_startup, std::chrono::milliseconds delay) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  const std::string first = std::to_string(first_step);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(TQDB_CRASH_WRITER, TQDB_CRASH_WRITER, dir.c_str(), first.c_str(), durability, nullptr);
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
  auto records = collection.Get(ids.empty() ? std::vector<uint64_t>{0} : ids, true, true);
  if (!records.ok()) return ::testing::AssertionFailure() << records.status();
  const testing::StoredCodeCheck stored_codes(collection);
  size_t i = 0;
  for (const auto& [id, step] : state) {
    const Record& r = (*records)[i++];
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

TEST(CrashRecoveryTest, SigkillNeverLosesAnAcknowledgedStepNorShowsHalfOfOne) {
  testing::ScopedTempDir dir;
  const CollectionConfig config =
      MakeCollectionConfig(crash::kCollection, crash::kDim, crash::kBits);
  std::mt19937_64 gen(20261122);
  std::uniform_int_distribution<int> delay_ms(0, 60);
  uint64_t applied = 0;  // steps [0, applied) are in the database
  int rounds_with_acks = 0;
  for (int round = 0; round < kRounds; ++round) {
    const char* durability = round % 2 == 0 ? "sync" : "group-commit";
    const bool during_startup = round % 4 == 3;
    const ChildRun run = RunAndKill(dir.path(), applied, durability, during_startup,
                                    std::chrono::milliseconds(delay_ms(gen)));
    const uint64_t acked_through = run.last_acked < 0 ? applied : run.last_acked + 1;
    rounds_with_acks += run.last_acked >= 0;

    DatabaseOptions options;
    options.segment_target_bytes = 8 << 10;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir.path(), options);
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status();
    absl::StatusOr<std::shared_ptr<Collection>> collection =
        (*db)->GetCollection(crash::kCollection);
    if (!collection.ok()) {
      // Killed before the collection was created: nothing can have been acknowledged.
      ASSERT_EQ(acked_through, 0) << collection.status();
      continue;
    }
    // Every acknowledged step is there; the step in flight may have landed, whole.
    if (HoldsExactly(**collection, crash::StateAfter(acked_through))) {
      applied = acked_through;
    } else {
      ASSERT_TRUE(HoldsExactly(**collection, crash::StateAfter(acked_through + 1)))
          << "round " << round << " (" << durability << "): state after " << acked_through
          << " acknowledged steps is neither that nor one more step";
      applied = acked_through + 1;
    }
  }
  EXPECT_GE(rounds_with_acks, kRounds * 3 / 4) << "the writer was rarely killed mid-work";
  std::printf("%d kills, %lu steps applied in all\n", kRounds, static_cast<unsigned long>(applied));
}

}  // namespace
}  // namespace tqdb
