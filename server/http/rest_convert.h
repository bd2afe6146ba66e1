// The HTTP API's bodies (tqdb/v1/rest.proto) to and from the API's messages (tqdb.proto):
// points as objects, payloads and filters as JSON values.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "tqdb/v1/rest.pb.h"
#include "tqdb/v1/tqdb.pb.h"

namespace tqdb::server {

// INVALID_ARGUMENT when the points' vectors differ in length (the engine checks the total only).
absl::StatusOr<v1::UpsertRequest> ToUpsertRequest(const std::string& collection,
                                                  const v1::UpsertPointsRequest& body);

// The search's options and query; a search by id has its query filled in by the caller.
v1::SearchRequest ToSearchRequest(const std::string& collection,
                                  const v1::SearchPointsRequest& body);

// A record as a point: its payload parsed as JSON (kept as base64 bytes when it is not JSON);
// the score only for search hits.
void ToPoint(const v1::Record& record, bool with_score, v1::Point* point);

// The JSON text of a filter given as a JSON object; empty when the body has none.
std::string FilterText(bool has_filter, const google::protobuf::Struct& filter);

}  // namespace tqdb::server
