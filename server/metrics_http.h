// The HTTP endpoint that serves Prometheus text at GET /metrics, on cpp-httplib (Debian's
// libcpp-httplib-dev).
//
// It replaces prometheus-cpp's exposer, whose civetweb (Debian 1.15) crashed the whole server
// on an error page (`GET /`, `HEAD /metrics`, PROPFIND, ...; prometheus-cpp issue #739). Every
// request it does not serve gets an answer instead: 404 for other paths, 405 for other methods
// on /metrics, 413 for a body, 400 for what does not parse. Connections are bounded in time
// (a half-sent request is dropped after `read_timeout_ms`), so idle clients cannot hold the
// workers a scrape needs for long.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace tqdb::server {

struct MetricsHttpOptions {
  int workers = 16;            // connections served at once; more wait in a queue
  int read_timeout_ms = 1000;  // a request must arrive within it, headers and all
  int keep_alive_seconds = 2;  // an idle kept-alive connection is closed after it
};

class MetricsHttpServer {
 public:
  // `render` returns the Prometheus text of one scrape; it is called from worker threads.
  explicit MetricsHttpServer(std::function<std::string()> render,
                             const MetricsHttpOptions& options = {});
  ~MetricsHttpServer();

  // Binds `listen` (HOST:PORT, port 0 picks one), starts serving in the background and returns
  // the port bound.
  absl::StatusOr<int> Start(const std::string& listen);
  // Stops accepting and waits for the serving thread; idempotent.
  void Stop();

 private:
  std::function<std::string()> render_;
  MetricsHttpOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread serving_;
};

}  // namespace tqdb::server
