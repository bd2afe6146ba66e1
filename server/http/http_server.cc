#include "http_server.h"

#include <httplib.h>

#include <chrono>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "connection_queue.h"
#include "http_status.h"

namespace tqdb::server {
namespace {

using Clock = std::chrono::steady_clock;

// What this thread's current request holds: the body bytes reserved for it, when it started
// and its route's label (one connection, hence one request at a time, per worker thread).
thread_local size_t reserved_bytes = 0;
thread_local Clock::time_point started;
thread_local std::string route_label;

// "Authorization: Bearer <key>", or Qdrant's "api-key: <key>" header.
std::string Authorization(const httplib::Request& request) {
  if (request.has_header("Authorization")) return request.get_header_value("Authorization");
  if (request.has_header("api-key")) return "Bearer " + request.get_header_value("api-key");
  return "";
}

void AnswerError(httplib::Response& response, const absl::Status& status) {
  response.status = HttpStatusOf(status.code());
  response.set_content(ErrorJson(status), "application/json");
}

// An answer before the body is read: the connection closes, since the unread body would
// otherwise be taken for the next request.
httplib::Server::HandlerResponse RefuseEarly(httplib::Response& response,
                                             const absl::Status& status) {
  AnswerError(response, status);
  response.set_header("Connection", "close");
  return httplib::Server::HandlerResponse::Handled;
}

// The body size a request announces; a chunked body counts as the largest allowed.
size_t AnnouncedBodyBytes(const httplib::Request& request, size_t max_bytes) {
  size_t length = 0;
  if (request.has_header("Content-Length") &&
      absl::SimpleAtoi(request.get_header_value("Content-Length"), &length)) {
    return std::min(length, max_bytes);
  }
  return request.has_header("Transfer-Encoding") ? max_bytes : 0;
}

}  // namespace

HttpServer::HttpServer(std::vector<Route> routes, HttpOptions options)
    : routes_(std::move(routes)), options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<int> HttpServer::Start() {
  const TransportOptions& transport = options_.transport;
  if (absl::Status checked = CheckTransport(transport, "--http_listen"); !checked.ok()) {
    return checked;
  }
  absl::StatusOr<HostPort> address = ParseHostPort(transport.listen, "--http_listen");
  if (!address.ok()) return address.status();
  if (transport.cert_file.empty()) {
    http_ = std::make_unique<httplib::Server>();
  } else {
    http_ = std::make_unique<httplib::SSLServer>(
        transport.cert_file.c_str(), transport.key_file.c_str(),
        transport.client_ca_file.empty() ? nullptr : transport.client_ca_file.c_str());
    if (!http_->is_valid()) {
      http_.reset();
      return absl::InvalidArgumentError("the HTTP port cannot use the TLS certificate and key");
    }
  }
  Install();
  const int bound = address->port == 0
                        ? http_->bind_to_any_port(address->host)
                        : (http_->bind_to_port(address->host, address->port) ? address->port : -1);
  if (bound <= 0) {
    http_.reset();
    return absl::UnavailableError(absl::StrCat("cannot serve HTTP on ", transport.listen,
                                               ": the address is in use or not of this machine"));
  }
  serving_ = std::thread([this] { http_->listen_after_bind(); });
  return bound;
}

void HttpServer::Stop() {
  if (http_ == nullptr) return;
  http_->stop();
  if (serving_.joinable()) serving_.join();
  http_.reset();
}

bool HttpServer::Admit(const httplib::Request& request, httplib::Response& response, bool reserve) {
  auto refuse = [&](const absl::Status& status) {
    RefuseEarly(response, status);
    return false;
  };
  if (ConnectionQueue::Refusing()) {
    return refuse(absl::UnavailableError(
        absl::StrCat("the server is serving ", options_.workers, " and queuing ",
                     options_.waiting_connections, " HTTP connections, its limit; retry later")));
  }
  std::vector<std::string> params;
  bool path_known = false;
  const Route* route = MatchRoute(routes_, request.method, request.path, &params, &path_known);
  if (route == nullptr && !path_known) {
    return refuse(absl::NotFoundError(absl::StrCat("no route ", request.method, " ", request.path,
                                                   "; the routes are described at /openapi.json")));
  }
  if (route == nullptr) {
    const std::string allowed = AllowedMethods(routes_, request.path);
    response.set_header("Connection", "close");
    response.status = 405;
    response.set_header("Allow", allowed);
    response.set_content(
        ErrorJson(405, absl::StrCat(request.path, " answers ", allowed, ", not ", request.method)),
        "application/json");
    return false;
  }
  route_label = absl::StrCat(route->method, " ", route->pattern);
  if (route->needs_key && options_.transport.api_keys != nullptr) {
    absl::StatusOr<std::shared_ptr<const ApiKey>> key =
        options_.transport.api_keys->Authenticate(Authorization(request));
    if (!key.ok()) return refuse(key.status());
  }
  const size_t body = AnnouncedBodyBytes(request, options_.max_request_bytes);
  if (body_bytes_in_flight_.fetch_add(body) + body > options_.request_memory_bytes) {
    body_bytes_in_flight_.fetch_sub(body);
    return refuse(absl::ResourceExhaustedError(absl::StrCat(
        "the bodies of the requests in flight would pass ", options_.request_memory_bytes >> 20,
        " MiB (--request_memory_mb); retry later")));
  }
  if (reserve) {
    reserved_bytes = body;
  } else {
    body_bytes_in_flight_.fetch_sub(body);  // only asked; the request itself reserves
  }
  return true;
}

void HttpServer::Install() {
  auto release = [this] {
    body_bytes_in_flight_.fetch_sub(reserved_bytes);
    reserved_bytes = 0;
  };
  const size_t workers = static_cast<size_t>(std::max(1, options_.workers));
  const size_t waiting = static_cast<size_t>(std::max(0, options_.waiting_connections));
  http_->new_task_queue = [=] { return new ConnectionQueue(workers, waiting, release); };
  http_->set_read_timeout(options_.read_timeout_seconds, 0);
  http_->set_write_timeout(options_.write_timeout_seconds, 0);
  http_->set_keep_alive_timeout(options_.keep_alive_seconds);
  http_->set_payload_max_length(options_.max_request_bytes);
  // A small answer goes out at once: without it Nagle holds the body behind the headers until
  // the client's delayed ACK (40 ms a request on Linux).
  http_->set_tcp_nodelay(true);

  // Before the body is read: the route, the connection and memory limits, the key.
  http_->set_pre_routing_handler([this, release](const httplib::Request& request,
                                                 httplib::Response& response) {
    release();  // the previous request on this connection is answered
    started = Clock::now();
    route_label = "unknown";
    return Admit(request, response, /*reserve=*/true) ? httplib::Server::HandlerResponse::Unhandled
                                                      : httplib::Server::HandlerResponse::Handled;
  });
  // A client that sends "Expect: 100-continue" (curl does for large bodies) hears a refusal
  // before it sends the body at all.
  http_->set_expect_100_continue_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        return Admit(request, response, /*reserve=*/false) ? 100 : response.status;
      });

  auto dispatch = [this, release](const httplib::Request& request, std::string body,
                                  httplib::Response& response) {
    // The body's reservation ends with the handler, before the answer is sent: a client that
    // has its answer can send the next body at once. (A request whose body never arrives is
    // released by the next request on its thread, or when its connection closes.)
    absl::Cleanup released = release;
    std::vector<std::string> params;
    bool path_known = false;
    const Route* route = MatchRoute(routes_, request.method, request.path, &params, &path_known);
    if (route == nullptr) return;  // answered before routing
    HttpCall call;
    call.params = std::move(params);
    call.body = std::move(body);
    call.call.authorization = Authorization(request);
    if (request.has_param("timeout")) {
      double seconds = 0;
      if (!absl::SimpleAtod(request.get_param_value("timeout"), &seconds) || !(seconds > 0) ||
          seconds > 1e6) {
        return AnswerError(
            response, absl::InvalidArgumentError("timeout must be a number of seconds above 0"));
      }
      call.call.deadline = std::chrono::system_clock::now() +
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               std::chrono::duration<double>(seconds));
    }
    absl::StatusOr<HttpAnswer> answer = route->handle(call);
    if (!answer.ok()) return AnswerError(response, answer.status());
    if (answer->body.size() > options_.max_response_bytes) {
      return AnswerError(
          response, absl::ResourceExhaustedError(absl::StrCat(
                        "the response would be ", answer->body.size(),
                        " bytes of JSON, over the server's limit of ", options_.max_response_bytes,
                        " (--max_response_bytes); ask for fewer results")));
    }
    response.set_content(std::move(answer->body), answer->content_type.c_str());
  };
  auto without_body = [dispatch](const httplib::Request& request, httplib::Response& response) {
    dispatch(request, std::string(), response);
  };
  // Bodies are read through a content reader: cpp-httplib would otherwise parse one sent as
  // application/x-www-form-urlencoded (what `curl -d` says) as form fields, and refuse it with
  // 413 past 8 KiB.
  auto with_body = [this, dispatch](const httplib::Request& request, httplib::Response& response,
                                    const httplib::ContentReader& read) {
    std::string body;
    if (request.has_header("Content-Length")) {  // not for a chunked body of unknown size
      body.reserve(AnnouncedBodyBytes(request, options_.max_request_bytes));
    }
    if (!read([&](const char* data, size_t size) {
          body.append(data, size);
          return true;
        })) {
      return;  // cut short, or over --max_request_bytes: cpp-httplib has set the status
    }
    dispatch(request, std::move(body), response);
  };
  const std::string any = ".*";  // every path: MatchRoute decides
  http_->Get(any, without_body);
  http_->Options(any, without_body);
  http_->Put(any, with_body);
  http_->Post(any, with_body);
  http_->Delete(any, with_body);
  http_->Patch(any, with_body);

  // What cpp-httplib answers itself (400 for what does not parse, 413, 414, ...) is JSON too.
  http_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.body.empty()) {
      response.set_content(
          ErrorJson(response.status,
                    absl::StrCat("the request was refused with HTTP ", response.status,
                                 response.status == 413 ? ": the body is over --max_request_bytes"
                                                        : " (not a valid HTTP request?)")),
          "application/json");
    }
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        AnswerError(response, absl::InternalError("the request failed inside the server"));
      });
  if (options_.observe) {
    http_->set_logger([this](const httplib::Request&, const httplib::Response& response) {
      options_.observe(route_label, response.status,
                       std::chrono::duration<double>(Clock::now() - started).count());
      // A request refused before routing (one that does not parse) is timed from here.
      route_label = "unknown";
      started = Clock::now();
    });
  }
}

}  // namespace tqdb::server
