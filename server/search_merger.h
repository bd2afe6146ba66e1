// Concurrent single-query searches merged into batches, the way a database's write path groups
// concurrent commits (RocksDB's write thread, PostgreSQL's group commit): a query that finds a
// free slot runs at once, with whatever queries of the same key wait; a query that finds every
// slot busy waits, and the next slot to free takes all the queries of its key that wait, as one
// batch. So nothing waits while a slot is free (no timer adds latency at low load), and under
// load each collection's queries go through the engine's batch path (lists and blocks read once
// for all of them) instead of one at a time. Waiting callers hold their threads (on a server
// alone, gRPC's callback threads).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tqdb/collection.h"
#include "tqdb/mutex.h"

namespace tqdb::server {

struct SearchMergerOptions {
  // Merged batches running at once, over every key (the server's search threads): each runs on
  // its caller's thread alone. 0: never merge (every query runs at once on its own).
  int slots = 1;
  // Queries in one batch at most. Batches stay below the coarse quantizer's matrix-product size
  // (64 rows), so a merged query's lists are chosen by the same arithmetic as alone.
  size_t max_queries = 32;
};

class SearchMerger {
 public:
  using Hits = std::vector<Record>;
  // Searches row-major queries (dim floats each) as one batch: a collection's SearchBatch with
  // the options every query of the key shares.
  using BatchFn = absl::FunctionRef<absl::StatusOr<std::vector<Hits>>(absl::Span<const float>)>;

  explicit SearchMerger(const SearchMergerOptions& options) : options_(options) {}

  // False when every query runs alone (slots 0): callers can skip building keys.
  bool enabled() const { return options_.slots > 0; }

  // The hits of `query` (one query of the collection's dimension), searched in a batch with
  // other queries under the same `key`, which must name the collection and every option that
  // changes a result. A batch that fails is retried query by query, so each caller gets its
  // own query's error (a NaN in one query fails only that one).
  absl::StatusOr<Hits> Search(const std::string& key, absl::Span<const float> query,
                              BatchFn run_batch);

  struct Counts {
    uint64_t batches = 0;  // batches run, a query alone counting as one
    uint64_t queries = 0;
  };
  Counts counts() const;
  // Queries waiting for a slot now.
  size_t waiting() const;

 private:
  struct Waiter {
    absl::Span<const float> query;
    bool done = false;
    absl::StatusOr<Hits> hits;
  };
  // Runs `group` as one batch on this thread and hands each waiter its hits.
  void RunGroup(const std::vector<Waiter*>& group, BatchFn run_batch);

  const SearchMergerOptions options_;
  // std primitives underneath (tqdb/mutex.h), which ThreadSanitizer sees through.
  mutable Mutex mu_;
  std::condition_variable_any changed_;  // a batch finished: a slot is free, some waiters done
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::deque<Waiter*>> waiting_ ABSL_GUARDED_BY(mu_);
  size_t waiting_count_ ABSL_GUARDED_BY(mu_) = 0;
  Counts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tqdb::server
