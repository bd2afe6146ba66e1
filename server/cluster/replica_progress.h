// How far each replica of a shard has applied the primary's log (issue 34): reported on the log
// stream (ShardTransfer.StreamLog) as the replica syncs what it was sent, and waited on by a
// write that must be held by the in-sync replicas before it is acknowledged.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "tqdb/mutex.h"

namespace tqdb::cluster {

class ReplicaProgress {
 public:
  // `node` holds the log through `applied` (its reports only grow), the whole log when
  // `whole_log` (the owner's latest sequence when the report arrived).
  void Report(const std::string& node, uint64_t applied, bool whole_log) {
    {
      MutexLock lock(mu_);
      if (whole_log) caught_up_at_[node] = std::chrono::steady_clock::now();
      uint64_t& known = applied_[node];
      if (applied <= known) return;
      known = applied;
    }
    changed_.notify_all();
  }
  // Seconds since `node` last reported holding the whole log, given that it is `behind` now (0
  // when it is not behind; since the owner started when it never did).
  double SecondsBehind(const std::string& node, uint64_t behind) const {
    if (behind == 0) return 0;
    MutexLock lock(mu_);
    const auto it = caught_up_at_.find(node);
    const auto since = it == caught_up_at_.end() ? started_ : it->second;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  }
  // The last sequence `node` reported; 0 for none.
  uint64_t Of(const std::string& node) const {
    MutexLock lock(mu_);
    const auto it = applied_.find(node);
    return it == applied_.end() ? 0 : it->second;
  }
  // Waits until each of `nodes` holds the log through `sequence`, or until `deadline`; returns
  // the nodes that do not by then (empty: all do).
  std::vector<std::string> WaitFor(absl::Span<const std::string> nodes, uint64_t sequence,
                                   std::chrono::steady_clock::time_point deadline) const {
    MutexLock lock(mu_);
    std::vector<std::string> late = Behind(nodes, sequence);
    while (!late.empty() && changed_.wait_until(mu_, deadline) != std::cv_status::timeout) {
      late = Behind(nodes, sequence);
    }
    return Behind(nodes, sequence);
  }

 private:
  std::vector<std::string> Behind(absl::Span<const std::string> nodes, uint64_t sequence) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> late;
    for (const std::string& node : nodes) {
      const auto it = applied_.find(node);
      if (it == applied_.end() || it->second < sequence) late.push_back(node);
    }
    return late;
  }

  mutable Mutex mu_;
  mutable std::condition_variable_any changed_;
  std::map<std::string, uint64_t> applied_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::chrono::steady_clock::time_point> caught_up_at_ ABSL_GUARDED_BY(mu_);
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace tqdb::cluster
