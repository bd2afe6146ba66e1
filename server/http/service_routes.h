// The HTTP port's routes beside the API: health and readiness (open, for load balancers),
// Prometheus metrics, the web console's files (open: the page asks for a key and sends it with
// its own requests) and the OpenAPI description.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http_route.h"

namespace tqdb::server {

struct ServiceRouteOptions {
  std::function<std::string()> metrics;  // one scrape as Prometheus text; null: no /metrics
  std::function<bool()> ready;           // true once the server serves
};

void AddServiceRoutes(const ServiceRouteOptions& options, std::vector<Route>* routes);

// GET /openapi.json, describing every route in `routes` and itself; add it last.
void AddOpenApiRoute(const std::string& version, std::vector<Route>* routes);

}  // namespace tqdb::server
