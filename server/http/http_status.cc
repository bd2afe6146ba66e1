#include "http_status.h"

#include "json_mapping.h"
#include "tqdb/v1/rest.pb.h"

namespace tqdb::server {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:  // unknown, internal, data loss
      return 500;
  }
}

absl::StatusCode CodeOfHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 408:
      return absl::StatusCode::kDeadlineExceeded;
    case 413:
    case 414:
    case 431:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      return http_status < 500 ? absl::StatusCode::kInvalidArgument : absl::StatusCode::kInternal;
  }
}

namespace {

std::string ErrorBody(absl::StatusCode code, int http_status, const std::string& message) {
  v1::ErrorResponse response;
  response.mutable_error()->set_code(absl::StatusCodeToString(code));
  response.mutable_error()->set_http_status(http_status);
  response.mutable_error()->set_message(message);
  return ToJson(response);
}

}  // namespace

std::string ErrorJson(const absl::Status& status) {
  return ErrorBody(status.code(), HttpStatusOf(status.code()), std::string(status.message()));
}

std::string ErrorJson(int http_status, const std::string& message) {
  return ErrorBody(CodeOfHttpStatus(http_status), http_status, message);
}

}  // namespace tqdb::server
