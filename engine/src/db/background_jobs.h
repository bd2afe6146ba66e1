// The thread a collection's background work runs on, one job at a time, and the backoff its
// jobs share: after a failed job the next waits until the collection has grown by a quarter (at
// least 1,000 vectors), so a job that cannot succeed (too little memory, a full disk) is not
// retried on every write. The owner guards it with its write lock; Release hands the thread out
// to be joined without that lock (a job takes it to commit).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <thread>
#include <utility>

namespace tqdb {

class BackgroundJobs {
 public:
  BackgroundJobs() = default;
  BackgroundJobs(const BackgroundJobs&) = delete;
  BackgroundJobs& operator=(const BackgroundJobs&) = delete;
  ~BackgroundJobs() {
    if (thread_.joinable()) thread_.join();
  }

  // Whether a job may start at `size` vectors (not before the backoff has passed).
  bool Ready(size_t size) const { return size >= retry_at_; }
  // A job failed at `size` vectors: the next waits for a quarter more.
  void Failed(size_t size) { retry_at_ = size + std::max<size_t>(size / 4, 1000); }

  // Runs `job` on the background thread. The caller knows the last job has finished its work
  // (it has left every lock), so joining its thread here does not wait.
  void Start(std::function<void()> job) {
    if (thread_.joinable()) thread_.join();
    thread_ = std::thread(std::move(job));
  }
  // The running (or finished) job's thread, for the owner to join without its lock.
  std::thread Release() { return std::move(thread_); }

 private:
  std::thread thread_;
  size_t retry_at_ = 0;
};

}  // namespace tqdb
