// Filter::Parse: the JSON filter language (tqdb/filter.h) read with nlohmann/json, every error
// naming the path of the bad part.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tqdb/filter.h"

namespace tqdb {
namespace {

using Json = nlohmann::json;

absl::Status Bad(const std::string& path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(what)));
}

struct Parser {
  int conditions = 0;

  absl::StatusOr<MatchValue> Value(const Json& json, const std::string& path) {
    if (json.is_string()) return MatchValue(json.get<std::string>());
    if (json.is_boolean()) return MatchValue(json.get<bool>());
    if (json.is_number_integer()) return MatchValue(json.get<int64_t>());
    if (json.is_number_unsigned()) {
      return Bad(path, "integers above 2^63 - 1 cannot be matched");
    }
    return Bad(
        path, absl::StrCat("match compares strings, integers or booleans, not ", json.type_name()));
  }

  absl::StatusOr<std::string> Key(const Json& object, const std::string& path) {
    const auto key = object.find("key");
    if (key == object.end() || !key->is_string() || key->get<std::string>().empty()) {
      return Bad(path, "needs \"key\": a non-empty string (a dotted path into the payload)");
    }
    return key->get<std::string>();
  }

  absl::StatusOr<double> Bound(const Json& json, const std::string& path) {
    if (json.is_number()) return json.get<double>();
    if (json.is_string()) {
      if (std::optional<double> seconds = ParseDatetime(json.get<std::string>())) return *seconds;
      return Bad(path, "is neither a number nor an RFC 3339 datetime");
    }
    return Bad(path,
               absl::StrCat("a bound is a number or an RFC 3339 datetime, not ", json.type_name()));
  }

  absl::Status Match(const Json& match, const std::string& path, FilterCondition* condition) {
    if (!match.is_object() || match.size() != 1) {
      return Bad(path, "is an object with one of \"value\", \"any\" or \"except\"");
    }
    const std::string op = match.begin().key();
    const Json& operand = match.begin().value();
    const std::string at = absl::StrCat(path, ".", op);
    if (op == "value") {
      condition->kind = FilterCondition::Kind::kMatch;
      absl::StatusOr<MatchValue> value = Value(operand, at);
      if (!value.ok()) return value.status();
      condition->values.push_back(*std::move(value));
      return absl::OkStatus();
    }
    if (op != "any" && op != "except") {
      return Bad(at, "unknown match operator (use \"value\", \"any\" or \"except\")");
    }
    condition->kind =
        op == "any" ? FilterCondition::Kind::kMatchAny : FilterCondition::Kind::kMatchExcept;
    if (!operand.is_array()) return Bad(at, "is a list of values");
    if (operand.size() > kMaxFilterValues) {
      return Bad(at, absl::StrCat("has ", operand.size(), " values; at most ", kMaxFilterValues));
    }
    for (size_t i = 0; i < operand.size(); ++i) {
      absl::StatusOr<MatchValue> value = Value(operand[i], absl::StrCat(at, "[", i, "]"));
      if (!value.ok()) return value.status();
      condition->values.push_back(*std::move(value));
    }
    return absl::OkStatus();
  }

  absl::Status Range(const Json& range, const std::string& path, FilterCondition* condition) {
    condition->kind = FilterCondition::Kind::kRange;
    if (!range.is_object() || range.empty()) {
      return Bad(path, "is an object of \"gt\", \"gte\", \"lt\", \"lte\" bounds");
    }
    for (const auto& [op, operand] : range.items()) {
      const std::string at = absl::StrCat(path, ".", op);
      std::optional<double>* bound = op == "gt"    ? &condition->range.gt
                                     : op == "gte" ? &condition->range.gte
                                     : op == "lt"  ? &condition->range.lt
                                     : op == "lte" ? &condition->range.lte
                                                   : nullptr;
      if (bound == nullptr) return Bad(at, "unknown range operator (gt, gte, lt, lte)");
      absl::StatusOr<double> value = Bound(operand, at);
      if (!value.ok()) return value.status();
      *bound = *value;
    }
    return absl::OkStatus();
  }

