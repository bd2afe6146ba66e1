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
  // `node` holds the log through `applied` (its reports only grow).
  void Report(const std::string& node, uint64_t applied) {
    {
      MutexLock lock(mu_);
      uint64_t& known = applied_[node];
      if (applied <= known) return;
      known = applied;
    }
    changed_.notify_all();
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
};

}  // namespace tqdb::cluster
