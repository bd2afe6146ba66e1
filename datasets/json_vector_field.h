// The fast path of `tqdb import` for JSON lines: a row of an embedding file is mostly its vector
// (1,536 numbers of ~12 characters at d = 1536), and a JSON DOM parse of it makes a value per
// number and reads each with strtod (~140 ns per number). This scanner finds the top-level
// vector field, reads its numbers with std::from_chars straight into floats, and hands back the
// rest of the object (ids, payload fields) for the DOM parser, a few bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tqdb {

struct SplitJsonRow {
  std::vector<float> vector;  // the field's numbers
  std::string rest;           // the object without that field, e.g. {"id": 7, "tag": "a"}
};

// `line` split at its top-level field `key` when `line` is one JSON object and the field is an
// array of numbers that appears once. Anything else (not an object, no such field, a non-number
// in the array, a number out of float range, a key with escapes, trailing text) gives nullopt:
// the caller parses the line whole, which names the problem exactly as before.
std::optional<SplitJsonRow> SplitJsonVectorField(std::string_view line, std::string_view key);

}  // namespace tqdb