  absl::Status Condition(const Json& json, const std::string& path, int depth,
                         FilterCondition* condition) {
    if (++conditions > kMaxFilterConditions) {
      return Bad(path,
                 absl::StrCat("the filter has more than ", kMaxFilterConditions, " conditions"));
    }
    if (!json.is_object()) return Bad(path, "a condition is an object");
    if (json.contains("must") || json.contains("should") || json.contains("must_not")) {
      if (depth >= kMaxFilterDepth) {
        return Bad(path, absl::StrCat("filters nest at most ", kMaxFilterDepth, " deep"));
      }
      auto nested = std::make_shared<Filter>();
      absl::Status status = Clauses(json, path, depth + 1, nested.get());
      if (!status.ok()) return status;
      condition->kind = FilterCondition::Kind::kNested;
      condition->nested = std::move(nested);
      return absl::OkStatus();
    }
    if (const auto ids = json.find("has_id"); ids != json.end()) {
      if (json.size() != 1) return Bad(path, "has_id stands alone in its condition");
      condition->kind = FilterCondition::Kind::kHasId;
      if (!ids->is_array()) return Bad(path + ".has_id", "is a list of ids");
      if (ids->size() > kMaxFilterValues) {
        return Bad(path + ".has_id",
                   absl::StrCat("has ", ids->size(), " ids; at most ", kMaxFilterValues));
      }
      for (size_t i = 0; i < ids->size(); ++i) {
        const Json& id = (*ids)[i];
        if (!id.is_number_unsigned() && !(id.is_number_integer() && id.get<int64_t>() >= 0)) {
          return Bad(absl::StrCat(path, ".has_id[", i, "]"), "an id is an integer >= 0");
        }
        condition->ids.push_back(id.get<uint64_t>());
      }
      return absl::OkStatus();
    }
    for (const char* op : {"is_empty", "is_null"}) {
      if (const auto inner = json.find(op); inner != json.end()) {
        const std::string at = absl::StrCat(path, ".", op);
        if (json.size() != 1) return Bad(path, absl::StrCat(op, " stands alone in its condition"));
        if (!inner->is_object() || inner->size() != 1) return Bad(at, "is {\"key\": \"...\"}");
        absl::StatusOr<std::string> key = Key(*inner, at);
        if (!key.ok()) return key.status();
        condition->kind = std::string_view(op) == "is_empty" ? FilterCondition::Kind::kIsEmpty
                                                             : FilterCondition::Kind::kIsNull;
        condition->key = *std::move(key);
        return absl::OkStatus();
      }
    }
    absl::StatusOr<std::string> key = Key(json, path);
    if (!key.ok()) return key.status();
    condition->key = *std::move(key);
    if (json.size() != 2) {
      for (const auto& [name, unused] : json.items()) {
        if (name != "key" && name != "match" && name != "range") {
          return Bad(absl::StrCat(path, ".", name), "unknown condition operator");
        }
      }
      return Bad(path, "a field condition has \"key\" and one of \"match\" or \"range\"");
    }
    if (const auto match = json.find("match"); match != json.end()) {
      return Match(*match, path + ".match", condition);
    }
    if (const auto range = json.find("range"); range != json.end()) {
      return Range(*range, path + ".range", condition);
    }
    for (const auto& [name, unused] : json.items()) {
      if (name != "key") return Bad(absl::StrCat(path, ".", name), "unknown condition operator");
    }
    return Bad(path, "a field condition needs \"match\" or \"range\"");
  }

  absl::Status Clauses(const Json& json, const std::string& path, int depth, Filter* filter) {
    if (!json.is_object()) return Bad(path, "a filter is a JSON object");
    for (const auto& [name, list] : json.items()) {
      const std::string at = absl::StrCat(path, ".", name);
      std::vector<FilterCondition>* clause = name == "must"       ? &filter->must
                                             : name == "should"   ? &filter->should
                                             : name == "must_not" ? &filter->must_not
                                                                  : nullptr;
      if (clause == nullptr) {
        return Bad(at, "unknown filter clause (use \"must\", \"should\" or \"must_not\")");
      }
      // Qdrant takes one condition where a list is expected; so does this.
      const Json items = list.is_array() ? list : Json::array({list});
      for (size_t i = 0; i < items.size(); ++i) {
        FilterCondition condition;
        absl::Status status = Condition(items[i], absl::StrCat(at, "[", i, "]"), depth, &condition);
        if (!status.ok()) return status;
        clause->push_back(std::move(condition));
      }
    }
    return absl::OkStatus();
  }
};

}  // namespace

absl::StatusOr<Filter> Filter::Parse(std::string_view json) {
  if (json.size() > kMaxFilterBytes) {
    return Bad("filter", absl::StrCat("is ", json.size(), " bytes; at most ", kMaxFilterBytes));
  }
  Json parsed = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Bad("filter", "is not valid JSON");
  Filter filter;
  Parser parser;
  absl::Status status = parser.Clauses(parsed, "filter", 0, &filter);
  if (!status.ok()) return status;
  filter.text = parsed.dump();
  return filter;
}

std::optional<double> ParseDatetime(std::string_view text) {
  absl::Time time;
  std::string error;
  const std::string value(text);
  if (absl::ParseTime(absl::RFC3339_full, value, &time, &error) ||
      absl::ParseTime("%Y-%m-%d", value, absl::UTCTimeZone(), &time, &error)) {
    return absl::ToDoubleSeconds(time - absl::UnixEpoch());
  }
  return std::nullopt;
}

}  // namespace tqdb
