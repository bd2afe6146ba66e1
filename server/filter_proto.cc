#include "filter_proto.h"

#include "nlohmann/json.hpp"

namespace tqdb::server {
namespace {

using Json = nlohmann::json;

Json FilterJson(const v1::Filter& filter);

Json ValueJson(const v1::MatchValue& value) {
  switch (value.value_case()) {
    case v1::MatchValue::kKeyword:
      return value.keyword();
    case v1::MatchValue::kInteger:
      return value.integer();
    case v1::MatchValue::kBoolean:
      return value.boolean();
    default:
      return nullptr;  // the parser names it: match compares strings, integers or booleans
  }
}

Json ValuesJson(const v1::MatchValues& values) {
  Json out = Json::array();
  for (const v1::MatchValue& value : values.values()) out.push_back(ValueJson(value));
  return out;
}

Json BoundJson(const v1::Bound& bound) {
  if (bound.bound_case() == v1::Bound::kDatetime) return bound.datetime();
  if (bound.bound_case() == v1::Bound::kNumber) return bound.number();
  return nullptr;
}

Json ConditionJson(const v1::Condition& condition) {
  switch (condition.condition_case()) {
    case v1::Condition::kField: {
      const v1::FieldCondition& field = condition.field();
      Json out = {{"key", field.key()}};
      switch (field.test_case()) {
        case v1::FieldCondition::kMatch:
          out["match"] = {{"value", ValueJson(field.match())}};
          break;
        case v1::FieldCondition::kMatchAny:
          out["match"] = {{"any", ValuesJson(field.match_any())}};
          break;
        case v1::FieldCondition::kMatchExcept:
          out["match"] = {{"except", ValuesJson(field.match_except())}};
          break;
        case v1::FieldCondition::kRange: {
          Json range = Json::object();
          const v1::Range& r = field.range();
          if (r.has_gt()) range["gt"] = BoundJson(r.gt());
          if (r.has_gte()) range["gte"] = BoundJson(r.gte());
          if (r.has_lt()) range["lt"] = BoundJson(r.lt());
          if (r.has_lte()) range["lte"] = BoundJson(r.lte());
          out["range"] = range;
          break;
        }
        default:
          break;  // the parser names it: a field condition needs match or range
      }
      return out;
    }
    case v1::Condition::kIsEmpty:
      return {{"is_empty", {{"key", condition.is_empty()}}}};
    case v1::Condition::kIsNull:
      return {{"is_null", {{"key", condition.is_null()}}}};
    case v1::Condition::kHasId:
      return {{"has_id", condition.has_id().ids()}};
    case v1::Condition::kFilter:
      return FilterJson(condition.filter());
    default:
      return Json::object();  // the parser names it: a field condition needs "key"
  }
}

Json FilterJson(const v1::Filter& filter) {
  Json out = Json::object();
  auto clause = [&](const char* name, const auto& conditions) {
    if (conditions.empty()) return;
    Json list = Json::array();
    for (const v1::Condition& condition : conditions) list.push_back(ConditionJson(condition));
    out[name] = std::move(list);
  };
  clause("must", filter.must());
  clause("should", filter.should());
  clause("must_not", filter.must_not());
  return out;
}

}  // namespace

std::string FilterMessageToJson(const v1::Filter& message) { return FilterJson(message).dump(); }

absl::StatusOr<std::optional<Filter>> RequestFilter(const std::string& json, bool has_message,
                                                    const v1::Filter& message) {
  if (!json.empty() && has_message) {
    return absl::InvalidArgumentError("give the filter as JSON text or as a message, not both");
  }
  if (has_message) {
    // Too deep a message would recurse here before the parser's depth check: the size of the
    // serialized message bounds it (protobuf refuses more than 100 levels when parsing).
    absl::StatusOr<Filter> filter = Filter::Parse(FilterMessageToJson(message));
    if (!filter.ok()) return filter.status();
    return std::optional<Filter>(*std::move(filter));
  }
  if (json.empty()) return std::optional<Filter>();
  absl::StatusOr<Filter> filter = Filter::Parse(json);
  if (!filter.ok()) return filter.status();
  return std::optional<Filter>(*std::move(filter));
}

}  // namespace tqdb::server
