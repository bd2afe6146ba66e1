// The routes of the HTTP/JSON API (docs/http.md), in Qdrant's shape where it fits, each mapped
// onto the same TqdbApi call as its gRPC method.
#pragma once

#include <vector>

#include "http_route.h"
#include "tqdb_api.h"

namespace tqdb::server {

std::vector<Route> ApiRoutes(TqdbApi* api);

}  // namespace tqdb::server
