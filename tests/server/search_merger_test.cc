// SearchMerger (server/search_merger.h) with a stand-in for a collection's SearchBatch: every
// caller gets its own query's hits, queries that wait while the slots are busy run together, and
// nothing waits while a slot is free. Also under ThreadSanitizer.
#include "search_merger.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tqdb::server {
namespace {

constexpr size_t kDim = 4;

// A one-shot signal on std primitives, which ThreadSanitizer sees (Debian's Abseil is not built
// with it, so Notification's ordering would be invisible to it).
class Notification {
 public:
  void Notify() {
    std::lock_guard lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard lock(mu_);
    return notified_;
  }
  void WaitForNotification() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// Queries whose first value is their number; a query's one hit carries that number as its id,
// and a negative number is refused (the batch fails, as a NaN fails a collection's batch).
class FakeCollection {
 public:
  absl::StatusOr<std::vector<SearchMerger::Hits>> SearchBatch(absl::Span<const float> rows) {
    {
      std::lock_guard lock(mu_);
      batch_sizes_.push_back(rows.size() / kDim);
    }
    if (first_batch_started_ != nullptr && !first_batch_started_->HasBeenNotified()) {
      first_batch_started_->Notify();
      release_first_batch_->WaitForNotification();
    }
    std::vector<SearchMerger::Hits> hits;
    for (size_t q = 0; q < rows.size() / kDim; ++q) {
      if (rows[q * kDim] < 0) return absl::InvalidArgumentError("negative query");
      Record hit;
      hit.id = static_cast<uint64_t>(rows[q * kDim]);
      hit.score = rows[q * kDim + 1];
      hits.push_back({hit});
    }
    return hits;
  }

  std::vector<size_t> batch_sizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }

  // The first batch holds its slot until released.
  Notification* first_batch_started_ = nullptr;
  Notification* release_first_batch_ = nullptr;

