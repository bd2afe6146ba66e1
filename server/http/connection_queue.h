// The HTTP server's connections: `workers` served at once, up to `waiting` more queued for a
// worker; past that a connection is still read, but on a separate small pool and only to be told
// 503 (UNAVAILABLE) and closed, so a flood of connections cannot queue without bound behind
// slow requests. cpp-httplib's task queue cannot drop a connection without serving it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>

namespace tqdb::server {

class ConnectionQueue final : public httplib::TaskQueue {
 public:
  // `after_connection` runs on the connection's thread once it is closed.
  ConnectionQueue(size_t workers, size_t waiting, std::function<void()> after_connection)
      : limit_(workers + waiting),
        after_connection_(std::move(after_connection)),
        served_(workers),
        refused_(2) {}

  void enqueue(std::function<void()> connection) override {
    if (pending_.fetch_add(1) >= limit_) {
      pending_.fetch_sub(1);
      refused_.enqueue([this, connection = std::move(connection)] {
        refusing_ = true;
        connection();
        refusing_ = false;
        after_connection_();
      });
      return;
    }
    served_.enqueue([this, connection = std::move(connection)] {
      connection();
      after_connection_();
      pending_.fetch_sub(1);
    });
  }
  void shutdown() override {
    served_.shutdown();
    refused_.shutdown();
  }

  // True on a thread that is serving a connection past the limit.
  static bool Refusing() { return refusing_; }

 private:
  const size_t limit_;
  const std::function<void()> after_connection_;
  std::atomic<size_t> pending_{0};
  httplib::ThreadPool served_;
  httplib::ThreadPool refused_;
  static inline thread_local bool refusing_ = false;
};

}  // namespace tqdb::server
