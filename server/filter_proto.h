// A request's filter, given as JSON text (`filter`) or as a message (`filter_message`): both
// become the JSON text the engine parses, so one parser checks both and its errors name the bad
// part the same way.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "tqdb/filter.h"
#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::server {

// The filter of a request: nullopt when it gives none; InvalidArgument for both forms at once
// or a bad filter.
absl::StatusOr<std::optional<Filter>> RequestFilter(const std::string& json, bool has_message,
                                                    const v1::Filter& message);

// The same for any request with `filter` and `filter_message` fields.
template <typename Request>
absl::StatusOr<std::optional<Filter>> RequestFilter(const Request& request) {
  return RequestFilter(request.filter(), request.has_filter_message(), request.filter_message());
}
// The request's filter, or the empty filter (every point) when it gives none.
template <typename Request>
absl::StatusOr<Filter> RequestFilterOrAll(const Request& request) {
  absl::StatusOr<std::optional<Filter>> filter = RequestFilter(request);
  if (!filter.ok()) return filter.status();
  return filter->value_or(Filter());
}

// The JSON text of a filter message.
std::string FilterMessageToJson(const v1::Filter& message);

}  // namespace tqdb::server
