// The OpenAPI 3 description of the HTTP API, generated from the route table and the protobuf
// descriptors of each route's body and answer, so it cannot drift from what the server serves.
// Served at GET /openapi.json; docs/openapi.json is the committed copy (`tqdb-server
// --print_openapi`), which a test keeps equal to it.
#pragma once

#include <string>
#include <vector>

#include "http_route.h"

namespace tqdb::server {

// The document as JSON text (indented, keys sorted, so the committed copy diffs well).
std::string OpenApiJson(const std::vector<Route>& routes, const std::string& version);

}  // namespace tqdb::server
