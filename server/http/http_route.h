// One route of the HTTP API: method, path pattern, what its body and answer are (protobuf
// messages, which the OpenAPI description is generated from) and the handler. Path patterns
// name their parameters in braces ("/collections/{name}/points"); a parameter matches one
// non-empty path segment.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "call_context.h"
#include "google/protobuf/descriptor.h"
#include "json_mapping.h"

namespace tqdb::server {

// What a handler sees of a request.
struct HttpCall {
  CallContext call;
  std::vector<std::string> params;  // the path's parameters, in pattern order
  std::string body;
};

// A handler's answer: its body and content type.
struct HttpAnswer {
  std::string body;
  std::string content_type = "application/json";
};

struct Route {
  std::string method;  // "GET", "PUT", "POST" or "DELETE"
  std::string pattern;
  std::string summary;                                     // one line, for the OpenAPI description
  const google::protobuf::Descriptor* request = nullptr;   // the JSON body; null: none
  const google::protobuf::Descriptor* response = nullptr;  // null: `content_type` below
  std::string content_type = "application/json";
  bool needs_key = true;  // false: answered without an API key (health, the console's files)
  std::function<absl::StatusOr<HttpAnswer>(const HttpCall&)> handle;
};

// A JSON route: the body parsed as `Request` (an empty body is `{}`), the handler's `Response`
// written as JSON.
template <typename Request, typename Response>
Route JsonRoute(std::string method, std::string pattern, std::string summary,
                std::function<absl::Status(const HttpCall&, const Request&, Response*)> handle,
                bool has_body = true) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.summary = std::move(summary);
  route.request = has_body ? Request::descriptor() : nullptr;
  route.response = Response::descriptor();
  route.handle = [handle = std::move(handle),
                  has_body](const HttpCall& call) -> absl::StatusOr<HttpAnswer> {
    Request request;
    if (has_body) {
      if (absl::Status parsed = ParseJson(call.body, &request); !parsed.ok()) return parsed;
    }
    Response response;
    if (absl::Status done = handle(call, request, &response); !done.ok()) return done;
    return HttpAnswer{ToJson(response)};
  };
  return route;
}

// The route `method` `path` takes, its parameters in `params`; null when none does. `path_known`
// tells a path no route has (404) from one served with other methods (405).
const Route* MatchRoute(const std::vector<Route>& routes, const std::string& method,
                        const std::string& path, std::vector<std::string>* params,
                        bool* path_known);

// The methods `path` is served with ("GET, PUT"), for a 405's Allow header.
std::string AllowedMethods(const std::vector<Route>& routes, const std::string& path);

}  // namespace tqdb::server
