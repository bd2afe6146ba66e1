// The payload index's own cost (db/payload_index.h): the passing set of an integer range over
// n points whose field is uniform over 0..999, by the share that passes, and the selector the
// filtered scan builds from it. filter_bench measures the same inside whole searches.
//   payload_index_bench [--points=100000] [--repeats=200]
#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "db/filter_selector.h"
#include "db/payload_index.h"

ABSL_FLAG(size_t, points, 100000, "points indexed");
ABSL_FLAG(int, repeats, 200, "evaluations timed per row");

namespace tqdb {
namespace {

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int Run() {
  const size_t n = absl::GetFlag(FLAGS_points);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  PayloadIndex index({{"field", PayloadIndexType::kInteger}});
  for (uint64_t id = 0; id < n; ++id) {
    index.Put(id, filter::Json::object({{"field", (id * 7919) % 1000}}));
  }
  std::printf("%zu points, integer field uniform over 0..999, %d repeats\n\n", n, repeats);
  std::printf("| passing | candidates ms | selector ms |\n|---|---|---|\n");
  for (int limit : {1, 10, 100, 500, 900, 990}) {
    const Filter filter = *Filter::Parse(
        absl::StrCat(R"({"must": [{"key": "field", "range": {"lt": )", limit, "}}]}"));
    bool exact = false;
    auto start = std::chrono::steady_clock::now();
    size_t sink = 0;
    for (int r = 0; r < repeats; ++r) sink += index.Candidates(filter, &exact).cardinality();
    const double candidates_ms = MillisecondsSince(start) / repeats;
    const IdSet passing = index.Candidates(filter, &exact);
    start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) {
      const PassingIdSelector selector(passing, index.ids());
      sink += selector.Contains(static_cast<uint64_t>(r));
    }
    const double selector_ms = MillisecondsSince(start) / repeats;
    std::printf("| %.1f%% | %.4f | %.4f |\n", limit / 10.0, candidates_ms, selector_ms);
    if (sink == 0 || !exact) std::printf("(unexpected: nothing passed or inexact)\n");
  }
  return 0;
}

}  // namespace
}  // namespace tqdb

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return tqdb::Run();
}
