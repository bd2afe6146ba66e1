#include "metrics_http.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "transport_security.h"

namespace tqdb::server {
namespace {

constexpr const char* kPath = "/metrics";
constexpr const char* kTextFormat = "text/plain; version=0.0.4; charset=utf-8";

void MethodNotAllowed(const httplib::Request&, httplib::Response& response) {
  response.status = 405;
  response.set_header("Allow", "GET, HEAD");
  response.set_content("405 method not allowed: /metrics answers GET and HEAD\n", "text/plain");
}

}  // namespace

MetricsHttpServer::MetricsHttpServer(std::function<std::string()> render,
                                     const MetricsHttpOptions& options)
    : render_(std::move(render)), options_(options) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::StatusOr<int> MetricsHttpServer::Start(const std::string& listen) {
  absl::StatusOr<HostPort> address = ParseHostPort(listen, "--metrics_listen");
  if (!address.ok()) return address.status();
  const std::string& host = address->host;
  const int port = address->port;
  http_ = std::make_unique<httplib::Server>();
  const int workers = std::max(1, options_.workers);
  http_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http_->set_read_timeout(std::chrono::milliseconds(options_.read_timeout_ms));
  http_->set_write_timeout(std::chrono::seconds(5));
  http_->set_keep_alive_timeout(options_.keep_alive_seconds);
  http_->set_payload_max_length(0);  // a scrape has no body; any body is refused (413)
  http_->Get(kPath, [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(render_(), kTextFormat);
  });
  http_->Post(kPath, MethodNotAllowed);
  http_->Put(kPath, MethodNotAllowed);
  http_->Patch(kPath, MethodNotAllowed);
  http_->Delete(kPath, MethodNotAllowed);
  http_->Options(kPath, MethodNotAllowed);
  // Errors (404, 400, 413, ...) get a short plain body; a handler's exception becomes a 500.
  http_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.body.empty()) {
      response.set_content(
          absl::StrCat(response.status, ": this endpoint serves GET /metrics only\n"),
          "text/plain");
    }
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        response.status = 500;
        response.set_content("500 internal error\n", "text/plain");
      });
  const int bound =
      port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    http_.reset();
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen,
                                               ": the address is in use or not of this machine"));
  }
  serving_ = std::thread([this] { http_->listen_after_bind(); });
  return bound;
}

void MetricsHttpServer::Stop() {
  if (http_ == nullptr) return;
  http_->stop();
  if (serving_.joinable()) serving_.join();
  http_.reset();
}

}  // namespace tqdb::server
