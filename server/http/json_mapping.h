// JSON <-> protobuf through protobuf's own JSON mapping, with the HTTP API's conventions: field
// names as in the .proto (snake_case; lowerCamelCase is read too), every field written (zeros
// and empty lists included, so a response always has the same keys), unknown fields refused.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

namespace tqdb::server {

// Parses `json` into `message`; INVALID_ARGUMENT naming what is wrong. An empty body is `{}`.
absl::Status ParseJson(const std::string& json, google::protobuf::Message* message);

std::string ToJson(const google::protobuf::Message& message);

// The JSON text of a value (a filter or payload given as JSON inside a body).
std::string JsonText(const google::protobuf::Message& value);

// A stored payload as a JSON value: false when the bytes are not JSON.
bool ParseJsonValue(const std::string& text, google::protobuf::Value* value);

}  // namespace tqdb::server
