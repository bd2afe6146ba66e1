#include "search_merger.h"

#include <omp.h>

#include <algorithm>
#include <utility>

namespace tqdb::server {
namespace {

// A merged batch runs on its caller's thread only (OpenMP's thread count is per thread): the
// other slots' batches have the other cores, and teams of every slot would oversubscribe them.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : before_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~OneOpenMpThread() { omp_set_num_threads(before_); }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int before_;
};

// One query searched as a batch of one.
absl::StatusOr<SearchMerger::Hits> SearchAlone(SearchMerger::BatchFn run_batch,
                                               absl::Span<const float> query) {
  absl::StatusOr<std::vector<SearchMerger::Hits>> alone = run_batch(query);
  if (!alone.ok()) return alone.status();
  return std::move((*alone)[0]);
}

}  // namespace

absl::StatusOr<SearchMerger::Hits> SearchMerger::Search(const std::string& key,
                                                        absl::Span<const float> query,
                                                        BatchFn run_batch) {
  if (options_.slots <= 0) return SearchAlone(run_batch, query);
  Waiter me;
  me.query = query;
  MutexLock lock(mu_);
  waiting_[key].push_back(&me);
  ++waiting_count_;
  while (!me.done) {
    auto queue = waiting_.find(key);
    if (running_ < options_.slots && queue != waiting_.end()) {
      // Lead the oldest waiters of this key (this caller among them unless more wait than one
      // batch takes; then it leads again, or is served, next).
      std::deque<Waiter*>& waiters = queue->second;
      const size_t take = std::min(waiters.size(), std::max<size_t>(options_.max_queries, 1));
      std::vector<Waiter*> group(waiters.begin(), waiters.begin() + take);
      waiters.erase(waiters.begin(), waiters.begin() + take);
      if (waiters.empty()) waiting_.erase(queue);
      waiting_count_ -= take;
      ++running_;
      mu_.unlock();
      RunGroup(group, run_batch);
      mu_.lock();
      --running_;
      ++counts_.batches;
      counts_.queries += group.size();
      for (Waiter* waiter : group) waiter->done = true;
      changed_.notify_all();
      continue;
    }
    changed_.wait(mu_);
  }
  return std::move(me.hits);
}

void SearchMerger::RunGroup(const std::vector<Waiter*>& group, BatchFn run_batch) {
  if (group.size() == 1) {  // alone: as an unmerged search, free to spread over threads
    group[0]->hits = SearchAlone(run_batch, group[0]->query);
    return;
  }
  const OneOpenMpThread one_thread;
  const size_t dim = group[0]->query.size();
  std::vector<float> rows(group.size() * dim);
  for (size_t i = 0; i < group.size(); ++i) {
    std::copy(group[i]->query.begin(), group[i]->query.end(), rows.begin() + i * dim);
  }
  absl::StatusOr<std::vector<Hits>> batch = run_batch(rows);
  for (size_t i = 0; i < group.size(); ++i) {
    if (batch.ok()) {
      group[i]->hits = std::move((*batch)[i]);
      continue;
    }
    group[i]->hits = SearchAlone(run_batch, group[i]->query);
  }
}

size_t SearchMerger::waiting() const {
  MutexLock lock(mu_);
  return waiting_count_;
}

SearchMerger::Counts SearchMerger::counts() const {
  MutexLock lock(mu_);
  return counts_;
}

}  // namespace tqdb::server
