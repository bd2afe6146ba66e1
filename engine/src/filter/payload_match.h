// A filter evaluated on one point: its id and its payload parsed as JSON (a payload that is not
// a JSON object has no fields). The reference semantics of tqdb/filter.h; payload indexes
// (db/payload_index.h) must agree with it, and tests check that they do.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "tqdb/filter.h"

namespace tqdb::filter {

using Json = nlohmann::json;

// The payload's JSON object; a null value when `bytes` is not a JSON object.
Json ParsePayload(std::string_view bytes);

// The values at `key`, a dotted path: objects are entered by name and arrays on the way are
// entered element by element; an array at the end gives its elements. Nulls are kept.
std::vector<const Json*> ValuesAt(const Json& payload, std::string_view key);

// Whether a payload value equals a match value (strings, integers and booleans; no coercion).
bool Equals(const Json& value, const MatchValue& match);
// A payload value as a number for ranges: numbers, and RFC 3339 strings as epoch seconds.
std::optional<double> RangeNumber(const Json& value);

bool Matches(const Filter& filter, uint64_t id, const Json& payload);

}  // namespace tqdb::filter
