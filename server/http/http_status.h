// The HTTP status of each gRPC status code (the mapping grpc-gateway and Google's JSON APIs use)
// and the JSON error body both transports' errors share: the code's name, the HTTP status and
// the message a gRPC client gets.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace tqdb::server {

int HttpStatusOf(absl::StatusCode code);

// {"error": {"code": "NOT_FOUND", "http_status": 404, "message": "..."}}
std::string ErrorJson(const absl::Status& status);
// The same for an error the HTTP layer meets before any handler (413, 400, ...): the code that
// matches `http_status`.
std::string ErrorJson(int http_status, const std::string& message);
absl::StatusCode CodeOfHttpStatus(int http_status);

}  // namespace tqdb::server