 private:
  std::mutex mu_;
  std::vector<size_t> batch_sizes_;
};

std::vector<float> Query(int number) { return {static_cast<float>(number), 0.5f * number, 0, 0}; }

absl::StatusOr<SearchMerger::Hits> SearchVia(SearchMerger& merger, FakeCollection& collection,
                                             const std::string& key, int number) {
  const std::vector<float> query = Query(number);
  return merger.Search(key, query,
                       [&](absl::Span<const float> rows) { return collection.SearchBatch(rows); });
}

// Starts `count` callers numbered from `first` while `collection`'s first batch holds the one
// slot, waits until `merger` has them all waiting, then lets the first batch finish.
std::vector<absl::StatusOr<SearchMerger::Hits>> SearchBehindABusySlot(
    SearchMerger& merger, FakeCollection& collection, const std::vector<std::string>& keys,
    int count) {
  Notification started, release;
  collection.first_batch_started_ = &started;
  collection.release_first_batch_ = &release;
  std::vector<absl::StatusOr<SearchMerger::Hits>> results(count + 1);
  std::vector<std::thread> callers;
  callers.emplace_back([&] { results[0] = SearchVia(merger, collection, keys[0], 0); });
  started.WaitForNotification();
  for (int i = 1; i <= count; ++i) {
    callers.emplace_back(
        [&, i] { results[i] = SearchVia(merger, collection, keys[i % keys.size()], i); });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (merger.waiting() < static_cast<size_t>(count) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(merger.waiting(), static_cast<size_t>(count));
  release.Notify();
  for (std::thread& caller : callers) caller.join();
  return results;
}

void ExpectOwnHits(const absl::StatusOr<SearchMerger::Hits>& hits, int number) {
  ASSERT_TRUE(hits.ok()) << "query " << number << ": " << hits.status();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, static_cast<uint64_t>(number));
  EXPECT_EQ((*hits)[0].score, 0.5f * number);
}

TEST(SearchMergerTest, QueriesThatWaitForABusySlotRunAsOneBatch) {
  SearchMerger merger({.slots = 1, .max_queries = 32});
  FakeCollection collection;
  const auto results = SearchBehindABusySlot(merger, collection, {"docs"}, 9);
  for (int i = 0; i <= 9; ++i) ExpectOwnHits(results[i], i);
  EXPECT_EQ(collection.batch_sizes(), (std::vector<size_t>{1, 9}));
  EXPECT_EQ(merger.counts().batches, 2u);
  EXPECT_EQ(merger.counts().queries, 10u);
  EXPECT_EQ(merger.waiting(), 0u);
}

TEST(SearchMergerTest, ABatchTakesAtMostItsLimitAndTheRestFollow) {
  SearchMerger merger({.slots = 1, .max_queries = 4});
  FakeCollection collection;
  const auto results = SearchBehindABusySlot(merger, collection, {"docs"}, 10);
  for (int i = 0; i <= 10; ++i) ExpectOwnHits(results[i], i);
  EXPECT_EQ(collection.batch_sizes(), (std::vector<size_t>{1, 4, 4, 2}));
}

TEST(SearchMergerTest, QueriesOfDifferentKeysAreNeverMerged) {
  SearchMerger merger({.slots = 1, .max_queries = 32});
  FakeCollection collection;
  // Callers 1..6 alternate between two keys (caller i uses keys[i % 2]).
  const auto results = SearchBehindABusySlot(merger, collection, {"a", "b"}, 6);
  for (int i = 0; i <= 6; ++i) ExpectOwnHits(results[i], i);
  std::vector<size_t> sizes = collection.batch_sizes();
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(sizes[0], 1u);
  EXPECT_EQ(sizes[1], 3u);
  EXPECT_EQ(sizes[2], 3u);
}

TEST(SearchMergerTest, AFailedQueryFailsOnlyItsOwnCall) {
  SearchMerger merger({.slots = 1, .max_queries = 32});
  FakeCollection collection;
  Notification started, release;
  collection.first_batch_started_ = &started;
  collection.release_first_batch_ = &release;
  std::vector<absl::StatusOr<SearchMerger::Hits>> results(5);
  std::vector<std::thread> callers;
  callers.emplace_back([&] { results[0] = SearchVia(merger, collection, "docs", 0); });
  started.WaitForNotification();
  for (int i = 1; i <= 4; ++i) {
    callers.emplace_back(
        [&, i] { results[i] = SearchVia(merger, collection, "docs", i == 3 ? -1 : i); });
  }
  while (merger.waiting() < 4) absl::SleepFor(absl::Milliseconds(1));
  release.Notify();
  for (std::thread& caller : callers) caller.join();
  for (int i : {0, 1, 2, 4}) ExpectOwnHits(results[i], i);
  EXPECT_EQ(results[3].status().code(), absl::StatusCode::kInvalidArgument);
  // The merged batch of four failed, then each of its queries ran alone.
  EXPECT_EQ(collection.batch_sizes(), (std::vector<size_t>{1, 4, 1, 1, 1, 1}));
}

TEST(SearchMergerTest, NothingWaitsWhileASlotIsFree) {
  // Two slots and callers one after another: each runs alone, at once.
  SearchMerger merger({.slots = 2, .max_queries = 32});
  FakeCollection collection;
  for (int i = 0; i < 5; ++i) ExpectOwnHits(SearchVia(merger, collection, "docs", i), i);
  EXPECT_EQ(collection.batch_sizes(), std::vector<size_t>(5, 1));
}

TEST(SearchMergerTest, WithoutSlotsEveryQueryRunsAlone) {
  SearchMerger merger({.slots = 0, .max_queries = 32});
  FakeCollection collection;
  std::vector<std::thread> callers;
  std::vector<absl::StatusOr<SearchMerger::Hits>> results(8);
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] { results[i] = SearchVia(merger, collection, "docs", i); });
  }
  for (std::thread& caller : callers) caller.join();
  for (int i = 0; i < 8; ++i) ExpectOwnHits(results[i], i);
  EXPECT_EQ(collection.batch_sizes(), std::vector<size_t>(8, 1));
}

TEST(SearchMergerTest, ManyCallersOnTwoSlotsEachGetTheirOwnHits) {
  SearchMerger merger({.slots = 2, .max_queries = 8});
  FakeCollection collection;
  constexpr int kCallers = 16, kEach = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int j = 0; j < kEach; ++j) {
        const int number = c * kEach + j;
        absl::StatusOr<SearchMerger::Hits> hits =
            SearchVia(merger, collection, c % 2 == 0 ? "a" : "b", number);
        if (!hits.ok() || hits->size() != 1 || (*hits)[0].id != static_cast<uint64_t>(number)) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(merger.counts().queries, static_cast<uint64_t>(kCallers * kEach));
  for (size_t size : collection.batch_sizes()) EXPECT_LE(size, 8u);
}

}  // namespace
}  // namespace tqdb::server
