// Small helpers every benchmark program shares: a monotonic clock and comma-separated int flags.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace tqdb::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// "1,2,4" -> {1, 2, 4}. A benchmark given a malformed list stops rather than run fewer rows.
inline std::vector<int> ParseIntList(const std::string& text) {
  std::vector<int> values;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value)) {
      std::fprintf(stderr, "not an integer list: '%s'\n", text.c_str());
      std::exit(2);
    }
    values.push_back(value);
  }
  return values;
}

}  // namespace tqdb::bench
