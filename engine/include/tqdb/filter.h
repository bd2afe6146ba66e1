// A search filter over a collection's JSON payloads and ids, in Qdrant's JSON shape
// (docs/filters.md), so users and tools that know it can use it:
//
//   {"must": [...], "should": [...], "must_not": [...]}
//
// with conditions {"key": "a.b", "match": {"value": v}}, {"key": k, "match": {"any": [...]}},
// {"key": k, "match": {"except": [...]}}, {"key": k, "range": {"gt"|"gte"|"lt"|"lte": x}},
// {"is_empty": {"key": k}}, {"is_null": {"key": k}}, {"has_id": [ids]}, or a nested filter.
// A point passes when every `must` condition holds, at least one `should` does (if any are
// given) and no `must_not` does; the empty filter passes every point.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace tqdb {

inline constexpr size_t kMaxFilterBytes = size_t{64} << 10;
inline constexpr int kMaxFilterDepth = 8;         // nested filters below the top one
inline constexpr int kMaxFilterConditions = 256;  // conditions in the whole filter
inline constexpr int kMaxFilterValues = 10000;    // values of one match any / except / has_id

// What `match` compares a payload value with: a keyword (string), an integer or a bool.
using MatchValue = std::variant<std::string, int64_t, bool>;

// Bounds of a range condition; numbers, or RFC 3339 datetimes taken as seconds since the epoch.
struct RangeBounds {
  std::optional<double> gt, gte, lt, lte;
  bool Contains(double x) const {
    return (!gt || x > *gt) && (!gte || x >= *gte) && (!lt || x < *lt) && (!lte || x <= *lte);
  }
};

struct Filter;

struct FilterCondition {
  enum class Kind { kMatch, kMatchAny, kMatchExcept, kRange, kIsEmpty, kIsNull, kHasId, kNested };
  Kind kind = Kind::kMatch;
  std::string key;                       // a dotted path into the payload ("a.b")
  std::vector<MatchValue> values;        // kMatch: one; kMatchAny / kMatchExcept: the list
  RangeBounds range;                     // kRange
  std::vector<uint64_t> ids;             // kHasId
  std::shared_ptr<const Filter> nested;  // kNested
};

struct Filter {
  std::vector<FilterCondition> must, should, must_not;
  // The parsed JSON written back compactly with sorted keys (one text per filter, whatever the
  // spacing and key order it was given in); empty for a filter not made by Parse. Collections
  // key their cache of passing sets by it.
  std::string text;

  bool empty() const { return must.empty() && should.empty() && must_not.empty(); }
  // Parses and checks a filter; InvalidArgument naming the bad part ("filter.must[1].range:
  // ...") for bad JSON, unknown operators, wrong value types, too deep or too many conditions.
  static absl::StatusOr<Filter> Parse(std::string_view json);
};

// Seconds since the epoch of an RFC 3339 datetime ("2021-03-04T05:06:07Z", offsets and
// fractions allowed; a date alone is midnight UTC); nullopt when it is not one.
std::optional<double> ParseDatetime(std::string_view text);

}  // namespace tqdb
