// Payload indexes a collection keeps (tqdb/filter.h filters use them): one per declared field,
// by type. A field without one can still be filtered, from the stored payloads (slower).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tqdb {

enum class PayloadIndexType {
  kKeyword,   // strings: match value / any / except
  kInteger,   // integers: match and range
  kFloat,     // numbers: range
  kBool,      // booleans: match
  kDatetime,  // RFC 3339 strings or epoch seconds: range
};

struct PayloadFieldIndex {
  std::string key;  // a dotted path; arrays index every element
  PayloadIndexType type = PayloadIndexType::kKeyword;
};

const char* PayloadIndexTypeName(PayloadIndexType type);
// "keyword", "integer", "float", "bool", "datetime"; InvalidArgument otherwise.
absl::StatusOr<PayloadIndexType> ParsePayloadIndexType(std::string_view name);

}  // namespace tqdb
