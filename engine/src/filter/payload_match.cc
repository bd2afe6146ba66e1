#include "filter/payload_match.h"

#include <algorithm>

#include "absl/strings/str_split.h"

namespace tqdb::filter {
namespace {

void Collect(const Json& node, const std::vector<absl::string_view>& parts, size_t next,
             std::vector<const Json*>* out) {
  if (next == parts.size()) {
    if (node.is_array()) {
      for (const Json& element : node) out->push_back(&element);
    } else {
      out->push_back(&node);
    }
    return;
  }
  if (node.is_array()) {
    for (const Json& element : node) {
      if (element.is_object()) Collect(element, parts, next, out);
    }
    return;
  }
  if (!node.is_object()) return;
  const auto child = node.find(std::string(parts[next]));
  if (child != node.end()) Collect(*child, parts, next + 1, out);
}

bool Holds(const FilterCondition& condition, uint64_t id, const Json& payload) {
  using Kind = FilterCondition::Kind;
  if (condition.kind == Kind::kHasId) {
    return std::find(condition.ids.begin(), condition.ids.end(), id) != condition.ids.end();
  }
  if (condition.kind == Kind::kNested) return Matches(*condition.nested, id, payload);
  const std::vector<const Json*> values = ValuesAt(payload, condition.key);
  auto any_equal = [&](const Json& value) {
    return std::any_of(condition.values.begin(), condition.values.end(),
                       [&](const MatchValue& match) { return Equals(value, match); });
  };
  switch (condition.kind) {
    case Kind::kMatch:
    case Kind::kMatchAny:
      return std::any_of(values.begin(), values.end(),
                         [&](const Json* v) { return any_equal(*v); });
    case Kind::kMatchExcept:
      return std::any_of(values.begin(), values.end(),
                         [&](const Json* v) { return !v->is_null() && !any_equal(*v); });
    case Kind::kRange:
      return std::any_of(values.begin(), values.end(), [&](const Json* v) {
        const std::optional<double> x = RangeNumber(*v);
        return x.has_value() && condition.range.Contains(*x);
      });
    case Kind::kIsEmpty:
      return std::all_of(values.begin(), values.end(), [](const Json* v) { return v->is_null(); });
    case Kind::kIsNull: {
      // Null itself, not a missing key or an empty array ("a": null).
      const std::vector<absl::string_view> parts = absl::StrSplit(condition.key, '.');
      const Json* node = &payload;
      for (absl::string_view part : parts) {
        if (!node->is_object()) return false;
        const auto child = node->find(std::string(part));
        if (child == node->end()) return false;
        node = &*child;
      }
      return node->is_null();
    }
    default:
      return false;
  }
}

}  // namespace

Json ParsePayload(std::string_view bytes) {
  if (bytes.empty() || bytes.front() != '{') return Json();
  Json parsed = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : Json();
}

std::vector<const Json*> ValuesAt(const Json& payload, std::string_view key) {
  std::vector<const Json*> out;
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(key.data(), key.size()), '.');
  Collect(payload, parts, 0, &out);
  return out;
}

bool Equals(const Json& value, const MatchValue& match) {
  if (const auto* text = std::get_if<std::string>(&match)) {
    return value.is_string() && value.get_ref<const std::string&>() == *text;
  }
  if (const auto* integer = std::get_if<int64_t>(&match)) {
    if (value.is_number_integer()) return value.get<int64_t>() == *integer;
    return false;
  }
  return value.is_boolean() && value.get<bool>() == std::get<bool>(match);
}

std::optional<double> RangeNumber(const Json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return ParseDatetime(value.get_ref<const std::string&>());
  return std::nullopt;
}

bool Matches(const Filter& filter, uint64_t id, const Json& payload) {
  for (const FilterCondition& condition : filter.must) {
    if (!Holds(condition, id, payload)) return false;
  }
  for (const FilterCondition& condition : filter.must_not) {
    if (Holds(condition, id, payload)) return false;
  }
  if (filter.should.empty()) return true;
  return std::any_of(filter.should.begin(), filter.should.end(),
                     [&](const FilterCondition& c) { return Holds(c, id, payload); });
}

}  // namespace tqdb::filter
