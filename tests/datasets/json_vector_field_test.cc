// The JSON lines fast path of `tqdb import` (json_vector_field.h) against the DOM parser it
// stands in for: the same numbers as strtof reads them, the same remaining fields, and a refusal
// (so the DOM parse decides) wherever the line is not plain.
#include "json_vector_field.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tqdb {
namespace {

using nlohmann::json;

// What the DOM reading gives for `line`: the object without `key`.
json WithoutKey(const std::string& line, const std::string& key) {
  json row = json::parse(line);
  row.erase(key);
  return row;
}

TEST(JsonVectorFieldTest, SplitsTheVectorFromTheOtherFieldsWhereverItIs) {
  for (const std::string line : {
           R"({"embedding": [1, -2.5, 3e-3], "id": 7, "tag": "a"})",
           R"({"id": 7, "embedding": [1,-2.5,3e-3], "tag": "a"})",
           R"({"id": 7, "tag": "a", "embedding" : [ 1 , -2.5 , 3e-3 ] })",
           "\t{ \"id\":7,\"tag\":\"a\",\"embedding\":[1,-2.5,0.003]}\r",
       }) {
    const std::optional<SplitJsonRow> split = SplitJsonVectorField(line, "embedding");
    ASSERT_TRUE(split.has_value()) << line;
    EXPECT_EQ(split->vector, (std::vector<float>{1, -2.5f, 3e-3f})) << line;
    EXPECT_EQ(json::parse(split->rest), WithoutKey(line, "embedding")) << line;
  }
  const std::optional<SplitJsonRow> alone = SplitJsonVectorField(R"({"v": [0.5]})", "v");
  ASSERT_TRUE(alone.has_value());
  EXPECT_EQ(alone->rest, "{}");
}

TEST(JsonVectorFieldTest, StringsAndNestedValuesDoNotConfuseTheScan) {
  const std::string line = R"({"note": "x \"embedding\": [9] }, {[", "embedding": [4, 5],)"
                           R"( "meta": {"list": [1, {"s": "]}"}], "e": []}, "n": null, "b": true})";
  const std::optional<SplitJsonRow> split = SplitJsonVectorField(line, "embedding");
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->vector, (std::vector<float>{4, 5}));
  EXPECT_EQ(json::parse(split->rest), WithoutKey(line, "embedding"));
}

TEST(JsonVectorFieldTest, LinesOutsideThePlainFormAreLeftToTheDomParse) {
  for (const std::string line : {
           R"({"embedding": [1, "x"]})",               // a non-number
           R"({"embedding": [1, null]})",              // null
           R"({"embedding": [1, [2]]})",               // nested
           R"({"embedding": []})",                     // empty: the reader names it
           R"({"embedding": [1, -inf]})",              // not JSON, though from_chars reads it
           R"({"embedding": [nan]})",                  // nor NaN
           R"({"embedding": [0x10]})",                 // hex
           R"({"embedding": [1e39]})",                 // past float's range
           R"({"embedding": [1,]})",                   // a dangling comma
           R"({"embedding": [1], "embedding": [2]})",  // twice
           R"({"emb\u0065dding": [1]})",               // a key with an escape
           R"({"vector": [1]})",                       // no such field
           R"({"embedding": 1})",                      // not an array
           R"({"embedding": [1]} x)",                  // trailing text
           R"({"embedding": [1], "a": [1}})",          // mismatched brackets elsewhere
           R"({"embedding": [1], "a": "open)",         // an unterminated string
           R"([1, 2])",                                // not an object
           "{}",
           "",
       }) {
    EXPECT_FALSE(SplitJsonVectorField(line, "embedding").has_value()) << line;
  }
}

// Random rows as exporters write them: the vector's numbers in several notations, other fields
// of every JSON type around it in random order.
TEST(JsonVectorFieldTest, RandomRowsGiveWhatStrtofAndTheDomParseGive) {
  std::mt19937 random(29);
  std::uniform_real_distribution<double> value(-2, 2);
  const char* formats[] = {"%.9g", "%.3f", "%.7e", "%g"};
  const std::vector<std::string> others = {R"("id": 12345)",
                                           R"("title": "a, [b] {c} \"d\"")",
                                           R"("score": -0.25)",
                                           R"("tags": ["x", "y", {"z": [1, 2]}])",
                                           R"("ok": false)",
                                           R"("none": null)",
                                           R"("deep": {"a": {"b": [[], {}]}})"};
  for (int round = 0; round < 200; ++round) {
    const int dim = 1 + random() % 64;
    std::vector<std::string> numbers;
    std::vector<float> expected;
    for (int j = 0; j < dim; ++j) {
      char text[64];
      std::snprintf(text, sizeof(text), formats[random() % 4], value(random));
      numbers.push_back(text);
      expected.push_back(std::strtof(text, nullptr));
    }
    std::vector<std::string> fields;
    for (const std::string& other : others) {
      if (random() % 2) fields.push_back(other);
    }
    const std::string separator = random() % 2 ? ", " : ",";
    fields.insert(fields.begin() + random() % (fields.size() + 1),
                  absl::StrCat("\"embedding\": [", absl::StrJoin(numbers, separator), "]"));
    const std::string line = absl::StrCat("{", absl::StrJoin(fields, separator), "}");
    const std::optional<SplitJsonRow> split = SplitJsonVectorField(line, "embedding");
    ASSERT_TRUE(split.has_value()) << line;
    EXPECT_EQ(split->vector, expected) << line;
    EXPECT_EQ(json::parse(split->rest), WithoutKey(line, "embedding")) << line;
  }
}

}  // namespace
}  // namespace tqdb
