#include "service_routes.h"

#include <memory>

#include "console_files.h"
#include "openapi.h"
#include "tqdb/v1/rest.pb.h"

namespace tqdb::server {
namespace {

Route HealthRoute(const char* path, const char* summary, std::function<bool()> ready) {
  Route route = JsonRoute<v1::ListCollectionsRequest, v1::HealthResponse>(
      "GET", path, summary,
      [ready = std::move(ready)](const HttpCall&, const auto&, v1::HealthResponse* response) {
        if (ready != nullptr && !ready()) {
          return absl::UnavailableError("the server is starting or stopping");
        }
        response->set_status("ok");
        return absl::OkStatus();
      },
      false);
  route.needs_key = false;
  return route;
}

Route FileRoute(const char* path, const char* summary, const ConsoleFile& file) {
  Route route;
  route.method = "GET";
  route.pattern = path;
  route.summary = summary;
  route.content_type = ContentTypeOf(path);
  route.needs_key = false;
  route.handle = [&file](const HttpCall&) -> absl::StatusOr<HttpAnswer> {
    return HttpAnswer{std::string(file.content), ContentTypeOf(file.path)};
  };
  return route;
}

}  // namespace

void AddServiceRoutes(const ServiceRouteOptions& options, std::vector<Route>* routes) {
  routes->push_back(HealthRoute("/healthz", "Liveness: the process answers.", nullptr));
  routes->push_back(HealthRoute(
      "/readyz", "Readiness: the data directory is open and requests are served.", options.ready));
  if (options.metrics != nullptr) {
    Route metrics;
    metrics.method = "GET";
    metrics.pattern = "/metrics";
    metrics.summary = "Prometheus metrics (needs a read key when API keys are on).";
    metrics.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics.handle = [render = options.metrics](const HttpCall&) -> absl::StatusOr<HttpAnswer> {
      return HttpAnswer{render(), "text/plain; version=0.0.4; charset=utf-8"};
    };
    routes->push_back(std::move(metrics));
  }
  for (const ConsoleFile& file : ConsoleFiles()) {
    routes->push_back(FileRoute(file.path, file.summary, file));
  }
}

void AddOpenApiRoute(const std::string& version, std::vector<Route>* routes) {
  Route route;
  route.method = "GET";
  route.pattern = "/openapi.json";
  route.summary = "This description of the HTTP API (OpenAPI 3).";
  route.needs_key = false;
  routes->push_back(route);
  // Rendered once, with this route in it.
  auto document = std::make_shared<const std::string>(OpenApiJson(*routes, version));
  routes->back().handle = [document](const HttpCall&) -> absl::StatusOr<HttpAnswer> {
    return HttpAnswer{*document};
  };
}

}  // namespace tqdb::server
