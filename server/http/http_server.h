// The HTTP/1.1 server of the JSON API (--http_listen), on cpp-httplib (Debian's
// libcpp-httplib-dev, already the metrics endpoint's server; Boost.Beast would mean writing the
// connection handling ourselves). It serves a route table (http_route.h) and enforces what the
// gRPC port does: TLS from the same files, the non-loopback rule, API keys (an unknown key is
// refused from the headers, before the body is read), request and response size limits, a bound
// on the memory of bodies in flight, time limits on slow clients and a bound on connections.
// Every error is JSON (http_status.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "api_keys.h"
#include "http_route.h"
#include "transport_security.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace tqdb::server {

struct HttpOptions {
  TransportOptions transport;                     // listen address, TLS files, API keys, --insecure
  size_t max_request_bytes = size_t{64} << 20;    // larger bodies: 413
  size_t max_response_bytes = size_t{64} << 20;   // larger answers: RESOURCE_EXHAUSTED
  size_t request_memory_bytes = size_t{1} << 30;  // bodies being read or handled, together
  int workers = 16;                               // connections served at once
  int waiting_connections = 256;                  // queued for a worker; past them: 503
  int read_timeout_seconds = 10;  // a stalled read (headers or body) closes the connection
  int write_timeout_seconds = 10;
  int keep_alive_seconds = 5;  // an idle kept-alive connection is closed after it
  // Called once per request answered: route ("POST /collections/{name}/points/search", or
  // "unknown"), HTTP status and seconds from its headers to its answer.
  std::function<void(const std::string&, int, double)> observe;
};

class HttpServer {
 public:
  HttpServer(std::vector<Route> routes, HttpOptions options);
  ~HttpServer();

  // Binds (port 0 picks one), starts serving in the background and returns the port bound;
  // an error names the cause (address in use, a TLS file, the non-loopback rule).
  absl::StatusOr<int> Start();
  // Stops accepting, finishes the requests in flight; idempotent.
  void Stop();

 private:
  void Install();
  // Before a request's body is read: its route (404, 405), the connection bound (503), its key
  // (401) and, reserving its announced body when `reserve`, the memory of bodies in flight
  // (429). False when `response` holds the refusal.
  bool Admit(const httplib::Request& request, httplib::Response& response, bool reserve);
  const std::vector<Route> routes_;
  const HttpOptions options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread serving_;
  std::atomic<size_t> body_bytes_in_flight_{0};
};

}  // namespace tqdb::server
