#include "tqdb/payload_schema.h"

#include "absl/strings/str_cat.h"

namespace tqdb {

const char* PayloadIndexTypeName(PayloadIndexType type) {
  switch (type) {
    case PayloadIndexType::kKeyword:
      return "keyword";
    case PayloadIndexType::kInteger:
      return "integer";
    case PayloadIndexType::kFloat:
      return "float";
    case PayloadIndexType::kBool:
      return "bool";
    case PayloadIndexType::kDatetime:
      return "datetime";
  }
  return "unknown";
}

absl::StatusOr<PayloadIndexType> ParsePayloadIndexType(std::string_view name) {
  for (PayloadIndexType type :
       {PayloadIndexType::kKeyword, PayloadIndexType::kInteger, PayloadIndexType::kFloat,
        PayloadIndexType::kBool, PayloadIndexType::kDatetime}) {
    if (name == PayloadIndexTypeName(type)) return type;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown payload index type '", std::string(name),
                                                 "' (keyword, integer, float, bool or datetime)"));
}

}  // namespace tqdb
