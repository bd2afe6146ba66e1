#include "json_mapping.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace tqdb::server {

absl::Status ParseJson(const std::string& json, google::protobuf::Message* message) {
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return absl::OkStatus();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a misspelt field is an error, not a silent default
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the body is not a valid ",
                                                   message->GetDescriptor()->name(), ": ",
                                                   std::string(parsed.message())));
  }
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Printing a valid message cannot fail (a float NaN prints as "NaN").
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string JsonText(const google::protobuf::Message& value) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

bool ParseJsonValue(const std::string& text, google::protobuf::Value* value) {
  return google::protobuf::util::JsonStringToMessage(text, value).ok();
}

}  // namespace tqdb::server
