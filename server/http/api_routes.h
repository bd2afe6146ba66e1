// The routes of the HTTP/JSON API (docs/http.md), in Qdrant's shape where it fits, each mapped
// onto the same Api call as its gRPC method.
#pragma once

#include <vector>

#include "api.h"
#include "http_route.h"

namespace tqdb::server {

std::vector<Route> ApiRoutes(Api* api);

}  // namespace tqdb::server
